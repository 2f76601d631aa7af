import Quality

/// The epoch `checkpoints/best.safetensors` holds, with what it scored. Every checkpoint's
/// metadata carries the run's best so far, so a resumed run knows the score to beat.
///
/// The score is `QualityReport.selectionScore`: mean fidelity with collapsed classes counted
/// as 0. A higher score wins; an equal one goes to the lower Fréchet distance. Fidelity is a
/// count ratio (clips recognised out of 16 per class), so late in a good run many epochs tie
/// at the top and the distance, which sees the whole feature distribution, picks among them.
/// Ties are exact, not "within a tolerance": near-ties are not transitive, and a tolerance
/// would let the distance walk the best down in fidelity one small step per epoch.
public struct BestEpoch: Sendable, Codable, Equatable {
    public var epoch: Int
    public var score: Double
    public var frechet: Double

    public init(epoch: Int, score: Double, frechet: Double) {
        self.epoch = epoch; self.score = score; self.frechet = frechet
    }

    public init(epoch: Int, _ report: QualityReport) {
        self.init(epoch: epoch, score: report.selectionScore, frechet: report.frechet)
    }

    /// Whether `report` should replace this epoch as the best. (1e-12 absorbs the rounding of
    /// a mean of counts; two different counts differ by at least 1 / (16 * classes).)
    public func isBeaten(by report: QualityReport) -> Bool {
        let s = report.selectionScore
        if abs(s - score) <= 1e-12 { return report.frechet < frechet }
        return s > score
    }
}
