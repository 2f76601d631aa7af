/// How a set of generated spectrograms compares with the real clips of their classes, as
/// `QualityEvaluator.score` measures it. Arrays are per class, in `classNames` order.
public struct QualityReport: Sendable, Equatable, Codable {
    public var classNames: [String]
    /// Generated spectrograms scored per class.
    public var samplesPerClass: [Int]
    /// Share of the class's generated spectrograms that the classifier assigns to the class
    /// they were conditioned on (0-1).
    public var classFidelity: [Double]
    /// Mean of `classFidelity`: every class counts the same, whatever its clip count.
    public var fidelity: Double
    /// Mean pairwise feature distance within the class's generated set divided by the same for
    /// its real clips: about 1 is healthy, towards 0 the generator repeats itself (mode
    /// collapse). Nil when the class has fewer than 2 real clips or 2 generated ones.
    public var classDiversity: [Double?]
    /// Mean of the measurable `classDiversity` values.
    public var diversity: Double?
    /// `classDiversity` below `QualityEvaluator.collapseThreshold`.
    public var collapsed: [Bool]
    /// Fréchet distance between Gaussians fitted to the generated and the real features (all
    /// classes together, standardised feature space): 0 for the same distribution.
    public var frechet: Double
    /// The classifier's accuracy on real clips it was not fitted on: what fidelity can reach.
    /// Per class nil when the class has too few clips to hold one out; overall (the mean of
    /// the measured classes) nil when no class has.
    public var ceiling: Double?
    public var classCeiling: [Double?]

    public init(classNames: [String], samplesPerClass: [Int], classFidelity: [Double], classDiversity: [Double?],
                frechet: Double, ceiling: Double?, classCeiling: [Double?], collapseThreshold: Double) {
        self.classNames = classNames
        self.samplesPerClass = samplesPerClass
        self.classFidelity = classFidelity
        fidelity = classFidelity.isEmpty ? 0 : classFidelity.reduce(0, +) / Double(classFidelity.count)
        self.classDiversity = classDiversity
        let measured = classDiversity.compactMap { $0 }
        diversity = measured.isEmpty ? nil : measured.reduce(0, +) / Double(measured.count)
        collapsed = classDiversity.map { ($0 ?? .infinity) < collapseThreshold }
        self.frechet = frechet
        self.ceiling = ceiling
        self.classCeiling = classCeiling
    }

    public var collapsedClasses: [String] { classNames.indices.filter { collapsed[$0] }.map { classNames[$0] } }

    /// The number `checkpoints/best.safetensors` is chosen by: mean fidelity with every
    /// collapsed class counted as 0. A collapsed class can look perfect to a classifier (one
    /// convincing spectrogram, repeated), yet it is useless to someone who wants varied
    /// sounds, so it must not win; counting it as 0 rather than refusing the epoch outright
    /// still lets an epoch with one collapsed class beat one that is worse everywhere.
    public var selectionScore: Double {
        let k = classFidelity.count
        guard k > 0 else { return 0 }
        return classFidelity.indices.reduce(0) { $0 + (collapsed[$1] ? 0 : classFidelity[$1]) } / Double(k)
    }

    enum CodingKeys: String, CodingKey {
        case classNames = "classes", samplesPerClass = "samples_per_class", classFidelity = "class_fidelity"
        case fidelity, classDiversity = "class_diversity", diversity, collapsed, frechet, ceiling
        case classCeiling = "class_ceiling"
    }
}
