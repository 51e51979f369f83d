import Foundation

/// A NumPy .npy file, version 1.0, of little-endian float32 in C order: the check bundle's format. The
/// header is one ASCII Python dict (descr, fortran_order, shape), so no library is needed.
public struct Npy {
    public let shape: [Int]
    public let data: [Float]

    public static func read(_ url: URL) throws -> Npy {
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw BenchmarkError.invalid("\(url.path): cannot read it")
        }
        return try parse(bytes, source: url.path)
    }

    static func parse(_ bytes: Data, source: String) throws -> Npy {
        let b = [UInt8](bytes)
        guard b.count >= 10, b[0..<6] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], b[6] == 1 else {
            throw BenchmarkError.invalid("\(source): not a version 1 .npy file; re-export the artifact")
        }
        let headerLength = Int(b[8]) | Int(b[9]) << 8
        guard 10 + headerLength <= b.count, let header = String(bytes: b[10..<10 + headerLength], encoding: .ascii)
        else { throw BenchmarkError.invalid("\(source): truncated .npy header") }
        func value(_ key: String, _ close: Character) -> Substring? {
            guard let start = header.range(of: "'\(key)':") else { return nil }
            let rest = header[start.upperBound...].drop { $0 == " " }
            guard let end = rest.dropFirst().firstIndex(of: close) else { return nil }
            return rest[rest.startIndex...end]
        }
        guard value("descr", "'") == "'<f4'", value("fortran_order", ",") == "False,",
            let shapeText = value("shape", ")")
        else {
            throw BenchmarkError.invalid(
                "\(source): not little-endian float32 in C order (\(header.trimmingCharacters(in: .whitespacesAndNewlines)))"
            )
        }
        let shape = shapeText.dropFirst().dropLast().split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let offset = 10 + headerLength
        guard b.count - offset == 4 * count else {
            throw BenchmarkError.invalid(
                "\(source): holds \(b.count - offset) bytes of data, its shape needs \(4 * count)")
        }
        let data = (0..<count).map { i -> Float in
            let o = offset + 4 * i
            return Float(
                bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        }
        return Npy(shape: shape, data: data)
    }
}
