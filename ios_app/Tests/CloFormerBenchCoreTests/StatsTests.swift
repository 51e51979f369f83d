import XCTest

@testable import CloFormerBenchCore

final class StatsTests: XCTestCase {
    let ten: [Double] = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]

    func testPercentilesInterpolateLikeNumpy() {
        XCTAssertEqual(Stats.percentile(ten, 90), 9.1, accuracy: 1e-12)
        XCTAssertEqual(Stats.percentile(ten, 99), 9.91, accuracy: 1e-12)
        XCTAssertEqual(Stats.percentile(ten, 0), 1)
        XCTAssertEqual(Stats.percentile([7], 90), 7)
    }

    func testMedianTrimmedMeanAndStd() {
        XCTAssertEqual(Stats.median(ten), 5.5)
        XCTAssertEqual(Stats.median([3, 1, 2]), 2)
        XCTAssertEqual(Stats.trimmedMean(ten, trim: 0.10), 5.5, accuracy: 1e-12)
        XCTAssertEqual(Stats.trimmedMean([1, 1, 1, 1, 1, 1, 1, 1, 1, 100], trim: 0.10), 1, accuracy: 1e-12)
        XCTAssertEqual(Stats.std(ten), 8.25.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(Stats.mean([Double](repeating: 0.1, count: 1_000_000)), 0.1, accuracy: 1e-16)
    }

    func testSustainedIntervalsAndDrift() {
        let s = Stats.intervals(starts: [0, 0.5, 1.0, 1.5, 2.2], latenciesMs: [10, 12, 11, 11, 15])
        XCTAssertEqual(s.intervals.map(\.count), [2, 2, 1])
        XCTAssertEqual(s.intervals[0].medianMs, 11)
        XCTAssertEqual(s.drift, 15.0 / 11.0, accuracy: 1e-12)
    }

    func testInvalidReasonsAreWordedAsInPython() {
        XCTAssertEqual(Stats.invalidReasons(ten, sustained: nil), ["too few iterations: 10 < 30"])
        let ok = [Double](repeating: 1, count: 30)
        XCTAssertEqual(Stats.invalidReasons(ok, sustained: nil), [])
        let hot = Stats.intervals(starts: [0, 1], latenciesMs: [10, 12.5])
        XCTAssertEqual(
            Stats.invalidReasons(ok, sustained: hot),
            ["throttling detected: latency drifted x1.25 (> x1.15) over the run"])
    }
}
