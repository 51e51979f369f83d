import CloFormerBenchTesting
import XCTest

@testable import CloFormerBenchCore

final class BenchmarkJobTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    func run(_ artifact: URL, _ runner: Testing.FakeRunner) -> BenchmarkResult {
        BenchmarkJob.run(
            artifact: artifact, runner: { runner }, runtime: "coreml", backend: "all",
            protocol: BenchmarkProtocol(), platform: Testing.platform,
            clock: Testing.tickingClock(step: 1_000_000))
    }

    func testAMeasurementHasEveryField() throws {
        let runner = Testing.FakeRunner()
        let result = run(try Testing.artifact(in: dir, name: "m.mlpackage"), runner)
        XCTAssertTrue(result.valid, "\(result.invalidReasons)")
        XCTAssertEqual(result.latenciesMs.count, 50)
        XCTAssertEqual(runner.calls, 1 + 1 + 10 + 50)  // output check, cold, warm-up, timed
        XCTAssertEqual(result.model, "cloformer_xxs")
        XCTAssertEqual(result.stats?.median ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(result.device.kind, "ios")
    }

    func testAMissingArtifactIsAFailedResult() {
        let result = run(dir.appendingPathComponent("nowhere.mlpackage"), Testing.FakeRunner())
        XCTAssertFalse(result.valid)
        XCTAssertNil(result.stats)
        XCTAssertTrue(result.invalidReasons[0].contains("nowhere.mlpackage: missing or unreadable"))
    }

    func testAMissingManifestSaysWhereItShouldBe() throws {
        let artifact = dir.appendingPathComponent("alone.pte")
        try Data("x".utf8).write(to: artifact)
        let result = run(artifact, Testing.FakeRunner())
        XCTAssertTrue(result.invalidReasons[0].contains("alone.pte.json: cannot read the manifest"))
    }

    func testShapeMismatchAndUnavailableComputeUnitsSayWhy() throws {
        let artifact = try Testing.artifact(in: dir, name: "m.mlpackage")
        XCTAssertTrue(
            run(artifact, Testing.FakeRunner(outputs: 10)).invalidReasons[0]
                .contains("the model returned 10 values, its manifest promises 1000"))
        let runner = Testing.FakeRunner()
        runner.failOnLoad = "compute units cpu_and_ne: this device has no Neural Engine"
        let result = run(artifact, runner)
        XCTAssertEqual(result.invalidReasons, [runner.failOnLoad!])
        XCTAssertEqual(result.model, "cloformer_xxs")  // what is known stays in the result
    }

    func testResultsKeepNullKeysAndWriteAtomically() throws {
        let failed = run(dir.appendingPathComponent("nowhere.pte"), Testing.FakeRunner())
        let url = try failed.write(to: dir.appendingPathComponent("results"), name: "run42")
        XCTAssertEqual(url.lastPathComponent, "run42.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for key in ["model", "stats", "load_ms", "first_ms", "sustained", "input_shape", "precision"] {
            XCTAssertTrue(json[key] is NSNull, key)
        }
        XCTAssertNil(json["compute_plan"])
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path),
            ["run42.json"])
    }
}
