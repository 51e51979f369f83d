import Foundation

/// The statistics of export/contracts/protocol.py, ported line for line: every result reports the same numbers.
public enum Stats {
    /// Fewer timed iterations than this: too few for a p90 (MLPerf-style minimum).
    public static let minIterations = 30
    /// Sustained run: last interval's median / first's above this means throttling.
    public static let maxDrift = 1.15
    public static let sustainedIntervalSeconds = 1.0

    /// Linear interpolation between closest ranks (numpy's default), q in [0, 100].
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        let ordered = values.sorted()
        let position = Double(ordered.count - 1) * q / 100
        let low = Int(position.rounded(.down))
        let high = Int(position.rounded(.up))
        return ordered[low] + (ordered[high] - ordered[low]) * (position - Double(low))
    }

    public static func median(_ values: [Double]) -> Double {
        let ordered = values.sorted()
        let n = ordered.count
        return n % 2 == 1 ? ordered[n / 2] : (ordered[n / 2 - 1] + ordered[n / 2]) / 2
    }

    public static func trimmedMean(_ values: [Double], trim: Double) -> Double {
        let ordered = values.sorted()
        let cut = Int(Double(ordered.count) * trim)
        let kept = ordered.count - 2 * cut > 0 ? Array(ordered[cut..<(ordered.count - cut)]) : ordered
        return mean(kept)
    }

    /// Like Python's statistics.fmean (math.fsum): a compensated sum, so long runs do not drift.
    public static func mean(_ values: [Double]) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for value in values {
            let y = value - compensation
            let t = sum + y
            compensation = (t - sum) - y
            sum = t
        }
        return sum / Double(values.count)
    }

    /// Population standard deviation (statistics.pstdev).
    public static func std(_ values: [Double]) -> Double {
        let m = mean(values)
        return mean(values.map { ($0 - m) * ($0 - m) }).squareRoot()
    }

    /// The result's `stats` object.
    public static func summarize(_ latenciesMs: [Double], trim: Double = 0.10) -> Summary {
        Summary(
            mean: mean(latenciesMs), median: median(latenciesMs), p90: percentile(latenciesMs, 90),
            p99: percentile(latenciesMs, 99), trimmedMean: trimmedMean(latenciesMs, trim: trim),
            std: std(latenciesMs), min: latenciesMs.min() ?? 0)
    }

    public struct Summary: Codable, Equatable {
        public let mean, median, p90, p99, trimmedMean, std, min: Double

        enum CodingKeys: String, CodingKey {
            case mean, median, p90, p99, std, min
            case trimmedMean = "trimmed_mean"
        }
    }

    /// Sustained mode: the median latency of each interval and the drift (last median / first), the thermal proxy.
    public struct Sustained: Codable, Equatable {
        public struct Interval: Codable, Equatable {
            public let startSeconds: Double
            public let medianMs: Double
            public let count: Int

            enum CodingKeys: String, CodingKey {
                case count
                case startSeconds = "start_seconds"
                case medianMs = "median_ms"
            }
        }

        public let intervalSeconds: Double
        public let intervals: [Interval]
        public let drift: Double

        enum CodingKeys: String, CodingKey {
            case intervals, drift
            case intervalSeconds = "interval_seconds"
        }
    }

    public static func intervals(
        starts: [Double], latenciesMs: [Double],
        intervalSeconds: Double = sustainedIntervalSeconds
    ) -> Sustained {
        var windows: [Int: [Double]] = [:]
        for (start, latency) in zip(starts, latenciesMs) {
            windows[Int((start / intervalSeconds).rounded(.down)), default: []].append(latency)
        }
        let rows = windows.keys.sorted().map { key in
            Sustained.Interval(
                startSeconds: Double(key) * intervalSeconds, medianMs: median(windows[key]!),
                count: windows[key]!.count)
        }
        return Sustained(
            intervalSeconds: intervalSeconds, intervals: rows,
            drift: rows[rows.count - 1].medianMs / rows[0].medianMs)
    }

    /// Why a measurement is not valid (empty when it is), worded as protocol.py words it.
    public static func invalidReasons(_ latenciesMs: [Double], sustained: Sustained?) -> [String] {
        var reasons: [String] = []
        if latenciesMs.count < minIterations {
            reasons.append("too few iterations: \(latenciesMs.count) < \(minIterations)")
        }
        if let sustained, sustained.drift > maxDrift {
            reasons.append(
                String(
                    format: "throttling detected: latency drifted x%.2f (> x%@) over the run",
                    sustained.drift, "\(maxDrift)"))
        }
        return reasons
    }
}
