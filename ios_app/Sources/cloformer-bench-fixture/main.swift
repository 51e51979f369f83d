// Entry points for tests/ios_app (pytest): the Swift core's statistics, preprocessing and results,
// checked against the Python implementation and the result schema, which only Python has.
//
//   stats LATENCIES_TXT                       -> stats JSON on stdout
//   preprocess RGBA W H OUT_H OUT_W OUT_F32   -> NCHW float32 (little-endian), manifest normalization
//   results DIR                               -> DIR/{measured,sustained,failed}.json
//   check ARTIFACT PERTURBATION               -> the output check of a real artifact's bundle (OutputCheck.read,
//                                                .run) against the bundle's outputs x (1 + PERTURBATION), as JSON
import CloFormerBenchCore
import CloFormerBenchTesting
import Foundation

let args = CommandLine.arguments
switch args[1] {
case "stats":
    let text = try String(contentsOfFile: args[2], encoding: .utf8)
    let latencies = text.split(separator: "\n").compactMap { Double($0) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(Stats.summarize(latencies)), as: UTF8.self))
case "preprocess":
    let rgba = [UInt8](FileManager.default.contents(atPath: args[2])!)
    let out = Preprocess.nchw(
        rgba: rgba, width: Int(args[3])!, height: Int(args[4])!, outHeight: Int(args[5])!, outWidth: Int(args[6])!,
        cropFraction: 0.875, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    try out.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: args[7]))  // x86 and arm64: little-endian
case "results":
    let dir = URL(fileURLWithPath: args[2])
    let artifact = try Testing.artifact(in: dir, name: "cloformer_xxs_64x64_coreml_fp32.mlpackage")
    let runner = Testing.FakeRunner()
    func job(_ artifact: URL, _ proto: BenchmarkProtocol, step: UInt64) -> BenchmarkResult {
        BenchmarkJob.run(
            artifact: artifact, runner: { runner }, runtime: "coreml", backend: "all", protocol: proto,
            platform: Testing.platform, clock: Testing.tickingClock(step: step))
    }
    try job(artifact, BenchmarkProtocol(), step: 1_000_000).write(to: dir, name: "measured")
    try job(artifact, BenchmarkProtocol(warmup: 2, sustainedSeconds: 2, cooldownSeconds: 0.5), step: 50_000_000)
        .write(to: dir, name: "sustained")
    try job(dir.appendingPathComponent("missing.mlpackage"), BenchmarkProtocol(), step: 1).write(
        to: dir, name: "failed")
case "check":
    let artifact = URL(fileURLWithPath: args[2])
    let manifest = try Manifest.read(artifact: artifact)
    let runner = Testing.FakeRunner(
        outputs: manifest.inputShape[0] * manifest.numClasses, perturbation: Float(args[3])!)
    try runner.load(artifact: artifact, manifest: manifest)
    let check = try OutputCheck.run(
        OutputCheck.read(artifact: artifact, manifest: manifest), runner: runner, rows: manifest.inputShape[0])
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(check), as: UTF8.self))
default:
    FileHandle.standardError.write(Data("unknown fixture \(args[1])\n".utf8))
    exit(2)
}
