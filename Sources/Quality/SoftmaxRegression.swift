import Foundation

/// Multinomial logistic regression with an L2 penalty on the weights (not the intercepts):
///     minimise  (1/n) Σᵢ −log pᵢ[yᵢ] + (λ/2) ‖W‖²,   pᵢ = softmax(W xᵢ + b),
/// which is scikit-learn's `LogisticRegression(C: 1 / (λ n))` objective divided by C n, so
/// both find the same minimiser (the fixture test checks it).
///
/// Fitted by Nesterov's accelerated gradient with the gradient restart of O'Donoghue & Candès
/// (2015) and the fixed step 1/L, L = ½ λmax(X̃ᵀX̃ / n) + λ (X̃: the rows with a 1 appended; ½
/// bounds the softmax's curvature): no line search, no randomness, the same bits every time,
/// and a few hundred cheap iterations where Newton's method would need (d K)² Hessians.
public struct SoftmaxRegression: Sendable, Equatable {
    public let classes: Int
    public let dimension: Int
    /// classes x dimension, row-major.
    public let weights: [Double]
    /// Per class; they sum to zero (the softmax does not see a common shift).
    public let intercepts: [Double]
    /// Gradient steps taken, and the largest gradient entry when the fit stopped.
    public let iterations: Int
    public let finalGradient: Double

    /// The fit stops when no gradient entry exceeds this. At 1e-6 the probabilities are within
    /// about 1e-6 / λ of the minimiser's, far below what moves a prediction, in a third fewer
    /// steps than 1e-9 (the scikit-learn comparison asks for 1e-10).
    public static let defaultTolerance = 1e-6
    public static let maxIterations = 20_000

    /// rows: n feature vectors of equal length; labels in 0 ..< classes.
    public init(rows: [[Double]], labels: [Int], classes: Int, l2: Double, tolerance: Double = SoftmaxRegression.defaultTolerance) {
        precondition(!rows.isEmpty && rows.count == labels.count, "one label per row")
        precondition(classes >= 1 && labels.allSatisfy { (0 ..< classes).contains($0) }, "labels out of range")
        precondition(l2 > 0, "the penalty keeps the problem strictly convex")
        let n = rows.count, d = rows[0].count, k = classes, p = d + 1
        self.classes = k
        dimension = d
        // X̃ (n x p) flat: the features then a 1 for the intercept.
        var x = [Double](repeating: 1, count: n * p)
        for i in 0 ..< n { for j in 0 ..< d { x[i * p + j] = rows[i][j] } }
        let lipschitz = 0.5 * Self.largestGramEigenvalue(x, n: n, p: p) + l2
        let step = 1 / lipschitz

        // Parameters θ (k x p): each class's weights then its intercept.
        var theta = [Double](repeating: 0, count: k * p)
        var previous = theta, y = theta, gradient = theta
        var t = 1.0, iterations = 0, largest = Double.infinity
        while iterations < Self.maxIterations {
            Self.gradient(at: y, x: x, labels: labels, n: n, p: p, k: k, l2: l2, into: &gradient)
            iterations += 1
            largest = gradient.reduce(0) { max($0, abs($1)) }
            if largest < tolerance { theta = y; break }
            for i in theta.indices { theta[i] = y[i] - step * gradient[i] }
            // Restart the momentum when it points uphill (gradient · (θ − θprev) > 0).
            var uphill = 0.0
            for i in theta.indices { uphill += gradient[i] * (theta[i] - previous[i]) }
            if uphill > 0 {
                t = 1
                y = theta
            } else {
                let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
                let momentum = (t - 1) / tNext
                for i in theta.indices { y[i] = theta[i] + momentum * (theta[i] - previous[i]) }
                t = tNext
            }
            previous = theta
        }
        self.iterations = iterations
        finalGradient = largest
        var w = [Double](repeating: 0, count: k * d), b = [Double](repeating: 0, count: k)
        for c in 0 ..< k {
            for j in 0 ..< d { w[c * d + j] = theta[c * p + j] }
            b[c] = theta[c * p + d]
        }
        let shift = b.reduce(0, +) / Double(k)
        weights = w
        intercepts = b.map { $0 - shift }
    }

    /// Class probabilities of one row.
    public func probabilities(_ row: [Double]) -> [Double] {
        precondition(row.count == dimension, "expected \(dimension) features")
        var z = (0 ..< classes).map { c in
            var s = intercepts[c]
            for j in 0 ..< dimension { s += weights[c * dimension + j] * row[j] }
            return s
        }
        Self.softmax(&z)
        return z
    }

    /// The most probable class (the lowest index on a tie).
    public func predict(_ row: [Double]) -> Int {
        let p = probabilities(row)
        return p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
    }

    static func softmax(_ z: inout [Double]) {
        let top = z.max()!
        var sum = 0.0
        for i in z.indices { z[i] = exp(z[i] - top); sum += z[i] }
        for i in z.indices { z[i] /= sum }
    }

    /// ∇ of the objective at θ: (1/n) Σᵢ (pᵢ − onehot(yᵢ)) x̃ᵢᵀ + λ W (intercepts unpenalised).
    static func gradient(at theta: [Double], x: [Double], labels: [Int], n: Int, p: Int, k: Int, l2: Double,
                         into g: inout [Double]) {
        for i in g.indices { g[i] = 0 }
        var z = [Double](repeating: 0, count: k)
        theta.withUnsafeBufferPointer { th in
            x.withUnsafeBufferPointer { xs in
                g.withUnsafeMutableBufferPointer { gs in
                    for i in 0 ..< n {
                        let row = xs.baseAddress! + i * p
                        for c in 0 ..< k { z[c] = dot(th.baseAddress! + c * p, row, count: p) }
                        softmax(&z)
                        z[labels[i]] -= 1
                        for c in 0 ..< k {
                            let r = z[c] / Double(n)
                            let gc = gs.baseAddress! + c * p
                            for j in 0 ..< p { gc[j] += r * row[j] }
                        }
                    }
                    for c in 0 ..< k { for j in 0 ..< p - 1 { gs[c * p + j] += l2 * th[c * p + j] } }
                }
            }
        }
    }

    /// Σ a[j] b[j] in four interleaved partial sums: a single running sum is one long chain of
    /// dependent additions, which is most of a fit's time (the compiler may not reorder them).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, j = 0
        while j + 4 <= count {
            s0 += a[j] * b[j]; s1 += a[j + 1] * b[j + 1]; s2 += a[j + 2] * b[j + 2]; s3 += a[j + 3] * b[j + 3]
            j += 4
        }
        while j < count { s0 += a[j] * b[j]; j += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// λmax(X̃ᵀX̃ / n) by the symmetric eigen-solver (p x p, p = features + 1).
    static func largestGramEigenvalue(_ x: [Double], n: Int, p: Int) -> Double {
        var gram = [Double](repeating: 0, count: p * p)
        for i in 0 ..< n {
            for a in 0 ..< p {
                let xa = x[i * p + a]
                for b in a ..< p { gram[a * p + b] += xa * x[i * p + b] }
            }
        }
        for a in 0 ..< p { for b in a ..< p { gram[a * p + b] /= Double(n); gram[b * p + a] = gram[a * p + b] } }
        return SymmetricEigen.decompose(gram, n: p).values.last!
    }
}
