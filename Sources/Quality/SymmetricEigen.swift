/// Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method (Golub & Van Loan,
/// Matrix Computations, 4th ed., §8.5.2-8.5.3): each rotation zeroes one off-diagonal pair;
/// sweeps repeat until the off-diagonal part is negligible against the whole. O(n³) per sweep
/// and a handful of sweeps: instant for the ~41 x 41 covariances here, accurate to a few ulps
/// of the largest eigenvalue, and no LAPACK.
public enum SymmetricEigen {
    /// `a`: n x n row-major, symmetric. Returns the eigenvalues in ascending order and the
    /// matching unit eigenvectors as the columns of an n x n row-major matrix.
    public static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n, "expected \(n) x \(n) values")
        var m = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { v[i * n + i] = 1 }
        let total = m.reduce(0) { $0 + $1 * $1 }
        for _ in 0 ..< 100 {
            var off = 0.0
            for p in 0 ..< n { for q in 0 ..< n where q != p { off += m[p * n + q] * m[p * n + q] } }
            if off <= 1e-30 * total || off == 0 { break }
            for p in 0 ..< n - 1 {
                for q in p + 1 ..< n where m[p * n + q] != 0 {
                    rotate(&m, &v, n: n, p: p, q: q)
                }
            }
        }
        let values = (0 ..< n).map { m[$0 * n + $0] }
        let order = values.indices.sorted { values[$0] < values[$1] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (col, k) in order.enumerated() { for r in 0 ..< n { vectors[r * n + col] = v[r * n + k] } }
        return (order.map { values[$0] }, vectors)
    }

    /// One Jacobi rotation J(p, q) with A <- JᵀAJ chosen so that A[p][q] becomes 0 (the
    /// smaller of the two rotation angles, GvL's sym.schur2); V <- VJ accumulates the vectors.
    static func rotate(_ m: inout [Double], _ v: inout [Double], n: Int, p: Int, q: Int) {
        let apq = m[p * n + q]
        let tau = (m[q * n + q] - m[p * n + p]) / (2 * apq)
        let t = (tau >= 0 ? 1.0 : -1.0) / (abs(tau) + (1 + tau * tau).squareRoot())
        let c = 1 / (1 + t * t).squareRoot(), s = t * c
        for k in 0 ..< n {                       // columns p and q
            let kp = m[k * n + p], kq = m[k * n + q]
            m[k * n + p] = c * kp - s * kq
            m[k * n + q] = s * kp + c * kq
        }
        for k in 0 ..< n {                       // rows p and q
            let pk = m[p * n + k], qk = m[q * n + k]
            m[p * n + k] = c * pk - s * qk
            m[q * n + k] = s * pk + c * qk
        }
        m[p * n + q] = 0
        m[q * n + p] = 0
        for k in 0 ..< n {
            let kp = v[k * n + p], kq = v[k * n + q]
            v[k * n + p] = c * kp - s * kq
            v[k * n + q] = s * kp + c * kq
        }
    }
}
