import CloFormerBenchTesting
import XCTest

@testable import CloFormerBenchCore

/// What the app reads of a manifest: the contract's schema_version, and the runner its target names for this app.
final class ManifestTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    /// The artifact's manifest with `key` set to `value`.
    func rewrite(_ artifact: URL, _ key: String, _ value: Any) throws {
        let url = Manifest.url(for: artifact)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json[key] = value
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    func testItReadsTheSchemaVersionOfTheSharedContract() throws {
        let schema = try Testing.shared("export/contracts/manifest.schema.json")
        let properties = schema["properties"] as! [String: Any]
        XCTAssertEqual((properties["schema_version"] as! [String: Any])["const"] as? Int, Manifest.schemaVersion)
    }

    func testASchemaVersionItDoesNotKnowIsOneLine() throws {
        let artifact = try Testing.artifact(in: dir, name: "m.mlpackage")
        try rewrite(artifact, "schema_version", 3)
        XCTAssertThrowsError(try Manifest.read(artifact: artifact)) { error in
            XCTAssertEqual(
                "\(error)",
                "manifest schema_version 3 is not 2, the version this app reads: re-export with the cloformer-export "
                    + "this app was built with, or install the app that matches it")
        }
    }

    func testTheRunnerIsTheOneItsManifestNamesForThisApp() throws {
        let artifact = try Testing.artifact(in: dir, name: "m.mlpackage")
        XCTAssertEqual(try Manifest.read(artifact: artifact).runner(), "coreml")
        try rewrite(artifact, "apps", ["android": ["runner": "onnxruntime", "backend": NSNull()]])
        XCTAssertThrowsError(try Manifest.read(artifact: artifact).runner()) { error in
            let expected = "its manifest names no runner for the iOS app (apps: android)"
            XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)")
        }
    }
}
