import Engine
import Support
import Testing

/// BatchRows (CKernels' kg_rows, a Linear layer's y += x W^T): both paths give the same bits, for
/// any split of the columns between workers, it adds to what C held, matches a sum in double,
/// and writes nothing outside C's m x n block. Rows past one block of 16, columns past the
/// vector path's blocks of 16 and its prefetch distance, k past one block of 256, padded strides.
@Suite struct BatchRowsTests {
    @Test(arguments: [(1, 1, 1), (16, 65, 104), (3, 200, 4), (17, 33, 300), (16, 1024, 104), (5, 7, 513)])
    func bothPathsGiveTheSameBitsAndTheProduct(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let lda = k + 3, ldb = k + 1, ldc = n + 2
        var rng = SplitMix64(seed: UInt64(m * 100_000 + n * 10_000 + k))
        let a = randomSigned(m * lda, &rng)
        let b = randomSigned(n * ldb, &rng)
        let before = randomSigned(m * ldc, &rng)
        let c = sameBitsOnEveryPath(before, paths: [0, 2], "batch rows") { cp, isa in
            BatchRows.multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: cp, ldc: ldc, isa: isa)
        }
        // Columns in two uneven parts, as the workers split them.
        var split = before
        split.withUnsafeMutableBufferPointer { cp in
            b.withUnsafeBufferPointer { bp in
                let j = n / 3
                BatchRows.multiply(m: m, n: j, k: k, a: a, lda: lda, b: bp.baseAddress!, ldb: ldb, c: cp.baseAddress!, ldc: ldc, isa: 2)
                BatchRows.multiply(m: m, n: n - j, k: k, a: a, lda: lda, b: bp.baseAddress! + j * ldb, ldb: ldb,
                                   c: cp.baseAddress! + j, ldc: ldc, isa: 2)
            }
        }
        #expect(split.map(\.bitPattern) == c.map(\.bitPattern), "columns split in two")
        var worst = 0.0
        for i in 0 ..< m {
            for j in 0 ..< ldc {
                if j >= n { #expect(c[i * ldc + j] == before[i * ldc + j], "written outside the block at (\(i), \(j))"); continue }
                var sum = 0.0, magnitude = 0.0
                for p in 0 ..< k {
                    let t = Double(a[i * lda + p]) * Double(b[j * ldb + p])
                    sum += t; magnitude += abs(t)
                }
                // k fused steps, then the add to C: each rounds once (2^-24 of at most the running
                // sum of |terms| and C's value; bounded with 6e-8).
                let total = Double(before[i * ldc + j]) + sum
                let bound = Double(k + 1) * 6e-8 * (magnitude + abs(Double(before[i * ldc + j]))) + 1e-30
                worst = max(worst, abs(Double(c[i * ldc + j]) - total) / bound)
            }
        }
        #expect(worst <= 1, "error \(worst) of the bound")
    }
}
