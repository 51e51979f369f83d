import Foundation

/// The k best classes of a logit vector, with softmax probabilities; ties keep the lower index first.
public struct TopK: Equatable, CustomStringConvertible {
    public let index: Int
    public let probability: Float

    public var description: String { String(format: "class %d: %.1f %%", index, 100 * probability) }

    public static func of(_ logits: [Float], k: Int) -> [TopK] {
        guard let top = logits.max() else { return [] }
        let total = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return order.prefix(k).map { TopK(index: $0, probability: Float(exp(Double(logits[$0] - top)) / total)) }
    }
}
