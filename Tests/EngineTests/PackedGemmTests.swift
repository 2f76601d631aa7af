import Engine
import Support
import Testing

/// CKernels' packed product (the Winograd layers' products on AVX-512 CPUs): every path gives
/// the same bits (one fused multiply-add chain per element, in k order), the product matches a
/// direct sum in double, and nothing outside C's m x n block is written. Shapes with rows past
/// the last panel of 8, columns past the last vector block, and padded leading dimensions.
@Suite struct PackedGemmTests {
    @Test(arguments: [(1, 1, 1), (8, 32, 16), (9, 33, 7), (17, 70, 130), (64, 256, 128), (3, 100, 64), (12, 48, 5)])
    func everyPathGivesTheSameBitsAndTheProduct(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let lda = k + 3, ldb = n + 5, ldc = n + 2
        var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
        let a = (0 ..< m * lda).map { _ in rng.nextUniform() * 2 - 1 }
        let b = (0 ..< k * ldb).map { _ in rng.nextUniform() * 2 - 1 }
        var packed = [Float](repeating: .nan, count: PackedGemm.packedCount(matrices: 1, m: m, k: k))
        packed.withUnsafeMutableBufferPointer { p in
            PackedGemm.pack(a, matrices: 1, matrixStride: 0, m: m, k: k, lda: lda, into: p.baseAddress!, workers: 1)
        }
        let c = sameBitsOnEveryPath([Float](repeating: 7, count: m * ldc), "packed product") { cp, isa in
            PackedGemm.multiply(packed, matrix: 0, m: m, n: n, k: k, b: b, ldb: ldb, c: cp, ldc: ldc, isa: isa)
        }
        var worst = 0.0
        for i in 0 ..< m {
            for j in 0 ..< ldc {
                if j >= n { #expect(c[i * ldc + j] == 7, "written outside the block at (\(i), \(j))"); continue }
                var sum = 0.0, magnitude = 0.0
                for p in 0 ..< k {
                    let t = Double(a[i * lda + p]) * Double(b[p * ldb + j])
                    sum += t; magnitude += abs(t)
                }
                // A float32 chain of k fused multiply-adds: each step rounds once, so the error is
                // at most k * 2^-24 of the sum of |terms| (bounded here with k * 6e-8).
                worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / (Double(k) * 6e-8 * magnitude + 1e-30))
            }
        }
        #expect(worst <= 1, "error \(worst) of the bound")
    }
}
