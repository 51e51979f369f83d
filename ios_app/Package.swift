// swift-tools-version:5.9
import PackageDescription

// The one place the ExecuTorch version lives: the runtime matched to the Python side
// (pyproject.toml: executorch==1.5.1), from ExecuTorch's SwiftPM branches (swiftpm-<version>).
let executorchVersion = "1.5.1"

// CloFormerBenchCore is Foundation only and builds (and is tested) on Linux. The Core ML / ExecuTorch /
// SwiftUI code needs Apple's SDKs and ExecuTorch's binary frameworks: declared on Apple platforms only,
// so `swift build` on Linux neither fetches ExecuTorch nor compiles them (CI parses them instead).
var products: [Product] = [.library(name: "CloFormerBenchCore", targets: ["CloFormerBenchCore"])]
var dependencies: [Package.Dependency] = []
var targets: [Target] = [
    .target(name: "CloFormerBenchCore"),
    .target(name: "CloFormerBenchTesting", dependencies: ["CloFormerBenchCore"]),
    .executableTarget(name: "cloformer-bench-fixture", dependencies: ["CloFormerBenchCore", "CloFormerBenchTesting"]),
    .testTarget(
        name: "CloFormerBenchCoreTests", dependencies: ["CloFormerBenchCore", "CloFormerBenchTesting"],
        resources: [.copy("Fixtures")]),
]

#if os(macOS)
    dependencies.append(
        .package(url: "https://github.com/pytorch/executorch.git", branch: "swiftpm-\(executorchVersion)"))
    products.append(.library(name: "CloFormerBenchApple", targets: ["CloFormerBenchApple"]))
    targets.append(
        .target(
            name: "CloFormerBenchApple",
            dependencies: [
                "CloFormerBenchCore",
                .product(name: "executorch", package: "executorch"),
                .product(name: "backend_xnnpack", package: "executorch"),
                .product(name: "backend_coreml", package: "executorch"),
                .product(name: "backend_mps", package: "executorch"),
                .product(name: "kernels_optimized", package: "executorch"),
                .product(name: "kernels_quantized", package: "executorch"),
            ],
            // Backends and kernels register themselves from static initializers: keep them all.
            linkerSettings: [.unsafeFlags(["-Wl,-all_load"])]))
#endif

let package = Package(
    name: "CloFormerBench",
    platforms: [.iOS(.v17), .macOS(.v14)],  // ExecuTorch's package requires iOS 17 / macOS 14
    products: products,
    dependencies: dependencies,
    targets: targets)
