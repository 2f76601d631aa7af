import Support

/// A run's yardstick: a small classifier fitted on the run's real log-mel spectrograms, which
/// then scores generated ones (`score`). Fitting takes two small regressions on ~41 band and
/// envelope features per clip (`SpectrogramFeatures`), standardised by the training clips.
///
/// First a share of each class's real clips is held out (`heldOutShare`, chosen by a seeded
/// shuffle, at least one clip kept for training): the classifier fitted on the rest and tested
/// on them gives the ceiling, the fidelity real clips reach. Then it is fitted again on every
/// real clip for scoring.
public struct QualityEvaluator: Sendable {
    /// The L2 penalty λ of the classifier (on standardised features; scikit-learn C = 1/(λ n)).
    public static let l2 = 0.01
    public static let heldOutShare = 0.2
    /// Diversity below this (a fifth of the real clips' spread) flags a class as collapsed.
    public static let collapseThreshold = 0.2
    /// Classes with more real clips than this measure their spread on an evenly spaced subset
    /// (the pair count grows with the square).
    public static let maxSpreadClips = 256

    public let classNames: [String]
    public let features: SpectrogramFeatures
    public let realClips: Int
    /// Clips held out for the ceiling, per class (0 where a class has fewer than 2 clips).
    public let heldOut: [Int]
    public let classCeiling: [Double?]
    public let ceiling: Double?
    let standardizer: Standardizer
    let classifier: SoftmaxRegression
    let realSpread: [Double?]
    let realFit: GaussianFit

    /// spectrograms: log-mel clips of `nMels * frames` values; labels: their classes, in
    /// 0 ..< classNames.count. Deterministic for a given seed.
    public init(spectrograms: some Collection<[Float]>, labels: [Int], classNames: [String], nMels: Int, frames: Int, seed: UInt64 = 0) {
        precondition(!spectrograms.isEmpty && spectrograms.count == labels.count, "one label per clip")
        precondition(labels.allSatisfy { classNames.indices.contains($0) }, "labels out of range")
        let k = classNames.count
        self.classNames = classNames
        features = SpectrogramFeatures(nMels: nMels, frames: frames)
        realClips = spectrograms.count
        let raw = spectrograms.map(features.extract)

        // The ceiling: fit on the kept clips, test on the held-out ones.
        var rng = SplitMix64(seed: seed)
        var isHeldOut = [Bool](repeating: false, count: raw.count)
        var heldOut = [Int](repeating: 0, count: k)
        for c in 0 ..< k {
            var members = labels.indices.filter { labels[$0] == c }
            members.shuffle(using: &rng)
            heldOut[c] = Self.heldOutCount(members.count)
            for i in members.prefix(heldOut[c]) { isHeldOut[i] = true }
        }
        self.heldOut = heldOut
        if heldOut.contains(where: { $0 > 0 }) {
            let kept = raw.indices.filter { !isHeldOut[$0] }
            let s = Standardizer(kept.map { raw[$0] })
            let model = SoftmaxRegression(rows: kept.map { s.apply(raw[$0]) }, labels: kept.map { labels[$0] },
                                          classes: k, l2: Self.l2)
            var right = [Int](repeating: 0, count: k)
            for i in raw.indices where isHeldOut[i] && model.predict(s.apply(raw[i])) == labels[i] { right[labels[i]] += 1 }
            classCeiling = (0 ..< k).map { heldOut[$0] > 0 ? Double(right[$0]) / Double(heldOut[$0]) : nil }
            let measured = classCeiling.compactMap { $0 }
            ceiling = measured.reduce(0, +) / Double(measured.count)
        } else {
            classCeiling = Array(repeating: nil, count: k)
            ceiling = nil
        }

        // The scorer: every real clip.
        standardizer = Standardizer(raw)
        let rows = raw.map(standardizer.apply)
        classifier = SoftmaxRegression(rows: rows, labels: labels, classes: k, l2: Self.l2)
        realSpread = (0 ..< k).map { c in Self.meanPairwiseDistance(rows.indices.filter { labels[$0] == c }.map { rows[$0] }) }
        realFit = GaussianFit(rows)
    }

    /// Clips of a class held out for the ceiling: a fifth, at least one, and never the last.
    static func heldOutCount(_ clips: Int) -> Int {
        clips < 2 ? 0 : min(clips - 1, max(1, Int((heldOutShare * Double(clips)).rounded())))
    }

    /// Scores generated spectrograms (same shape as the real ones) against the real clips;
    /// labels are the classes they were conditioned on. Every class needs at least one.
    public func score(_ spectrograms: [[Float]], labels: [Int]) -> QualityReport {
        let k = classNames.count
        precondition(spectrograms.count == labels.count, "one label per spectrogram")
        precondition((0 ..< k).allSatisfy { labels.contains($0) }, "every class needs a generated spectrogram")
        let rows = spectrograms.map { standardizer.apply(features.extract($0)) }
        var right = [Int](repeating: 0, count: k), count = [Int](repeating: 0, count: k)
        for (row, label) in zip(rows, labels) {
            count[label] += 1
            if classifier.predict(row) == label { right[label] += 1 }
        }
        let diversity: [Double?] = (0 ..< k).map { c in
            guard let real = realSpread[c], real > 0,
                  let generated = Self.meanPairwiseDistance(rows.indices.filter { labels[$0] == c }.map { rows[$0] })
            else { return nil }
            return generated / real
        }
        return QualityReport(classNames: classNames, samplesPerClass: count,
                             classFidelity: (0 ..< k).map { Double(right[$0]) / Double(count[$0]) },
                             classDiversity: diversity, frechet: FrechetDistance.between(GaussianFit(rows), realFit),
                             ceiling: ceiling, classCeiling: classCeiling, collapseThreshold: Self.collapseThreshold)
    }

    /// Mean Euclidean distance over all pairs of rows (of at most `maxSpreadClips` evenly
    /// spaced rows); nil for fewer than 2 rows.
    static func meanPairwiseDistance(_ all: [[Double]]) -> Double? {
        guard all.count >= 2 else { return nil }
        let rows = all.count <= maxSpreadClips ? all : (0 ..< maxSpreadClips).map { all[$0 * all.count / maxSpreadClips] }
        var sum = 0.0, pairs = 0
        for i in 0 ..< rows.count {
            for j in i + 1 ..< rows.count {
                var d2 = 0.0
                for f in 0 ..< rows[i].count { d2 += (rows[i][f] - rows[j][f]) * (rows[i][f] - rows[j][f]) }
                sum += d2.squareRoot()
                pairs += 1
            }
        }
        return sum / Double(pairs)
    }
}
