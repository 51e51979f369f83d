import Foundation

/// The export manifest written beside every artifact (`<artifact>.json`): what the app needs of it.
public struct Manifest: Decodable {
    /// The manifest schema_version this app reads (export/contracts/manifest.schema.json).
    public static let schemaVersion = 2
    /// This app's entry in the manifest's `apps`: the platform name cloformer-bench gives it.
    public static let app = "ios"

    /// How a companion app runs the artifact, as its target declares: the runner and its backend.
    public struct AppRun: Decodable {
        public let runner: String
        public let backend: String?
    }

    public struct Preprocessing: Decodable {
        public let mean: [Float]
        public let std: [Float]
        public let scale: Float
        public let layout: String
        public let color: String
        /// Manifests written before crop_fraction was recorded used 0.875.
        public let cropFraction: Double?

        enum CodingKeys: String, CodingKey {
            case mean, std, scale, layout, color
            case cropFraction = "crop_fraction"
        }
    }

    /// The check bundle's section: the folder beside the artifact, the tolerance, the cases' files.
    public struct CheckSection: Decodable {
        public struct File: Decodable {
            public let file: String
            public let shape: [Int]
            public let sha256: String
        }

        public struct Case: Decodable {
            public let name: String
            public let input: File
            public let expected: File
        }

        public let bundle: String
        public let tolerance: BenchmarkResult.Check.Tolerance
        public let cases: [Case]
    }

    public let model: String
    /// The file name the artifact was written under (in the manifest's folder).
    public let artifact: String
    public let target: String
    /// The export backend (xnnpack, coreml, mps, ...) or null (ONNX, Core ML).
    public let backend: String?
    public let precision: String
    public let sha256: String
    public let inputShape: [Int]
    public let numClasses: Int
    public let preprocessing: Preprocessing
    public let check: CheckSection
    /// Class names in index order (cloformer-export --labels), or nil: then classes show as indices.
    public let labels: [String]?
    /// Companion app -> how it runs the artifact; an app not named does not run it.
    public let apps: [String: AppRun]

    enum CodingKeys: String, CodingKey {
        case model, artifact, target, backend, precision, sha256, preprocessing, check, labels, apps
        case inputShape = "input_shape"
        case numClasses = "num_classes"
    }

    /// The runner this app runs the artifact with (coreml, executorch), from `apps.ios`.
    public func runner() throws -> String {
        guard let run = apps[Manifest.app] else {
            let named = apps.keys.sorted().joined(separator: ", ")
            throw BenchmarkError.invalid(
                "its manifest names no runner for the iOS app (apps: \(named.isEmpty ? "none" : named)): this --target runs elsewhere; export one the app runs (cloformer-export --help)"
            )
        }
        return run.runner
    }

    public var height: Int { inputShape[2] }
    public var width: Int { inputShape[3] }
    public var inputCount: Int { inputShape.reduce(1, *) }
    public var cropFraction: Double { preprocessing.cropFraction ?? 0.875 }

    /// Where cloformer-export writes an artifact's manifest.
    public static func url(for artifact: URL) -> URL {
        artifact.deletingLastPathComponent().appendingPathComponent(artifact.lastPathComponent + ".json")
    }

    private struct Version: Decodable {
        let schemaVersion: Int

        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }

    public static func parse(_ data: Data, source: String) throws -> Manifest {
        if let version = try? JSONDecoder().decode(Version.self, from: data).schemaVersion, version != schemaVersion {
            throw BenchmarkError.invalid(
                "manifest schema_version \(version) is not \(schemaVersion), the version this app reads: re-export with the cloformer-export this app was built with, or install the app that matches it"
            )
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw BenchmarkError.invalid(
                "\(source): not a cloformer-export manifest (\(error)); copy the .json cloformer-export wrote beside the artifact"
            )
        }
        try fileName("artifact", manifest.artifact)
        try fileName("check.bundle", manifest.check.bundle)
        for (i, c) in manifest.check.cases.enumerated() {
            try fileName("check.cases.\(i).input.file", c.input.file)
            try fileName("check.cases.\(i).expected.file", c.expected.file)
        }
        let p = manifest.preprocessing
        guard p.layout == "NCHW", p.color == "RGB" else {
            throw BenchmarkError.invalid(
                "manifest preprocessing is \(p.layout) \(p.color); this app feeds NCHW RGB: re-export")
        }
        guard manifest.inputShape.count == 4, manifest.inputShape[1] == 3, p.mean.count == 3, p.std.count == 3 else {
            throw BenchmarkError.invalid(
                "manifest input_shape \(manifest.inputShape) is not (batch, 3, height, width) with 3 means and stds; re-export"
            )
        }
        if let labels = manifest.labels, labels.count != manifest.numClasses {
            throw BenchmarkError.invalid(
                "manifest has \(labels.count) labels for \(manifest.numClasses) classes; re-export with cloformer-export --labels"
            )
        }
        return manifest
    }

    /// A name the app joins to the artifact's folder (artifact, check.bundle, the bundle's files) must be a plain
    /// file name in that folder: not empty, no / or \, not . or .. (a manifest must never point outside its folder).
    static func fileName(_ field: String, _ name: String) throws {
        guard name.isEmpty || name.contains("/") || name.contains("\\") || name == "." || name == ".." else { return }
        throw BenchmarkError.invalid(
            "manifest field \(field): '\(name)' is not a file name in the artifact's folder; re-export the artifact")
    }

    public static func read(artifact: URL) throws -> Manifest {
        let url = url(for: artifact)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BenchmarkError.invalid("\(url.path): cannot read the manifest; copy it beside the artifact")
        }
        return try parse(data, source: url.path)
    }
}
