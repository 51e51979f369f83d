#if canImport(CoreGraphics)
    import CloFormerBenchCore
    import CoreGraphics
    import Foundation

    /// CloFormer in another app (README): an exported artifact and its manifest in, `classify(CGImage)` out.
    /// The image is resized, center-cropped and normalized as the manifest says, as parity checked it.
    ///
    ///     let model = try CloFormerClassifier(artifact: url)            // .mlpackage, .mlmodelc or .pte
    ///     let top5 = try model.classify(cgImage)                        // [TopK]: index, probability
    public final class CloFormerClassifier {
        public let manifest: Manifest
        private let runner: Runner
        /// How long the last classify() spent in the runtime (preprocessing excluded).
        public private(set) var lastInferenceMs = 0.0

        /// The runner its manifest names (`apps.ios`): Core ML with `computeUnits` (cpu_only, cpu_and_gpu,
        /// cpu_and_ne, all), or ExecuTorch.
        public init(artifact: URL, computeUnits: String = "all") throws {
            manifest = try Manifest.read(artifact: artifact)
            switch try manifest.runner() {
            #if canImport(ExecuTorch)
                case "executorch": runner = ExecuTorchRunner()
            #endif
            #if canImport(CoreML)
                case "coreml": runner = try CoreMLRunner(computeUnits: computeUnits)
            #endif
            case let other:
                throw BenchmarkError.invalid("\(artifact.lastPathComponent): its runner \(other) is not in this build")
            }
            try runner.load(artifact: artifact, manifest: manifest)
        }

        public func classify(_ image: CGImage, k: Int = 5) throws -> [TopK] {
            let width = image.width, height = image.height
            var rgba = [UInt8](repeating: 0, count: 4 * width * height)
            let drawn = rgba.withUnsafeMutableBytes { buffer -> Bool in
                guard
                    let context = CGContext(
                        data: buffer.baseAddress, width: width, height: height, bitsPerComponent: 8,
                        bytesPerRow: 4 * width,
                        space: CGColorSpace(name: CGColorSpace.sRGB)!,
                        bitmapInfo: CGImageAlphaInfo.premultipliedLast.rawValue)
                else { return false }
                context.draw(image, in: CGRect(x: 0, y: 0, width: width, height: height))
                return true
            }
            guard drawn else { throw BenchmarkError.invalid("cannot read the image's pixels") }
            let pixels = Preprocess.nchw(rgba: rgba, width: width, height: height, manifest: manifest)
            // A batch-N export gets N copies of the image.
            let batch = Array([[Float]](repeating: pixels, count: manifest.inputShape[0]).joined())
            let start = DispatchTime.now().uptimeNanoseconds
            let logits = try runner.run(batch)
            lastInferenceMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            return TopK.of(Array(logits.prefix(manifest.numClasses)), k: k, labels: manifest.labels)
        }
    }
#endif
