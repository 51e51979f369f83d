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

    func testANameThatIsNotAFileInTheArtifactsFolderIsRefused() throws {
        let artifact = try Testing.artifact(in: dir, name: "m.mlpackage")
        XCTAssertNoThrow(try Manifest.read(artifact: artifact))  // as exported: plain names
        let exported = try JSONSerialization.jsonObject(with: Data(contentsOf: Manifest.url(for: artifact)))
        for field in ["artifact", "check.bundle", "check.cases.0.input.file", "check.cases.1.expected.file"] {
            for name in ["../x.check", "sub/x.check", "..\\x.check", "/etc/passwd", "", ".", ".."] {
                var json = exported as! [String: Any]
                var check = json["check"] as! [String: Any]
                var cases = check["cases"] as! [[String: Any]]
                switch field {
                case "artifact": json["artifact"] = name
                case "check.bundle": check["bundle"] = name
                case "check.cases.0.input.file":
                    var input = cases[0]["input"] as! [String: Any]
                    input["file"] = name
                    cases[0]["input"] = input
                default:
                    var expected = cases[1]["expected"] as! [String: Any]
                    expected["file"] = name
                    cases[1]["expected"] = expected
                }
                check["cases"] = cases
                json["check"] = check
                let data = try JSONSerialization.data(withJSONObject: json)
                XCTAssertThrowsError(try Manifest.parse(data, source: "m.mlpackage.json"), "\(field) = '\(name)'") {
                    XCTAssertEqual(
                        "\($0)",
                        "manifest field \(field): '\(name)' is not a file name in the artifact's folder; "
                            + "re-export the artifact")
                }
            }
        }
        // through the job: a failed result, like an unknown schema_version
        var check = (exported as! [String: Any])["check"] as! [String: Any]
        check["bundle"] = "../x.check"
        try rewrite(artifact, "check", check)
        let result = BenchmarkJob.run(
            artifact: artifact, runner: { Testing.FakeRunner() }, runtime: "coreml", backend: "all",
            protocol: BenchmarkProtocol(), platform: Testing.platform, clock: Testing.tickingClock(step: 1))
        XCTAssertFalse(result.valid)
        XCTAssertEqual(
            result.invalidReasons,
            [
                "manifest field check.bundle: '../x.check' is not a file name in the artifact's folder; "
                    + "re-export the artifact"
            ])
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
