import PhotosUI
import SwiftUI

/// Pick a model, classify a photo (top-5 and latency), run the sweep with progress, share the JSON.
struct ContentView: View {
    @StateObject private var model = BenchModel()
    @State private var photo: PhotosPickerItem?

    var body: some View {
        NavigationStack {
            Form {
                Section("Model") {
                    Picker("Artifact", selection: $model.selected) {
                        ForEach(model.models, id: \.self) { url in
                            Text(url.lastPathComponent).tag(Optional(url))
                        }
                    }
                }
                Section("Classify") {
                    PhotosPicker("Choose a photo", selection: $photo, matching: .images)
                    ForEach(model.top5, id: \.index) { entry in
                        Text(entry.description).monospaced()
                    }
                }
                Section("Benchmark") {
                    Button("Run the compute-unit sweep", action: model.sweep)
                        .disabled(model.selected == nil || model.progress != nil)
                    if let progress = model.progress {
                        ProgressView(value: progress)
                    }
                    if !model.resultFiles.isEmpty {
                        ShareLink(items: model.resultFiles) {
                            Label("Share \(model.resultFiles.count) result file(s)", systemImage: "square.and.arrow.up")
                        }
                    }
                }
                Section("Status") {
                    Text(model.status).font(.footnote).monospaced()
                }
            }
            .navigationTitle("CloFormer Bench")
            .onAppear(perform: model.refresh)
            .onChange(of: photo) { _, item in
                Task {
                    guard let data = try? await item?.loadTransferable(type: Data.self),
                        let image = UIImage(data: data)?.cgImage
                    else { return }
                    model.classify(image)
                }
            }
        }
    }
}
