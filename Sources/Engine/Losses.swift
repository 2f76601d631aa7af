import Foundation

/// BCEWithLogitsLoss(reduction: mean), numerically stable:
/// l = max(x, 0) - x t + log(1 + exp(-|x|)), dl/dx = (sigmoid(x) - t) / n.
public enum BCEWithLogits {
    public static func forward(logits: [Float], targets: [Float]) -> Float {
        precondition(logits.count == targets.count && !logits.isEmpty)
        var sum = 0.0
        for i in logits.indices {
            let x = Double(logits[i]), t = Double(targets[i])
            sum += max(x, 0) - x * t + log1p(exp(-abs(x)))
        }
        return Float(sum / Double(logits.count))
    }

    public static func backward(logits: [Float], targets: [Float]) -> [Float] {
        let n = Float(logits.count)
        return logits.indices.map { i in
            let x = logits[i]
            let s: Float = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
            return (s - targets[i]) / n
        }
    }
}
