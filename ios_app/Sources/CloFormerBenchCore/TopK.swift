import Foundation

/// The k best classes of a logit vector, with softmax probabilities; ties keep the lower index first.
public struct TopK: Equatable, CustomStringConvertible {
    public let index: Int
    public let probability: Float
    /// The class name from the manifest's labels, or nil.
    public var label: String? = nil

    public var description: String {
        "\(label ?? "class \(index)"): \(String(format: "%.1f", 100 * probability)) %"
    }

    /// With class names (a manifest's labels), or indices without.
    public static func of(_ logits: [Float], k: Int, labels: [String]? = nil) -> [TopK] {
        guard let top = logits.max() else { return [] }
        let total = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return order.prefix(k).map {
            TopK(index: $0, probability: Float(exp(Double(logits[$0] - top)) / total), label: labels?[$0])
        }
    }
}
