import Foundation

/// The output check every run makes before it times: the check bundle written beside the artifact
/// (`<artifact>.check/`, the manifest's `check`) holds reference inputs and the eager fp32 model's outputs;
/// the artifact must reproduce them within its precision's tolerance. The figures are those of
/// export/check.py and the Android core's Check.java: max abs diff, SQNR (capped at 200 dB), top-5 agreement.
public enum OutputCheck {
    /// The invalid reason of a failed check, followed by what failed.
    public static let failed = "outputs differ from the reference: "
    static let sqnrCapDb = 200.0
    static let topK = 5

    public struct Case {
        public let name: String
        public let input: [Float]
        public let expected: [Float]
    }

    /// The bundle's cases, or none and why (the artifact was copied without its .check folder).
    public struct Bundle {
        public let cases: [Case]
        public let absentReason: String?
        let tolerance: BenchmarkResult.Check.Tolerance
    }

    /// The bundle beside `artifact` as its manifest describes it. No bundle folder: no cases, and why (the run goes
    /// on with check absent). A folder that is there but damaged (a file missing, changed since export, unreadable
    /// or of another shape) throws, failing the run: checking against it, or quietly not checking, would give a
    /// verdict that looks right and is not.
    public static func read(artifact: URL, manifest: Manifest) throws -> Bundle {
        let section = manifest.check
        let folder = artifact.deletingLastPathComponent().appendingPathComponent(section.bundle)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            return Bundle(
                cases: [], absentReason: "\(section.bundle) is missing: copy the artifact's .check folder beside it",
                tolerance: section.tolerance)
        }
        func damaged(_ file: String, _ what: String) -> BenchmarkError {
            .invalid(
                "the check bundle \(section.bundle) is damaged: \(file) \(what); re-export the artifact, or copy its "
                    + ".check folder again")
        }
        var cases: [Case] = []
        for spec in section.cases {
            var arrays: [[Float]] = []
            for file in [spec.input, spec.expected] {
                let url = folder.appendingPathComponent(file.file)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue
                else { throw damaged(file.file, "is missing") }
                // Without CryptoKit (Linux) the digest is not checked, as for the artifact itself; an unreadable
                // file is left to Npy.read, which says so.
                if let sha = try? BenchmarkJob.sha256(of: url), sha != file.sha256 {
                    throw damaged(file.file, "does not match its manifest's sha256")
                }
                let expected = "float32 \(file.shape)"
                let npy: Npy
                do {  // its digest matched (or was not checked): a manifest edited to fit a bad file gets here
                    npy = try Npy.read(url)
                } catch let error as Npy.Invalid {
                    guard let dtype = error.dtype, let shape = error.shape else {
                        throw damaged(file.file, "is not a .npy file (\(error.detail))")
                    }
                    throw damaged(file.file, "holds \(dtype) \(shape), not \(expected)")
                }
                guard npy.shape == file.shape else {
                    throw damaged(file.file, "holds float32 \(npy.shape), not \(expected)")
                }
                arrays.append(npy.data)
            }
            cases.append(Case(name: spec.name, input: arrays[0], expected: arrays[1]))
        }
        return Bundle(cases: cases, absentReason: nil, tolerance: section.tolerance)
    }

    /// The result's `check`: every case through the runner, each figure against the tolerance.
    public static func run(_ bundle: Bundle, runner: Runner, rows: Int) throws -> BenchmarkResult.Check {
        guard !bundle.cases.isEmpty else { return .absent(bundle.absentReason ?? "no check bundle") }
        let tolerance = bundle.tolerance
        var figures: [BenchmarkResult.Check.Case] = []
        var problems: [String] = []
        for c in bundle.cases {
            let actual = try runner.run(c.input)
            guard actual.count == c.expected.count else {
                problems.append("\(c.name) returned \(actual.count) values, expected \(c.expected.count)")
                continue
            }
            guard actual.allSatisfy({ $0.isFinite }) else {
                problems.append("\(c.name) returned NaN or infinite values")
                continue
            }
            let row = Self.figures(name: c.name, expected: c.expected, actual: actual, rows: rows)
            figures.append(row)
            if row.maxAbsDiff > tolerance.maxAbsDiff {
                problems.append(
                    "\(c.name) max abs diff \(general(row.maxAbsDiff, 3)) > \(general(tolerance.maxAbsDiff, 6))")
            }
            if row.sqnrDb < tolerance.minSqnrDb {
                problems.append(
                    "\(c.name) SQNR \(String(format: "%.1f", row.sqnrDb)) dB < \(general(tolerance.minSqnrDb, 6)) dB")
            }
        }
        return BenchmarkResult.Check(
            status: problems.isEmpty ? "pass" : "fail",
            reason: problems.isEmpty ? nil : problems.joined(separator: "; "),
            tolerance: tolerance, cases: figures)
    }

    /// Max abs diff, SQNR (dB, capped) and the share of rows whose expected top-1 is in the actual top-5.
    static func figures(name: String, expected: [Float], actual: [Float], rows: Int) -> BenchmarkResult.Check.Case {
        var maxAbs = 0.0
        var signal = 0.0
        var noise = 0.0
        for (e, a) in zip(expected, actual) {
            let d = Double(e) - Double(a)
            maxAbs = max(maxAbs, abs(d))
            signal += Double(e) * Double(e)
            noise += d * d
        }
        let sqnr = noise == 0 ? sqnrCapDb : min(sqnrCapDb, 10 * log10(max(signal, 1e-300) / noise))
        let classes = expected.count / rows
        let agree = (0..<rows).filter { r in
            let range = r * classes..<(r + 1) * classes
            let best = TopK.of(Array(expected[range]), k: 1)[0].index
            return TopK.of(Array(actual[range]), k: topK).contains { $0.index == best }
        }.count
        return .init(
            name: name, maxAbsDiff: maxAbs, sqnrDb: (sqnr * 100).rounded() / 100,
            top5Agreement: Double(agree) / Double(rows))
    }

    /// Like Python's format(x, ".Ng") for the values a reason shows.
    static func general(_ x: Double, _ digits: Int) -> String {
        var text = String(format: "%.\(digits)g", x)
        if text.contains("e") || !text.contains(".") { return text }
        while text.hasSuffix("0") { text.removeLast() }
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }
}
