#if canImport(CoreML)
    import CloFormerBenchCore
    import CoreML
    import Foundation

    /// Core ML on a .mlpackage (compiled on first load) or .mlmodelc, with one set of compute units.
    /// The sweep (Sweep.swift) runs the four that Apple's own performance report compares.
    public final class CoreMLRunner: Runner {
        public static let computeUnits: [(name: String, units: MLComputeUnits)] = [
            ("cpu_only", .cpuOnly), ("cpu_and_gpu", .cpuAndGPU), ("cpu_and_ne", .cpuAndNeuralEngine), ("all", .all),
        ]

        public let backend: String
        private let units: MLComputeUnits
        private var model: MLModel?
        private var compiled: URL?
        private var inputName = ""
        private var outputName = ""
        private var shape: [NSNumber] = []
        private var plan: [String: Int]?

        public init(computeUnits name: String) throws {
            guard let entry = Self.computeUnits.first(where: { $0.name == name }) else {
                throw BenchmarkError.invalid(
                    "unknown compute units \(name); choose one of \(Self.computeUnits.map(\.name).joined(separator: ", "))"
                )
            }
            backend = entry.name
            units = entry.units
        }

        public var runtime: String { "coreml" }

        public var version: String {
            let v = ProcessInfo.processInfo.operatingSystemVersion
            return "Core ML (OS \(v.majorVersion).\(v.minorVersion).\(v.patchVersion))"
        }

        public func load(artifact: URL, manifest: Manifest) throws {
            try checkAvailable()
            // A .mlpackage is compiled here, so load_ms covers compile + load; a .mlmodelc only loads.
            compiled = try artifact.pathExtension == "mlmodelc" ? artifact : MLModel.compileModel(at: artifact)
            let configuration = MLModelConfiguration()
            configuration.computeUnits = units
            let model = try MLModel(contentsOf: compiled!, configuration: configuration)
            guard let input = model.modelDescription.inputDescriptionsByName.first,
                let output = model.modelDescription.outputDescriptionsByName.first,
                let constraint = input.value.multiArrayConstraint
            else {
                throw BenchmarkError.invalid(
                    "\(artifact.lastPathComponent): not an image classifier with one tensor input and output")
            }
            let declared = constraint.shape.map(\.intValue)
            guard declared == manifest.inputShape else {
                throw BenchmarkError.invalid(
                    "the model's input is \(declared), its manifest says \(manifest.inputShape): copy the manifest written with this artifact"
                )
            }
            self.model = model
            inputName = input.key
            outputName = output.key
            shape = constraint.shape
            plan = Self.computePlan(of: compiled!, configuration: configuration)
        }

        /// A device without a Neural Engine (or GPU) would silently fall back to the CPU: refuse instead,
        /// so a cpu_and_ne figure always means the Neural Engine was there to use.
        private func checkAvailable() throws {
            let devices = MLModel.availableComputeDevices
            let hasNeuralEngine = devices.contains { if case .neuralEngine = $0 { return true } else { return false } }
            let hasGPU = devices.contains { if case .gpu = $0 { return true } else { return false } }
            if units == .cpuAndNeuralEngine && !hasNeuralEngine {
                throw BenchmarkError.invalid(
                    "compute units cpu_and_ne: this device has no Neural Engine available to Core ML")
            }
            if units == .cpuAndGPU && !hasGPU {
                throw BenchmarkError.invalid("compute units cpu_and_gpu: this device has no GPU available to Core ML")
            }
        }

        public func run(_ input: [Float]) throws -> [Float] {
            guard let model else { throw BenchmarkError.invalid("run before load") }
            let array = try MLMultiArray(shape: shape, dataType: .float32)
            input.withUnsafeBufferPointer { source in
                array.dataPointer.copyMemory(
                    from: source.baseAddress!, byteCount: source.count * MemoryLayout<Float>.size)
            }
            let features = try MLDictionaryFeatureProvider(dictionary: [inputName: MLFeatureValue(multiArray: array)])
            guard let logits = try model.prediction(from: features).featureValue(for: outputName)?.multiArrayValue
            else {
                throw BenchmarkError.invalid("the model's output \(outputName) is not a tensor")
            }
            return (0..<logits.count).map { logits[$0].floatValue }  // fp16 models return Float16 arrays
        }

        public func computePlan() -> [String: Int]? { plan }

        /// iOS 17.4+ / macOS 14.4+: which device Core ML prefers for each operation of the main function.
        static func computePlan(of compiled: URL, configuration: MLModelConfiguration) -> [String: Int]? {
            guard #available(iOS 17.4, macOS 14.4, *) else { return nil }
            let done = DispatchSemaphore(value: 0)
            var counts: [String: Int]?
            Task.detached {
                defer { done.signal() }
                guard let plan = try? await MLComputePlan.load(contentsOf: compiled, configuration: configuration),
                    case .program(let program) = plan.modelStructure,
                    let main = program.functions["main"]
                else { return }
                var tally: [String: Int] = [:]
                for operation in main.block.operations {
                    guard let usage = plan.deviceUsage(for: operation) else { continue }
                    switch usage.preferred {
                    case .cpu: tally["cpu", default: 0] += 1
                    case .gpu: tally["gpu", default: 0] += 1
                    case .neuralEngine: tally["neural_engine", default: 0] += 1
                    @unknown default: tally["other", default: 0] += 1
                    }
                }
                counts = tally
            }
            done.wait()
            return counts
        }
    }
#endif
