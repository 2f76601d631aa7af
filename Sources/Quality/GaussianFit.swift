/// A Gaussian fitted to a set of feature rows: the mean and a shrunk covariance
///     (1 - α) S + α (tr S / d) I,   S = (1/n) Σ (x - μ)(x - μ)ᵀ,
/// scikit-learn's `ShrunkCovariance(shrinkage: α)`. The run scores 16 generated clips per
/// class in ~41 dimensions: the plain sample covariance of so few rows is noisy and often
/// singular, and its small eigenvalues would dominate the Fréchet distance's square root.
/// Shrinking a tenth of it towards the mean variance keeps the estimate well conditioned at
/// a small, fixed bias that is the same for every epoch, so distances stay comparable.
public struct GaussianFit: Sendable, Equatable {
    public static let defaultShrinkage = 0.1
    public let mean: [Double]
    /// d x d, row-major.
    public let covariance: [Double]
    public var dimension: Int { mean.count }

    public init(_ rows: [[Double]], shrinkage: Double = GaussianFit.defaultShrinkage) {
        precondition(!rows.isEmpty, "no rows to fit")
        let d = rows[0].count, n = Double(rows.count)
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0 ..< d { mean[j] += r[j] } }
        for j in 0 ..< d { mean[j] /= n }
        var cov = [Double](repeating: 0, count: d * d)
        for r in rows {
            for i in 0 ..< d {
                let di = r[i] - mean[i]
                for j in i ..< d { cov[i * d + j] += di * (r[j] - mean[j]) }
            }
        }
        var trace = 0.0
        for i in 0 ..< d {
            for j in i ..< d {
                cov[i * d + j] /= n
                cov[j * d + i] = cov[i * d + j]
            }
            trace += cov[i * d + i]
        }
        for k in 0 ..< d * d { cov[k] *= 1 - shrinkage }
        for i in 0 ..< d { cov[i * d + i] += shrinkage * trace / Double(d) }
        self.mean = mean
        covariance = cov
    }

    public init(mean: [Double], covariance: [Double]) {
        precondition(covariance.count == mean.count * mean.count, "covariance must be d x d")
        self.mean = mean
        self.covariance = covariance
    }
}

/// The Fréchet distance between two Gaussians (the formula behind FID):
///     ‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa^½ Σb Σa^½)^½.
/// tr (Σa Σb)^½, the usual way of writing the last term, equals tr (Σa^½ Σb Σa^½)^½, whose
/// argument is symmetric: two symmetric eigen-decompositions give it, no general matrix root.
public enum FrechetDistance {
    public static func between(_ a: GaussianFit, _ b: GaussianFit) -> Double {
        let d = a.dimension
        precondition(b.dimension == d, "dimensions differ")
        var meanTerm = 0.0
        for i in 0 ..< d { meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]) }
        let rootA = squareRoot(a.covariance, n: d)
        let inner = symmetrised(multiply(multiply(rootA, b.covariance, n: d), rootA, n: d), n: d)
        let traceRoot = SymmetricEigen.decompose(inner, n: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        var traces = 0.0
        for i in 0 ..< d { traces += a.covariance[i * d + i] + b.covariance[i * d + i] }
        // Rounding can take a distance between near-equal Gaussians a hair below zero.
        return max(0, meanTerm + traces - 2 * traceRoot)
    }

    /// The symmetric square root V diag(√λ) Vᵀ of a symmetric positive semi-definite matrix
    /// (eigenvalues that rounding made slightly negative count as 0).
    static func squareRoot(_ m: [Double], n: Int) -> [Double] {
        let (values, vectors) = SymmetricEigen.decompose(m, n: n)
        var out = [Double](repeating: 0, count: n * n)
        for k in 0 ..< n {
            let r = max(values[k], 0).squareRoot()
            guard r > 0 else { continue }
            for i in 0 ..< n {
                let vik = vectors[i * n + k] * r
                for j in 0 ..< n { out[i * n + j] += vik * vectors[j * n + k] }
            }
        }
        return out
    }

    static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for k in 0 ..< n {
                let aik = a[i * n + k]
                for j in 0 ..< n { out[i * n + j] += aik * b[k * n + j] }
            }
        }
        return out
    }

    static func symmetrised(_ m: [Double], n: Int) -> [Double] {
        var out = m
        for i in 0 ..< n { for j in 0 ..< n { out[i * n + j] = (m[i * n + j] + m[j * n + i]) / 2 } }
        return out
    }
}
