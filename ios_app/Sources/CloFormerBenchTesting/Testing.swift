import CloFormerBenchCore
import Foundation

/// Stand-ins for the fixture executable and the tests (a target of its own: the app never links it): a runner that returns
/// logits without a model, a clock that ticks a known step, and a manifest as cloformer-export writes one.
public enum Testing {
    public final class FakeRunner: Runner {
        public let outputs: Int
        public var failOnLoad: String?
        public private(set) var calls = 0

        public init(outputs: Int = 1000) {
            self.outputs = outputs
        }

        public var runtime: String { "executorch" }
        public var version: String { "1.5.1" }
        public var backend: String { "xnnpack" }

        public func load(artifact: URL, manifest: Manifest) throws {
            if let failOnLoad { throw BenchmarkError.invalid(failOnLoad) }
        }

        public func run(_ input: [Float]) throws -> [Float] {
            calls += 1
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

    /// An artifact (any bytes) and its manifest, as cloformer-export leaves them: a manifest it wrote
    /// (tests/fixtures/manifests, checked against the exporter and the schema by tests/test_fixtures.py),
    /// with this artifact's name and the sha256 given.
    public static func artifact(in directory: URL, name: String, sha256: String = String(repeating: "0", count: 64))
        throws -> URL
    {
        let url = directory.appendingPathComponent(name)
        try Data("not really a model".utf8).write(to: url)
        var manifest = try shared("tests/fixtures/manifests/cloformer_xxs_224x224_coreml_fp32.mlpackage.json")
        manifest["sha256"] = sha256
        manifest["artifact"] = name
        try JSONSerialization.data(withJSONObject: manifest).write(to: Manifest.url(for: url))
        return url
    }
}
