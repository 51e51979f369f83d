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
        XCTAssertEqual(runner.calls, 2 + 1 + 1 + 10 + 50)  // bundle check, output size, cold, warm-up, timed
        XCTAssertEqual(result.model, "cloformer_xxs")
        XCTAssertEqual(result.stats?.median ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(result.device.kind, "ios")
    }

    func testTheOutputCheckPassesOnTheTrueOutputsAndFailsOnesOnePercentOff() throws {
        let good = run(try Testing.artifact(in: dir, name: "m.mlpackage"), Testing.FakeRunner())
        XCTAssertEqual(good.check.status, "pass")
        XCTAssertNil(good.check.reason)
        XCTAssertEqual(good.check.cases.map(\.name), ["astronaut", "random"])
        XCTAssertEqual(good.check.cases[0].sqnrDb, 200)
        XCTAssertEqual(good.check.tolerance?.maxAbsDiff, 1e-4)
        XCTAssertTrue(good.valid, "\(good.invalidReasons)")

        let bad = run(try Testing.artifact(in: dir, name: "m.mlpackage"), Testing.FakeRunner(perturbation: 0.01))
        XCTAssertFalse(bad.valid)
        XCTAssertEqual(bad.latenciesMs.count, 50)  // the latency is kept
        XCTAssertEqual(bad.check.status, "fail")
        XCTAssertTrue(
            bad.invalidReasons[0].hasPrefix("outputs differ from the reference: astronaut max abs diff "),
            bad.invalidReasons[0])
        XCTAssertTrue(bad.invalidReasons[0].contains("dB < 47 dB"), bad.invalidReasons[0])
        XCTAssertEqual(bad.check.cases[0].sqnrDb, 40, accuracy: 0.5)  // 1 % of the signal: 40 dB
        XCTAssertEqual(bad.check.cases[0].top5Agreement, 1)
    }

    static let bundle = "cloformer_xxs_64x64_coreml_fp32.mlpackage.check"

    func testAnArtifactCopiedWithoutItsBundleFolderRunsWithCheckAbsent() throws {
        let artifact = try Testing.artifact(in: dir, name: "m.mlpackage")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(Self.bundle))
        let result = run(artifact, Testing.FakeRunner())
        XCTAssertTrue(result.valid, "\(result.invalidReasons)")
        XCTAssertEqual(result.check.status, "absent")
        XCTAssertEqual(
            result.check.reason, "\(Self.bundle) is missing: copy the artifact's .check folder beside it")
    }

    /// The bundle's folder is there, but `edit` made random.expected.npy something other than its manifest says
    /// (`refit`: the manifest's sha256 then edited to fit the file, where it is checked; `shape`: its shape
    /// edited): the run's reason.
    func damaged(refit: Bool = false, shape: [Int]? = nil, _ edit: (URL) throws -> Void) throws -> String {
        let folder = dir.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let artifact = try Testing.artifact(in: folder, name: "m.mlpackage")
        let file = folder.appendingPathComponent(Self.bundle).appendingPathComponent("random.expected.npy")
        try edit(file)
        let url = Manifest.url(for: artifact)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var check = json["check"] as! [String: Any]
        var cases = check["cases"] as! [[String: Any]]
        var expected = cases[1]["expected"] as! [String: Any]
        if refit, let sha = try BenchmarkJob.sha256(of: file) { expected["sha256"] = sha }
        if let shape { expected["shape"] = shape }
        cases[1]["expected"] = expected
        check["cases"] = cases
        json["check"] = check
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let runner = Testing.FakeRunner()
        let result = run(artifact, runner)
        XCTAssertFalse(result.valid)
        XCTAssertNil(result.stats)
        XCTAssertEqual(result.latenciesMs.count, 0)
        XCTAssertEqual(runner.calls, 0)  // refused before anything ran
        XCTAssertEqual(result.model, "cloformer_xxs")  // what is known stays in the result
        XCTAssertEqual(result.invalidReasons.count, 1)
        return result.invalidReasons.first ?? ""
    }

    func damagedReason(_ what: String) -> String {
        "the check bundle \(Self.bundle) is damaged: random.expected.npy \(what); re-export the artifact, or copy "
            + "its .check folder again"
    }

    func testADamagedBundleFailsTheRunNamingTheFileAndWhatIsWrong() throws {
        XCTAssertEqual(try damaged { try FileManager.default.removeItem(at: $0) }, damagedReason("is missing"))
        #if canImport(CryptoKit)  // Linux does not re-check digests (no CryptoKit)
            let other = try Data(
                contentsOf: Testing.repository.appendingPathComponent(
                    "tests/fixtures/manifests/\(Self.bundle)/astronaut.expected.npy"))
            XCTAssertEqual(
                try damaged { try other.write(to: $0) }, damagedReason("does not match its manifest's sha256"))
        #endif
        XCTAssertEqual(
            try damaged(refit: true) { try Data("not npy".utf8).write(to: $0) },
            damagedReason("is not a .npy file (not a version 1 .npy file)"))
        XCTAssertEqual(
            try damaged(shape: [1, 10]) { _ in }, damagedReason("holds float32 [1, 1000], not float32 [1, 10]"))
        let header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1000), }".utf8)
        let float64 = Data(
            [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header
                + [UInt8](repeating: 0, count: 8000))
        XCTAssertEqual(
            try damaged(refit: true) { try float64.write(to: $0) },
            damagedReason("holds float64 [1, 1000], not float32 [1, 1000]"))
    }

    func testANpyFileOtherThanFloat32IsRefused() {
        let header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".utf8)
        let bytes = Data(
            [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header
                + [UInt8](repeating: 0, count: 16))
        XCTAssertThrowsError(try Npy.parse(bytes, source: "x.npy")) {
            XCTAssertTrue("\($0)".contains("x.npy: not little-endian float32 in C order"), "\($0)")
            XCTAssertEqual(($0 as? Npy.Invalid)?.dtype, "float64")  // what it holds, for the check's reason
            XCTAssertEqual(($0 as? Npy.Invalid)?.shape, [2])
        }
    }

    func testLabelsNameTheClasses() {
        var logits = [Float](repeating: 0, count: 10)
        logits[7] = 9
        let top = TopK.of(logits, k: 1, labels: (0..<10).map { $0 == 7 ? "Sneaker" : "c\($0)" })
        XCTAssertEqual(top[0].label, "Sneaker")
        XCTAssertTrue(top[0].description.hasPrefix("Sneaker: "))
        XCTAssertTrue(TopK.of(logits, k: 1)[0].description.hasPrefix("class 7: "))
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
