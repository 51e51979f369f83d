import Foundation

/// A NumPy .npy file, version 1.0, of little-endian float32 in C order: the check bundle's format. The
/// header is one ASCII Python dict (descr, fortran_order, shape), so no library is needed.
public struct Npy {
    public let shape: [Int]
    public let data: [Float]

    /// Why a file is not a .npy file of little-endian float32 in C order. Its description names the source;
    /// `detail` does not. A readable .npy file of another type also says what it holds: `dtype` (NumPy's name,
    /// e.g. float64) and `shape`; otherwise both are nil.
    public struct Invalid: Error, CustomStringConvertible {
        public let source: String
        public let detail: String
        public var dtype: String?
        public var shape: [Int]?

        public var description: String { "\(source): \(detail)" }
    }

    public static func read(_ url: URL) throws -> Npy {
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw Invalid(source: url.path, detail: "cannot read it")
        }
        return try parse(bytes, source: url.path)
    }

    static func parse(_ bytes: Data, source: String) throws -> Npy {
        let b = [UInt8](bytes)
        guard b.count >= 10, b[0..<6] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], b[6] == 1 else {
            throw Invalid(source: source, detail: "not a version 1 .npy file")
        }
        let headerLength = Int(b[8]) | Int(b[9]) << 8
        guard 10 + headerLength <= b.count, let header = String(bytes: b[10..<10 + headerLength], encoding: .ascii)
        else { throw Invalid(source: source, detail: "truncated .npy header") }
        func value(_ key: String, _ close: Character) -> Substring? {
            guard let start = header.range(of: "'\(key)':") else { return nil }
            let rest = header[start.upperBound...].drop { $0 == " " }
            guard let end = rest.dropFirst().firstIndex(of: close) else { return nil }
            return rest[rest.startIndex...end]
        }
        var notFloat32 = Invalid(
            source: source,
            detail:
                "not little-endian float32 in C order (\(header.trimmingCharacters(in: .whitespacesAndNewlines)))")
        let dims = value("shape", ")")?.dropFirst().dropLast().split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let descr = value("descr", "'"), let fortran = value("fortran_order", ","), let dims else {
            throw notFloat32
        }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count else { throw notFloat32 }
        guard descr == "'<f4'" else {  // a .npy file of another type: say what it holds
            notFloat32.dtype = dtypeName(String(descr.dropFirst().dropLast()))
            notFloat32.shape = shape
            throw notFloat32
        }
        guard fortran == "False," else { throw notFloat32 }
        let count = shape.reduce(1, *)
        let offset = 10 + headerLength
        guard b.count - offset == 4 * count else {
            throw Invalid(
                source: source, detail: "holds \(b.count - offset) bytes of data, its shape needs \(4 * count)")
        }
        let data = (0..<count).map { i -> Float in
            let o = offset + 4 * i
            return Float(
                bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        }
        return Npy(shape: shape, data: data)
    }

    /// NumPy's name of a descr: `<f8` float64, `|u1` uint8, `|b1` bool; others as written.
    static func dtypeName(_ descr: String) -> String {
        var rest = Substring(descr)
        if let order = rest.first, "<|=".contains(order) { rest = rest.dropFirst() }
        guard let kind = rest.first, let size = Int(rest.dropFirst()) else { return descr }
        switch kind {
        case "f": return "float\(8 * size)"
        case "i": return "int\(8 * size)"
        case "u": return "uint\(8 * size)"
        case "c": return "complex\(8 * size)"
        case "b" where size == 1: return "bool"
        default: return descr
        }
    }
}
