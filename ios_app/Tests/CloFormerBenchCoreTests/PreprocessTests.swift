import XCTest

@testable import CloFormerBenchCore

final class PreprocessTests: XCTestCase {
    func testAFlatColourStaysFlatAndIsNormalizedPerChannel() {
        let rgba = [UInt8](repeating: 0, count: 40 * 30 * 4).enumerated().map { i, _ in [0x33, 0x66, 0x99, 0xFF][i % 4]
        }
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let out = Preprocess.nchw(
            rgba: rgba.map(UInt8.init), width: 40, height: 30, outHeight: 16, outWidth: 16,
            cropFraction: 0.875, scale: 1 / 255, mean: mean, std: std)
        XCTAssertEqual(out.count, 3 * 256)
        for (c, value) in [0x33, 0x66, 0x99].enumerated() {
            let expected = (Float(value) / 255 - mean[c]) / std[c]
            XCTAssertTrue(out[(c * 256)..<((c + 1) * 256)].allSatisfy { abs($0 - expected) < 1e-5 })
        }
    }

    func testTheCenterIsCroppedAfterResizing() {
        var rgba = [UInt8](repeating: 0, count: 64 * 32 * 4)
        for y in 0..<32 { for c in 0..<4 { rgba[4 * (y * 64 + 32) + c] = 255 } }  // a white column at x = 32
        let out = Preprocess.nchw(
            rgba: rgba, width: 64, height: 32, outHeight: 32, outWidth: 32, cropFraction: 1,
            scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1])
        XCTAssertEqual(out[16 * 32], 0)
        XCTAssertEqual(out[16 * 32 + 16], 1, accuracy: 1e-6)  // column 32 of 64 lands at 16 of the 32 kept
    }

    func testTopKBestFirstTiesByIndex() {
        let top = TopK.of([0, 2, 1, 2], k: 3)
        XCTAssertEqual(top.map(\.index), [1, 3, 2])
        XCTAssertEqual(Double(top[0].probability), exp(2) / (1 + 2 * exp(2) + exp(1)), accuracy: 1e-6)
        XCTAssertEqual(TopK.of([1, 3], k: 5).count, 2)
    }
}
