import CloFormerBenchApple
import CloFormerBenchCore
import Foundation
import SwiftUI

/// The app's state and actions, apart from the views: models on disk, classify, sweep, results to share.
@MainActor
final class BenchModel: ObservableObject {
    @Published var models: [URL] = []
    @Published var selected: URL?
    @Published var top5: [TopK] = []
    @Published var status = "Copy an artifact and its manifest into the app's Documents/models (Finder or Files)."
    @Published var progress: Double?
    @Published var resultFiles: [URL] = []

    /// Artifacts whose manifest beside them names this app: bundled in the app, or copied to Documents/models.
    func refresh() {
        let documents = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
        let folders = [
            documents.appendingPathComponent("models"), Bundle.main.resourceURL?.appendingPathComponent("models"),
        ]
        models = folders.compactMap { $0 }.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension != "json" }
                .filter { (try? Manifest.read(artifact: $0).runner()) != nil }
        }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        if selected == nil || !models.contains(selected!) {
            selected = models.first
        }
    }

    func classify(_ image: CGImage) {
        guard let artifact = selected else { return }
        status = "classifying with \(artifact.lastPathComponent) …"
        Task.detached {
            let text: String
            var top: [TopK] = []
            do {
                let model = try CloFormerClassifier(artifact: artifact)
                top = try model.classify(image)
                text = String(
                    format: "%@: %.1f ms (first inference)", artifact.lastPathComponent, model.lastInferenceMs)
            } catch {
                text = "cannot classify: \(error)"
            }
            await MainActor.run {
                self.top5 = top
                self.status = text
            }
        }
    }

    /// The compute-unit sweep (Core ML) or one ExecuTorch run, with progress; results written and shareable.
    func sweep() {
        guard let artifact = selected else { return }
        progress = 0
        status = "measuring \(artifact.lastPathComponent) …"
        Task.detached {
            let results = Sweep.run(artifact: artifact) { name, done, total in
                Task { @MainActor in
                    self.progress = total > 0 ? Double(done) / Double(total) : nil
                    self.status = "measuring \(artifact.lastPathComponent): \(name)"
                }
            }
            let files = (try? Sweep.write(results)) ?? []
            let lines = results.map { r in
                r.stats.map {
                    String(
                        format: "%@ %@: median %.2f ms, p90 %.2f ms", r.runtime.name, r.runtime.backend,
                        $0.median, $0.p90)
                }
                    ?? "\(r.runtime.name) \(r.runtime.backend): \(r.invalidReasons.joined(separator: "; "))"
            }
            await MainActor.run {
                self.progress = nil
                self.resultFiles = files
                self.status = lines.joined(separator: "\n")
            }
        }
    }
}
