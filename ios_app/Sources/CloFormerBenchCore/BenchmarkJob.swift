import Foundation

#if canImport(CryptoKit)
    import CryptoKit
#endif

/// One runtime executing one artifact: Core ML, ExecuTorch, or a fake in tests.
public protocol Runner: AnyObject {
    /// As the result schema names it: coreml, executorch.
    var runtime: String { get }
    var version: String { get }
    /// The compute units or backend actually used, e.g. cpu_and_ne, xnnpack.
    var backend: String { get }
    /// Load (timed by the caller as load_ms); fail with the reason and the fix.
    func load(artifact: URL, manifest: Manifest) throws
    /// One inference on an NCHW float input of the manifest's shape; the logits.
    func run(_ input: [Float]) throws -> [Float]
    /// Core ML: operations per compute device, when the OS can tell; nil elsewhere.
    func computePlan() -> [String: Int]?
}

public extension Runner {
    func computePlan() -> [String: Int]? { nil }
}

/// What a result needs from the device it ran on; the app and the tests each provide one.
public protocol Platform {
    var device: BenchmarkResult.Device { get }
    var toolVersion: String { get }
    /// Peak or current memory footprint of this process in MB, or nil where unknown.
    func memory() -> BenchmarkResult.Memory
}

/// One benchmark: read the manifest, check the artifact against it, load, measure, return the result.
/// Never throws: whatever goes wrong becomes a result with valid=false and the reason.
public enum BenchmarkJob {
    public static func run(
        artifact: URL, runner makeRunner: () throws -> Runner, runtime: String, backend: String,
        protocol: BenchmarkProtocol, platform: Platform, clock: Clock = .system,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> BenchmarkResult {
        var result = BenchmarkResult(
            device: platform.device, toolVersion: platform.toolVersion,
            runtime: .init(name: runtime, version: "unknown", backend: backend, threads: nil),
            artifactPath: artifact.path, protocol: `protocol`)
        do {
            guard FileManager.default.isReadableFile(atPath: artifact.path) else {
                throw BenchmarkError.invalid(
                    "\(artifact.path): missing or unreadable; copy the artifact into the app first")
            }
            let manifest = try Manifest.read(artifact: artifact)
            result.describe(manifest)
            if let sha = try sha256(of: artifact), sha != manifest.sha256 {
                throw BenchmarkError.invalid(
                    "\(artifact.lastPathComponent): sha256 \(sha.prefix(12))… differs from its manifest's "
                        + "\(manifest.sha256.prefix(12))…; copy the artifact and the manifest from the same export")
            }
            let runner = try makeRunner()
            result.runtime.name = runner.runtime
            result.runtime.version = runner.version
            // The check bundle before the (slow) load: a damaged one fails the run, a missing one is "absent".
            let bundle = try OutputCheck.read(artifact: artifact, manifest: manifest)
            let start = clock.now()
            try runner.load(artifact: artifact, manifest: manifest)
            let loadMs = Double(clock.now() - start) / 1e6
            result.runtime.backend = runner.backend
            // Before timing: outputs of the bundle's inputs against the reference (a delegate bug, an old
            // runtime or fp16 overflow on the Neural Engine computes something else).
            result.check = try OutputCheck.run(bundle, runner: runner, rows: manifest.inputShape[0])
            let input = randomInput(count: manifest.inputCount)
            let logits = try runner.run(input)
            guard logits.count == manifest.inputShape[0] * manifest.numClasses else {
                throw BenchmarkError.invalid(
                    "the model returned \(logits.count) values, its manifest promises "
                        + "\(manifest.inputShape[0] * manifest.numClasses) (batch x num_classes): copy the manifest written with this artifact"
                )
            }
            let m = try `protocol`.measure(clock: clock, progress: progress) { _ = try runner.run(input) }
            result.measured(loadMs: loadMs, m, memory: platform.memory())
            if result.check.status == "fail" { result.invalidate(OutputCheck.failed + (result.check.reason ?? "")) }
            result.computePlan = runner.computePlan()
        } catch {
            result.fail("\(error)")
        }
        return result
    }

    /// Seeded N(0, 1) input (Box-Muller on a fixed LCG): latency does not depend on pixel values.
    static func randomInput(count: Int) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        return (0..<count).map { _ in Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())) }
    }

    /// The artifact's sha256 as the manifest records it; a directory (.mlpackage) or a platform without
    /// CryptoKit: nil (cloformer-export hashes a package's files, which this app does not repeat).
    static func sha256(of url: URL) throws -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return nil
        }
        #if canImport(CryptoKit)
            let data = try Data(contentsOf: url, options: .mappedIfSafe)
            return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        #else
            return nil
        #endif
    }
}
