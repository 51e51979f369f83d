import CloFormerBenchCore
import Foundation

/// Stand-ins for the fixture executable and the tests (a target of its own: the app never links it): a runner that returns
/// logits without a model, a clock that ticks a known step, and a manifest as cloformer-export writes one.
public enum Testing {
    /// Returns the check bundle's expected outputs for its inputs, scaled by 1 + perturbation (a wrong
    /// delegate), and zeros of `outputs` values for any other input.
    public final class FakeRunner: Runner {
        public let outputs: Int
        public let perturbation: Float
        public var failOnLoad: String?
        public private(set) var calls = 0
        private var bundle: OutputCheck.Bundle?

        public init(outputs: Int = 1000, perturbation: Float = 0) {
            self.outputs = outputs
            self.perturbation = perturbation
        }

        public var runtime: String { "executorch" }
        public var version: String { "1.5.1" }
        public var backend: String { "xnnpack" }

        public func load(artifact: URL, manifest: Manifest) throws {
            if let failOnLoad { throw BenchmarkError.invalid(failOnLoad) }
            bundle = try OutputCheck.read(artifact: artifact, manifest: manifest)
        }

        public func run(_ input: [Float]) throws -> [Float] {
            calls += 1
            if let c = bundle?.cases.first(where: { $0.input == input }), c.expected.count == outputs {
                return c.expected.map { $0 * (1 + perturbation) }
            }
            return [Float](repeating: 0, count: outputs)
        }
    }

    /// Every reading advances `step` nanoseconds: each inference "takes" a known time; sleeps are free.
    public static func tickingClock(step: UInt64) -> Clock {
        var now: UInt64 = 0
        return Clock(
            now: {
                now += step; return now
            }, sleep: { _ in })
    }

    public static let platform = DevicePlatform(toolVersion: "test")

    /// The repository this package lives in (ios_app/ is one folder down): the Python side's shared data files.
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A JSON object from a file the Python side shares, by its path in the repository.
    public static func shared(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: repository.appendingPathComponent(path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchmarkError.invalid("\(path): not a JSON object")
        }
        return object
    }

    static let fixture = "tests/fixtures/manifests/cloformer_xxs_64x64_coreml_fp32.mlpackage"

    /// An artifact (any bytes), its manifest and its check bundle, as cloformer-export leaves them: a manifest
    /// it wrote and its real bundle (tests/fixtures/manifests, checked against the exporter and the schema by
    /// tests/test_fixtures.py), with this artifact's name and the sha256 given.
    public static func artifact(in directory: URL, name: String, sha256: String = String(repeating: "0", count: 64))
        throws -> URL
    {
        let url = directory.appendingPathComponent(name)
        try Data("not really a model".utf8).write(to: url)
        var manifest = try shared(fixture + ".json")
        let bundle = directory.appendingPathComponent((manifest["check"] as! [String: Any])["bundle"] as! String)
        if !FileManager.default.fileExists(atPath: bundle.path) {
            try FileManager.default.copyItem(at: repository.appendingPathComponent(fixture + ".check"), to: bundle)
        }
        manifest["sha256"] = sha256
        manifest["artifact"] = name
        try JSONSerialization.data(withJSONObject: manifest).write(to: Manifest.url(for: url))
        return url
    }
}
