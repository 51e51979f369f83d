import CloFormerBenchTesting
import XCTest

@testable import CloFormerBenchCore

final class ProtocolTests: XCTestCase {
    /// The constants are export/contracts/protocol.json's, which cloformer-bench and the Android tests read too.
    func testConstantsAreTheOnesCloformerBenchUses() throws {
        let shared = try Testing.shared("export/contracts/protocol.json")
        XCTAssertEqual(shared["min_iterations"] as? Int, Stats.minIterations)
        XCTAssertEqual(shared["max_drift"] as? Double, Stats.maxDrift)
        XCTAssertEqual(shared["sustained_interval_seconds"] as? Double, Stats.sustainedIntervalSeconds)
        let defaults = try XCTUnwrap(shared["defaults"] as? [String: Any])
        let p = BenchmarkProtocol()
        XCTAssertEqual(defaults["warmup"] as? Int, p.warmup)
        XCTAssertEqual(defaults["rounds"] as? Int, p.rounds)
        XCTAssertEqual(defaults["iterations"] as? Int, p.iterations)
        XCTAssertEqual(defaults["trim"] as? Double, p.trim)
        XCTAssertEqual(defaults["cooldown_seconds"] as? Double, p.cooldownSeconds)
        XCTAssertNil(p.sustainedSeconds)
    }

    func testColdCallThenWarmupThenRoundsTimesIterations() throws {
        var calls = 0
        var progress: [Int] = []
        let proto = try BenchmarkProtocol(warmup: 3, rounds: 4, iterations: 5)
        let m = try proto.measure(
            clock: Testing.tickingClock(step: 2_000_000),
            progress: { done, total in
                XCTAssertEqual(total, 20)
                progress.append(done)
            }
        ) { calls += 1 }
        XCTAssertEqual(calls, 1 + 3 + 20)
        XCTAssertEqual(m.latenciesMs.count, 20)
        XCTAssertEqual(m.firstMs, 2, accuracy: 1e-9)
        XCTAssertTrue(m.latenciesMs.allSatisfy { abs($0 - 2) < 1e-9 })
        XCTAssertEqual(progress, Array(1...20))
        XCTAssertNil(m.sustained)
        XCTAssertEqual(m.invalidReasons, ["too few iterations: 20 < 30"])
    }

    func testSustainedRunsForItsDuration() throws {
        let proto = try BenchmarkProtocol(warmup: 0, sustainedSeconds: 3)
        let m = try proto.measure(clock: Testing.tickingClock(step: 100_000_000)) {}
        XCTAssertEqual(m.sustained?.intervals.count, 3)
        XCTAssertEqual(m.sustained?.drift ?? 0, 1, accuracy: 1e-9)
        XCTAssertTrue((10...20).contains(m.latenciesMs.count))
    }

    func testOutOfRangeSettingsAreRefused() {
        XCTAssertThrowsError(try BenchmarkProtocol(rounds: 0)) { error in
            XCTAssertTrue("\(error)".contains("rounds 0 >= 1"))
        }
    }

    func testEncodesEveryKeyNullIncluded() throws {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(BenchmarkProtocol())) as! [String: Any]
        XCTAssertTrue(json["sustained_seconds"] is NSNull)
        XCTAssertEqual(json.count, 6)
    }
}
