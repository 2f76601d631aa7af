import Engine
import Support
import Testing

/// CKernels' long dot products (the im2col layers' weight gradients): every path gives the same
/// bits (16 lanes per element, one fused chain each, reduced in one fixed tree per block of
/// columns), C = A B^T matches a sum in double, `add` adds to what C held, and nothing outside
/// C's m x n block is written. Shapes with rows past the vector paths' blocks (4 x 4, 2 x 2),
/// k past the last whole 16 and past one block of 4096 columns, and padded leading dimensions.
@Suite struct LongDotsTests {
    @Test(arguments: [(1, 1, 1), (4, 4, 16), (5, 3, 17), (32, 32, 8192), (7, 9, 4096 + 37), (32, 16, 9000), (2, 6, 15)])
    func everyPathGivesTheSameBitsAndTheProduct(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let lda = k + 3, ldb = k + 5, ldc = n + 2
        var rng = SplitMix64(seed: UInt64(m * 100_000 + n * 10_000 + k))
        let a = randomSigned(m * lda, &rng)
        let b = randomSigned(n * ldb, &rng)
        let before = randomSigned(m * ldc, &rng)
        for add in [false, true] {
            let c = sameBitsOnEveryPath(before, "long dots, add \(add)") { cp, isa in
                LongDots.multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, add: add, c: cp, ldc: ldc, isa: isa)
            }
            var worst = 0.0
            for i in 0 ..< m {
                for j in 0 ..< ldc {
                    if j >= n { #expect(c[i * ldc + j] == before[i * ldc + j], "written outside the block at (\(i), \(j))"); continue }
                    var sum = add ? Double(before[i * ldc + j]) : 0, magnitude = abs(sum)
                    for p in 0 ..< k {
                        let t = Double(a[i * lda + p]) * Double(b[j * ldb + p])
                        sum += t; magnitude += abs(t)
                    }
                    // Each product passes through at most k / 16 fused steps of its lane, 4 adds of
                    // the tree and one add per block into C, each rounding once: an error of at most
                    // (k / 16 + 4 + k / 4096 + 1) * 2^-24 of the sum of |terms| (bounded with 6e-8).
                    let steps = Double(k / 16 + 6 + k / 4096)
                    worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / (steps * 6e-8 * magnitude + 1e-30))
                }
            }
            #expect(worst <= 1, "error \(worst) of the bound, add \(add)")
        }
    }
}
