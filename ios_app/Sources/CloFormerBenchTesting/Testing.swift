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

    /// An artifact (any bytes) and its manifest, as cloformer-export leaves them; sha256 as given.
    public static func artifact(in directory: URL, name: String, sha256: String = String(repeating: "0", count: 64))
        throws -> URL
    {
        let url = directory.appendingPathComponent(name)
        try Data("not really a model".utf8).write(to: url)
        let manifest: [String: Any] = [
            "model": "cloformer_xxs", "target": "coreml", "backend": NSNull(), "precision": "fp16", "sha256": sha256,
            "num_classes": 1000, "input_shape": [1, 3, 64, 64], "artifact": name,
            "preprocessing": [
                "size": [64, 64], "scale": 1.0 / 255, "crop_fraction": 0.875, "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225], "layout": "NCHW", "color": "RGB", "dtype": "float32",
            ] as [String: Any],
        ]
        try JSONSerialization.data(withJSONObject: manifest).write(to: Manifest.url(for: url))
        return url
    }
}
