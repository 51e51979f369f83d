import Foundation

/// The latency protocol of export/contracts/protocol.py: cool-down, first (cold) call, warm-up, then
/// rounds x iterations, or back-to-back calls for `sustainedSeconds`. Defaults match cloformer-bench.
public struct BenchmarkProtocol: Codable, Equatable {
    /// 10 warm-up runs as ExecuTorch's minibench; 5 x 10 timed (>= Stats.minIterations).
    public var warmup = 10
    public var rounds = 5
    public var iterations = 10
    public var trim = 0.10
    /// Run this long instead of rounds x iterations.
    @NullEncoded public var sustainedSeconds: Double? = nil
    public var cooldownSeconds = 0.0

    enum CodingKeys: String, CodingKey {
        case warmup, rounds, iterations, trim
        case sustainedSeconds = "sustained_seconds"
        case cooldownSeconds = "cooldown_seconds"
    }

    /// cloformer-bench's defaults.
    public init() {}

    public init(
        warmup: Int = 10, rounds: Int = 5, iterations: Int = 10, trim: Double = 0.10,
        sustainedSeconds: Double? = nil, cooldownSeconds: Double = 0
    ) throws {
        guard warmup >= 0, rounds >= 1, iterations >= 1, (0..<0.5).contains(trim), cooldownSeconds >= 0,
            (sustainedSeconds ?? 1) > 0
        else {
            throw BenchmarkError.invalid(
                "protocol out of range: warmup \(warmup) >= 0, rounds \(rounds) >= 1, iterations \(iterations) >= 1, "
                    + "trim \(trim) in [0, 0.5), sustained_seconds \(sustainedSeconds.map { "\($0)" } ?? "none") > 0, "
                    + "cooldown_seconds \(cooldownSeconds) >= 0")
        }
        self.warmup = warmup
        self.rounds = rounds
        self.iterations = iterations
        self.trim = trim
        self.sustainedSeconds = sustainedSeconds
        self.cooldownSeconds = cooldownSeconds
    }

    /// What `measure` returns: the figures a result reports.
    public struct Measurement {
        public let firstMs: Double
        public let latenciesMs: [Double]
        public let sustained: Stats.Sustained?

        public var invalidReasons: [String] { Stats.invalidReasons(latenciesMs, sustained: sustained) }
    }

    /// Time `call`; `clock` in nanoseconds (replaceable in tests), `progress(done, total)` after each
    /// timed run (total -1 when sustained).
    public func measure(
        clock: Clock = .system, progress: (Int, Int) -> Void = { _, _ in },
        _ call: () throws -> Void
    ) throws -> Measurement {
        clock.sleep(cooldownSeconds)
        var start = clock.now()
        try call()
        let firstMs = Double(clock.now() - start) / 1e6
        for _ in 0..<warmup {
            try call()
        }
        var latencies: [Double] = []
        var starts: [Double] = []
        let began = clock.now()
        let total = sustainedSeconds == nil ? rounds * iterations : -1
        while true {
            start = clock.now()
            if let seconds = sustainedSeconds {
                if Double(start - began) >= seconds * 1e9 { break }
            } else if latencies.count >= total {
                break
            }
            try call()
            starts.append(Double(start - began) / 1e9)
            latencies.append(Double(clock.now() - start) / 1e6)
            progress(latencies.count, total)
        }
        let sustained = sustainedSeconds == nil ? nil : Stats.intervals(starts: starts, latenciesMs: latencies)
        return Measurement(firstMs: firstMs, latenciesMs: latencies, sustained: sustained)
    }
}

/// Monotonic nanoseconds and sleeping, replaceable in tests.
public struct Clock {
    public let now: () -> UInt64
    public let sleep: (Double) -> Void

    public init(now: @escaping () -> UInt64, sleep: @escaping (Double) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = Clock(
        now: { DispatchTime.now().uptimeNanoseconds },
        sleep: { seconds in if seconds > 0 { Thread.sleep(forTimeInterval: seconds) } })
}

/// A run that cannot be measured; its message is the `invalid_reasons` entry (problem, then the fix).
public enum BenchmarkError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        }
    }
}
