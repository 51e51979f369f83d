import Foundation

/// The manifest's preprocessing on an RGBA byte buffer (CGContext's premultipliedLast layout, 4 bytes a
/// pixel): resize with antialiased bilinear filtering so the image covers size / crop_fraction, center
/// crop, scale, subtract mean, divide by std, NCHW float. The same arithmetic as export/inputs.py
/// (torch's interpolate(mode="bilinear", antialias=True)) and the Android app's core.Preprocess.
public enum Preprocess {
    public static func nchw(rgba: [UInt8], width: Int, height: Int, manifest: Manifest) -> [Float] {
        let p = manifest.preprocessing
        return nchw(
            rgba: rgba, width: width, height: height, outHeight: manifest.height, outWidth: manifest.width,
            cropFraction: manifest.cropFraction, scale: p.scale, mean: p.mean, std: p.std)
    }

    public static func nchw(
        rgba: [UInt8], width: Int, height: Int, outHeight: Int, outWidth: Int,
        cropFraction: Double, scale: Float, mean: [Float], std: [Float]
    ) -> [Float] {
        precondition(
            rgba.count == 4 * width * height && width > 0 && height > 0,
            "image buffer holds \(rgba.count) bytes, not 4 x \(width) x \(height)")
        let factor = max(
            Double(outHeight) / cropFraction / Double(height), Double(outWidth) / cropFraction / Double(width))
        // Python's round() (half to even) as in export/inputs.py: the same resized size, the same crop.
        let resizedH = max(outHeight, Int((Double(height) * factor).rounded(.toNearestOrEven)))
        let resizedW = max(outWidth, Int((Double(width) * factor).rounded(.toNearestOrEven)))
        let rows = Weights(input: height, resized: resizedH, first: (resizedH - outHeight) / 2, count: outHeight)
        let cols = Weights(input: width, resized: resizedW, first: (resizedW - outWidth) / 2, count: outWidth)
        var out = [Float](repeating: 0, count: 3 * outHeight * outWidth)
        var horizontal = [Float](repeating: 0, count: height * outWidth)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<outWidth {
                    var sum = 0.0
                    for k in 0..<cols.weight[x].count {
                        sum += cols.weight[x][k] * Double(rgba[4 * (y * width + cols.start[x] + k) + c])
                    }
                    horizontal[y * outWidth + x] = Float(sum)
                }
            }
            let plane = c * outHeight * outWidth
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    var sum = 0.0
                    for k in 0..<rows.weight[y].count {
                        sum += rows.weight[y][k] * Double(horizontal[(rows.start[y] + k) * outWidth + x])
                    }
                    out[plane + y * outWidth + x] = (Float(sum) * scale - mean[c]) / std[c]
                }
            }
        }
        return out
    }

    /// Antialiased bilinear (triangle filter widened by the downscale factor) weights of the kept outputs.
    struct Weights {
        var start: [Int] = []
        var weight: [[Double]] = []

        init(input: Int, resized: Int, first: Int, count: Int) {
            let scale = Double(input) / Double(resized)
            let support = scale >= 1 ? scale : 1.0
            let invScale = scale >= 1 ? 1 / scale : 1.0
            for i in 0..<count {
                let center = scale * (Double(first + i) + 0.5)
                let lo = max(Int(center - support + 0.5), 0)
                let n = min(Int(center + support + 0.5), input) - lo
                var w = (0..<n).map { k in max(0, 1 - abs((Double(k + lo) - center + 0.5) * invScale)) }
                let total = w.reduce(0, +)
                w = w.map { total > 0 ? $0 / total : 0 }
                start.append(lo)
                weight.append(w)
            }
        }
    }
}
