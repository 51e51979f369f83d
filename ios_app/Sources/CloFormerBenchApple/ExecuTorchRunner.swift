#if canImport(ExecuTorch)
    import CloFormerBenchCore
    import ExecuTorch
    import Foundation

    /// ExecuTorch's Swift Module on a .pte. The backend is fixed at export (xnnpack, coreml, mps); a .pte
    /// delegated to a backend this app does not link is refused with the ones it has.
    public final class ExecuTorchRunner: Runner {
        /// The backends Package.swift links (backend_xnnpack, backend_coreml, backend_mps), by registered name.
        public static let linkedBackends: Set<String> = ["XnnpackBackend", "CoreMLBackend", "MPSBackend"]

        private var module: Module?
        private var shape: [Int] = []
        public private(set) var backend = "portable"

        public init() {}

        public var runtime: String { "executorch" }
        public var version: String { Versions.executorch }

        public func load(artifact: URL, manifest: Manifest) throws {
            let module = Module(filePath: artifact.path)
            let used = try module.methodMetadata("forward").backendNames
            let missing = Set(used).subtracting(Self.linkedBackends)
            guard missing.isEmpty else {
                throw BenchmarkError.invalid(
                    "this .pte is delegated to \(missing.sorted()), which this app's ExecuTorch does not link "
                        + "(it links \(Self.linkedBackends.sorted())); export for one of those")
            }
            try module.load("forward")
            self.module = module
            shape = manifest.inputShape
            backend = manifest.backend ?? "portable"
        }

        public func run(_ input: [Float]) throws -> [Float] {
            guard let module else { throw BenchmarkError.invalid("run before load") }
            let output = try Tensor<Float>(module.forward(Tensor<Float>(input, shape: shape)))
            return output.scalars()
        }
    }
#endif
