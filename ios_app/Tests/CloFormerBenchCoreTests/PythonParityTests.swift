import XCTest

@testable import CloFormerBenchCore

/// The statistics equal export/contracts/protocol.py's on the same latencies: Fixtures/python_stats.json
/// holds Python's answers (tests/ios_app checks the file against Python on every run).
final class PythonParityTests: XCTestCase {
    struct Case: Decodable {
        let latencies_ms: [Double]
        let trim: Double
        let stats: Stats.Summary
    }

    struct Golden: Decodable { let cases: [Case] }

    func testStatisticsEqualPythons() throws {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "python_stats", withExtension: "json", subdirectory: "Fixtures"))
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        XCTAssertEqual(golden.cases.count, 6)
        for c in golden.cases {
            let swift = Stats.summarize(c.latencies_ms, trim: c.trim)
            for (name, a, b) in [
                ("mean", swift.mean, c.stats.mean), ("median", swift.median, c.stats.median),
                ("p90", swift.p90, c.stats.p90), ("p99", swift.p99, c.stats.p99),
                ("trimmed_mean", swift.trimmedMean, c.stats.trimmedMean), ("std", swift.std, c.stats.std),
                ("min", swift.min, c.stats.min),
            ] {
                XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)), "\(name), n = \(c.latencies_ms.count)")
            }
        }
    }
}
