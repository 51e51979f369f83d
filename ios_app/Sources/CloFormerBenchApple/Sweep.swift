import CloFormerBenchCore
import Foundation

/// The iOS measurements of one artifact, by the runner its manifest names (`apps.ios`): a Core ML model
/// under each compute-unit setting (the sweep), or a .pte once with the backend it was exported for.
/// Each run is one result; none throws.
public enum Sweep {
    public static func run(
        artifact: URL, protocol proto: BenchmarkProtocol = BenchmarkProtocol(),
        platform: Platform = DevicePlatform(toolVersion: Versions.app),
        progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }
    ) -> [BenchmarkResult] {
        let runner: String
        do {
            runner = try Manifest.read(artifact: artifact).runner()
        } catch {
            return [failed(artifact, platform: platform, protocol: proto, reason: "\(error)")]
        }
        switch runner {
        #if canImport(CoreML)
            case "coreml":
                return CoreMLRunner.computeUnits.map { entry in
                    BenchmarkJob.run(
                        artifact: artifact, runner: { try CoreMLRunner(computeUnits: entry.name) },
                        runtime: "coreml", backend: entry.name, protocol: proto, platform: platform,
                        progress: { progress(entry.name, $0, $1) })
                }
        #endif
        #if canImport(ExecuTorch)
            case "executorch":
                return [
                    BenchmarkJob.run(
                        artifact: artifact, runner: { ExecuTorchRunner() }, runtime: "executorch",
                        backend: "default", protocol: proto, platform: platform,
                        progress: { progress("executorch", $0, $1) })
                ]
        #endif
        default:
            return [
                failed(
                    artifact, platform: platform, protocol: proto,
                    reason: "\(artifact.lastPathComponent): its runner \(runner) is not in this build of the app")
            ]
        }
    }

    private static func failed(_ artifact: URL, platform: Platform, protocol proto: BenchmarkProtocol, reason: String)
        -> BenchmarkResult
    {
        var result = BenchmarkResult(
            device: platform.device, toolVersion: platform.toolVersion,
            runtime: .init(name: "unknown", version: "unknown", backend: "default", threads: nil),
            artifactPath: artifact.path, protocol: proto)
        result.fail(reason)
        return result
    }

    /// Where results go: Documents/results, which `cloformer-bench ios` collects once copied off the device.
    public static var resultsDirectory: URL {
        FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0].appendingPathComponent("results")
    }

    /// `<model>_<runtime>_<backend>_<time>.json`, so a sweep's four files sort together.
    public static func write(_ results: [BenchmarkResult], to directory: URL = resultsDirectory) throws -> [URL] {
        try results.map { r in
            let name = [r.model ?? "unknown", r.runtime.name, r.runtime.backend, r.created]
                .joined(separator: "_").replacingOccurrences(of: ":", with: "-")
            return try r.write(to: directory, name: name)
        }
    }
}
