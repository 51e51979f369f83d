import CloFormerBenchApple
import CloFormerBenchCore
import XCTest

/// The benchmark on a device from `xcodebuild test` (README): every artifact in Documents/models or in
/// this bundle's models folder, through the same protocol as the app, results written to
/// Documents/results (what `cloformer-bench ios` collects) and attached to the test report.
final class DeviceBenchmarkTests: XCTestCase {
    func testSweepEveryArtifact() throws {
        let documents = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
        let folders = [
            documents.appendingPathComponent("models"),
            Bundle(for: Self.self).resourceURL!.appendingPathComponent("models"),
        ]
        let artifacts = folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { ["mlpackage", "mlmodelc", "pte"].contains($0.pathExtension) }
        }
        XCTAssertFalse(artifacts.isEmpty, "no artifact in Documents/models or the test bundle's models folder")
        for artifact in artifacts {
            let results = Sweep.run(artifact: artifact)
            for (url, result) in zip(try Sweep.write(results), results) {
                let attachment = XCTAttachment(contentsOfFile: url)
                attachment.lifetime = .keepAlways
                add(attachment)
                // A failed run is a result too; the test fails only when none of an artifact's runs measured.
                if !result.valid { print("\(url.lastPathComponent): \(result.invalidReasons)") }
            }
            XCTAssertTrue(results.contains { $0.stats != nil }, "\(artifact.lastPathComponent): no run measured")
        }
    }
}
