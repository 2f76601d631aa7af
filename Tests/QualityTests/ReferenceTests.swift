import Foundation
@testable import Quality
import Testing

/// The Quality numerics against `Fixtures/quality_reference.json`, which
/// `scripts/quality_reference.py` wrote with scikit-learn, NumPy and SciPy.
@Suite struct ReferenceTests {
    struct Fixture: Decodable {
        struct Features: Decodable { var n_mels: Int; var frames: Int; var log_mel: [Double]; var values: [Double] }
        struct Logistic: Decodable {
            var l2: Double; var classes: Int; var x: [[Double]]; var labels: [Int]; var x_new: [[Double]]
            var coef: [[Double]]; var intercept: [Double]; var probabilities: [[Double]]
            var probabilities_new: [[Double]]; var accuracy: Double
        }
        struct Eigen: Decodable { var n: Int; var matrix: [Double]; var values: [Double]; var vectors: [Double] }
        struct Frechet: Decodable {
            var a: [[Double]]; var b: [[Double]]; var shrinkage: Double; var mean_a: [Double]; var mean_b: [Double]
            var shrunk_cov_a: [Double]; var shrunk_cov_b: [Double]; var distance_shrunk: Double
            var distance_plain: Double; var mean_pairwise_a: Double
        }
        var features: Features
        var logistic: Logistic
        var eigen: Eigen
        var frechet: Frechet
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/quality_reference.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func maxAbs(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Same float32 inputs, Double sums on both sides: only summation order differs.
    @Test func featuresMatchNumPy() {
        let f = Self.fixture.features
        let extractor = SpectrogramFeatures(nMels: f.n_mels, frames: f.frames)
        #expect(extractor.count == f.values.count)
        let ours = extractor.extract(f.log_mel.map { Float($0) })
        #expect(Self.maxAbs(ours, f.values) < 1e-12, "\(ours) vs \(f.values)")
    }

    /// scikit-learn's lbfgs stopped with its gradient below ~1e-8 and ours below 1e-10; the
    /// objective is λ-strongly convex (λ = 0.05), so the minimisers agree to about 1e-8 / λ.
    @Test func logisticRegressionMatchesScikitLearn() {
        let f = Self.fixture.logistic
        let model = SoftmaxRegression(rows: f.x, labels: f.labels, classes: f.classes, l2: f.l2, tolerance: 1e-10)
        #expect(model.finalGradient < 1e-10, "not converged: \(model.finalGradient) after \(model.iterations)")
        // The default tolerance (what the evaluator uses) is close enough to predict the same.
        let loose = SoftmaxRegression(rows: f.x, labels: f.labels, classes: f.classes, l2: f.l2)
        #expect(loose.iterations < model.iterations)
        #expect(Self.maxAbs(f.x.flatMap(loose.probabilities), f.probabilities.flatMap { $0 }) < 1e-4)
        #expect(f.x.map(loose.predict) == f.x.map(model.predict))
        #expect(Self.maxAbs(model.weights, f.coef.flatMap { $0 }) < 1e-6)
        #expect(Self.maxAbs(model.intercepts, f.intercept) < 1e-6)
        #expect(Self.maxAbs(f.x.flatMap(model.probabilities), f.probabilities.flatMap { $0 }) < 1e-6)
        #expect(Self.maxAbs(f.x_new.flatMap(model.probabilities), f.probabilities_new.flatMap { $0 }) < 1e-6)
        let right = zip(f.x, f.labels).filter { model.predict($0.0) == $0.1 }.count
        #expect(Double(right) / Double(f.x.count) == f.accuracy)
    }

    /// Eigenvalues to rounding; eigenvectors up to sign (|cos| between ours and NumPy's = 1).
    @Test func jacobiMatchesNumPyEigh() {
        let f = Self.fixture.eigen
        let (values, vectors) = SymmetricEigen.decompose(f.matrix, n: f.n)
        #expect(Self.maxAbs(values, f.values) < 1e-12)
        for k in 0 ..< f.n {
            let dot = (0 ..< f.n).reduce(0.0) { $0 + vectors[$1 * f.n + k] * f.vectors[$1 * f.n + k] }
            #expect(abs(abs(dot) - 1) < 1e-10, "eigenvector \(k): |cos| = \(abs(dot))")
        }
    }

    @Test func shrunkCovarianceMatchesScikitLearn() {
        let f = Self.fixture.frechet
        let a = GaussianFit(f.a, shrinkage: f.shrinkage), b = GaussianFit(f.b, shrinkage: f.shrinkage)
        #expect(Self.maxAbs(a.mean, f.mean_a) < 1e-13 && Self.maxAbs(b.mean, f.mean_b) < 1e-13)
        #expect(Self.maxAbs(a.covariance, f.shrunk_cov_a) < 1e-12)
        #expect(Self.maxAbs(b.covariance, f.shrunk_cov_b) < 1e-12)
    }

    /// scipy.linalg.sqrtm (a Schur method on the non-symmetric product Σa Σb) against our two
    /// symmetric eigen-decompositions: both accurate to ~1e-10 of the traces (about 10 here).
    @Test func frechetDistanceMatchesSciPy() {
        let f = Self.fixture.frechet
        let shrunk = FrechetDistance.between(GaussianFit(f.a, shrinkage: f.shrinkage), GaussianFit(f.b, shrinkage: f.shrinkage))
        #expect(abs(shrunk - f.distance_shrunk) < 1e-8 * f.distance_shrunk, "\(shrunk) vs \(f.distance_shrunk)")
        let plain = FrechetDistance.between(GaussianFit(f.a, shrinkage: 0), GaussianFit(f.b, shrinkage: 0))
        #expect(abs(plain - f.distance_plain) < 1e-8 * f.distance_plain, "\(plain) vs \(f.distance_plain)")
        #expect(abs(plain - shrunk) > 1e-3, "the two fixtures differ, so each comparison tests its own path")
    }

    @Test func meanPairwiseDistanceMatchesPdist() {
        let f = Self.fixture.frechet
        let ours = QualityEvaluator.meanPairwiseDistance(f.a)!
        #expect(abs(ours - f.mean_pairwise_a) < 1e-12 * f.mean_pairwise_a)
    }
}
