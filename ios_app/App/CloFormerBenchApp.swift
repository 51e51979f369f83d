import SwiftUI

@main
struct CloFormerBenchApp: App {
    var body: some Scene {
        WindowGroup {
            ContentView()
        }
    }
}
