import Foundation

/// One benchmark result as export/contracts/result.schema.json defines it (schema_version 1). A failed run
/// (the artifact could not be loaded or run) is a result too: no latencies, stats null, the reason.
public struct BenchmarkResult: Codable {
    public struct Tool: Codable {
        public var name = "ios_app"
        public var version: String
    }

    public struct Device: Codable {
        public var kind = "ios"
        public var model: String
        public var os: String
        public var soc: String
        public var cores: Int
        @NullEncoded public var serial: String? = nil

        public init(model: String, os: String, soc: String, cores: Int, serial: String? = nil) {
            self.model = model
            self.os = os
            self.soc = soc
            self.cores = cores
            self.serial = serial
        }
    }

    public struct Runtime: Codable {
        public var name: String
        public var version: String
        public var backend: String
        @NullEncoded public var threads: Int? = nil

        public init(name: String, version: String, backend: String, threads: Int?) {
            self.name = name
            self.version = version
            self.backend = backend
            self.threads = threads
        }
    }

    public struct Artifact: Codable {
        @NullEncoded public var path: String? = nil
        @NullEncoded public var sha256: String? = nil
    }

    public struct Memory: Codable {
        @NullEncoded public var peakRssMb: Double? = nil
        @NullEncoded public var pssMb: Double? = nil

        enum CodingKeys: String, CodingKey {
            case peakRssMb = "peak_rss_mb"
            case pssMb = "pss_mb"
        }
    }

    /// The output check against the artifact's check bundle (OutputCheck), made before timing.
    public struct Check: Codable {
        public struct Tolerance: Codable {
            public let maxAbsDiff: Double
            public let minSqnrDb: Double

            enum CodingKeys: String, CodingKey {
                case maxAbsDiff = "max_abs_diff"
                case minSqnrDb = "min_sqnr_db"
            }
        }

        public struct Case: Codable {
            public let name: String
            public let maxAbsDiff: Double
            public let sqnrDb: Double
            public let top5Agreement: Double

            enum CodingKeys: String, CodingKey {
                case name
                case maxAbsDiff = "max_abs_diff"
                case sqnrDb = "sqnr_db"
                case top5Agreement = "top5_agreement"
            }
        }

        public var status: String
        @NullEncoded public var reason: String? = nil
        @NullEncoded public var tolerance: Tolerance? = nil
        public var cases: [Case] = []

        public static func absent(_ reason: String) -> Check {
            Check(status: "absent", reason: reason, tolerance: nil, cases: [])
        }
    }

    public var schemaVersion = 1
    public var created: String
    public var tool: Tool
    public var device: Device
    public var runtime: Runtime
    @NullEncoded public var model: String? = nil
    public var artifact: Artifact
    @NullEncoded public var inputShape: [Int]? = nil
    @NullEncoded public var precision: String? = nil
    public var `protocol`: BenchmarkProtocol
    @NullEncoded public var loadMs: Double? = nil
    @NullEncoded public var firstMs: Double? = nil
    public var latenciesMs: [Double] = []
    @NullEncoded public var stats: Stats.Summary? = nil
    public var memory = Memory()
    @NullEncoded public var sustained: Stats.Sustained? = nil
    public var check = Check.absent("the artifact did not run")
    public var valid = false
    public var invalidReasons: [String] = []
    /// Core ML on iOS 17.4+: how many operations the compute plan puts on each device.
    public var computePlan: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case created, tool, device, runtime, model, artifact, precision, `protocol`, stats, memory, sustained, check,
            valid
        case schemaVersion = "schema_version"
        case inputShape = "input_shape"
        case loadMs = "load_ms"
        case firstMs = "first_ms"
        case latenciesMs = "latencies_ms"
        case invalidReasons = "invalid_reasons"
        case computePlan = "compute_plan"
    }

    /// What was run and where; `measured` or `fail` completes it.
    public init(
        device: Device, toolVersion: String, runtime: Runtime, artifactPath: String?,
        protocol: BenchmarkProtocol, created: Date = Date()
    ) {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        self.created = iso.string(from: created)
        self.tool = Tool(version: toolVersion)
        self.device = device
        self.runtime = runtime
        self.artifact = Artifact(path: artifactPath, sha256: nil)
        self.protocol = `protocol`
    }

    public mutating func describe(_ manifest: Manifest) {
        model = manifest.model
        artifact.sha256 = manifest.sha256
        inputShape = manifest.inputShape
        precision = manifest.precision
    }

    public mutating func measured(loadMs: Double, _ m: BenchmarkProtocol.Measurement, memory: Memory) {
        self.loadMs = loadMs
        firstMs = m.firstMs
        latenciesMs = m.latenciesMs
        stats = Stats.summarize(m.latenciesMs, trim: `protocol`.trim)
        sustained = m.sustained
        self.memory = memory
        invalidReasons = m.invalidReasons
        valid = invalidReasons.isEmpty
    }

    /// A measured run that must not count (its outputs failed the check): the reason goes first.
    public mutating func invalidate(_ reason: String) {
        invalidReasons.insert(reason, at: 0)
        valid = false
    }

    /// A run that could not be measured: no figures, the reason.
    public mutating func fail(_ reason: String) {
        loadMs = nil
        firstMs = nil
        latenciesMs = []
        stats = nil
        sustained = nil
        valid = false
        invalidReasons = [reason]
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Write atomically (a temporary file in the same folder, then rename) as `<name>.json`.
    @discardableResult
    public func write(to directory: URL, name: String) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let target = directory.appendingPathComponent(name.hasSuffix(".json") ? name : name + ".json")
        try json().write(to: target, options: .atomic)
        return target
    }
}
