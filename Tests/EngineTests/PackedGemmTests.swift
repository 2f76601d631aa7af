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
        let a = randomSigned(m * lda, &rng)
        let b = randomSigned(k * ldb, &rng)
        var packed = [Float](repeating: .nan, count: PackedGemm.packedCount(matrices: 1, m: m, k: k))
        packed.withUnsafeMutableBufferPointer { p in
            PackedGemm.pack(a, matrices: 1, matrixStride: 0, m: m, k: k, lda: lda, into: p.baseAddress!, workers: 1, isa: 2)
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

/// The packed layout, the chain that starts from C, and the transposes the weight gradients
/// feed the packed kernel with: every path the same floats, each as defined.
@Suite struct PackedOperandTests {
    static let shapes = [(1, 1), (8, 16), (9, 33), (16, 16), (17, 70), (64, 128), (33, 5), (48, 64)]

    @Test(arguments: shapes)
    func packingOnEveryPathGivesThePanels(_ shape: (Int, Int)) {
        let (m, k) = shape, lda = k + 3
        var rng = SplitMix64(seed: UInt64(m * 1000 + k))
        let a = randomSigned(m * lda, &rng)
        let packed = sameBitsOnEveryPath([Float](repeating: .nan, count: PackedGemm.packedCount(matrices: 1, m: m, k: k)),
                                         "packing") { p, isa in
            PackedGemm.pack(a, matrices: 1, matrixStride: 0, m: m, k: k, lda: lda, into: p, workers: 1, isa: isa)
        }
        for i in 0 ..< (m + 7) / 8 * 8 {
            for p in 0 ..< k {
                let want: Float = i < m ? a[i * lda + p] : 0
                #expect(packed[(i / 8) * 8 * k + p * 8 + i % 8].bitPattern == want.bitPattern, "row \(i), column \(p)")
            }
        }
    }

    @Test(arguments: shapes)
    func transposingOnEveryPathGivesTheTranspose(_ shape: (Int, Int)) {
        let (rows, columns) = shape, lda = columns + 3, ldd = rows + 5
        var rng = SplitMix64(seed: UInt64(rows * 1000 + columns + 7))
        let a = randomSigned(rows * lda, &rng)
        let t = sameBitsOnEveryPath([Float](repeating: 7, count: columns * ldd), "transpose") { d, isa in
            PackedGemm.transpose(a, lda: lda, rows: rows, columns: columns, into: d, ldd: ldd, isa: isa)
        }
        for j in 0 ..< columns {
            for i in 0 ..< ldd {
                let want: Float = i < rows ? a[i * lda + j] : 7   // nothing past the rows written
                #expect(t[j * ldd + i].bitPattern == want.bitPattern, "(\(i), \(j))")
            }
        }
    }

    /// add: each element's chain starts from C's value: the same bits as a product over k + 1
    /// with that value as one more term times 1 first, checked here against a sum in double.
    @Test(arguments: [(8, 32, 16), (9, 33, 7), (17, 70, 130), (3, 100, 64)])
    func addingStartsEachChainFromC(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape, ldb = n + 5, ldc = n + 2
        var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k + 3))
        let a = randomSigned(m * k, &rng)
        let b = randomSigned(k * ldb, &rng)
        let before = randomSigned(m * ldc, &rng)
        var packed = [Float](repeating: 0, count: PackedGemm.packedCount(matrices: 1, m: m, k: k))
        packed.withUnsafeMutableBufferPointer { PackedGemm.pack(a, matrices: 1, matrixStride: 0, m: m, k: k, lda: k, into: $0.baseAddress!, workers: 1, isa: 2) }
        let c = sameBitsOnEveryPath(before, "packed product added") { cp, isa in
            PackedGemm.multiply(packed, matrix: 0, m: m, n: n, k: k, b: b, ldb: ldb, c: cp, ldc: ldc, add: true, isa: isa)
        }
        var worst = 0.0
        for i in 0 ..< m {
            for j in 0 ..< ldc {
                if j >= n { #expect(c[i * ldc + j] == before[i * ldc + j], "written outside the block at (\(i), \(j))"); continue }
                var sum = Double(before[i * ldc + j]), magnitude = abs(sum)
                for p in 0 ..< k {
                    let t = Double(a[i * k + p]) * Double(b[p * ldb + j])
                    sum += t; magnitude += abs(t)
                }
                worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / (Double(k) * 6e-8 * magnitude + 1e-30))
            }
        }
        #expect(worst <= 1, "error \(worst) of the bound")
    }
}
