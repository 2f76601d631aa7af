import BLAS
import CKernels

/// C = A B^T (or C += A B^T) with both operands' rows contiguous, where k is long and m, n are
/// small: the im2col layers' weight gradients (dy or x rows of a tile by the tile's im2col rows,
/// m 16-32, n 16-32, k 8192-16384). OpenBLAS packs both operands for these and ran them at
/// 31-39 GFLOP per CPU-second (Zen 4); CKernels' kg_dots keeps 16 lanes of every element in
/// registers instead (69-82 and 54-63 for the two shapes in a training step). Its AVX2
/// path (2 x 2 blocks, 16 registers) ran them at 35-40 against OpenBLAS's 33-51, so below
/// AVX-512, and for other shapes, these products stay on OpenBLAS.
public enum LongDots {
    /// m * n at most this: a few dozen rows each side, where every block of rows stays in L1.
    static let largestOutput = 4096

    public static func applies(m: Int, n: Int, settings: ComputeSettings) -> Bool {
        m * n <= largestOutput && kg_level(settings.isaFlag) == 2
    }

    /// c (m x n, rows ldc apart) = (add ? c : 0) + a b^T, a m x k (rows lda apart), b n x k (rows ldb apart).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                add: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, settings: ComputeSettings) {
        guard applies(m: m, n: n, settings: settings) else {
            BLAS.sgemm(transB: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: add ? 1 : 0, c: c, ldc: ldc)
            return
        }
        multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, add: add, c: c, ldc: ldc, isa: settings.isaFlag)
    }

    /// The same on kg_dots whatever the shape, on the path `isa` allows (tests compare the paths).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                add: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, isa: Int32) {
        GemmProfile.timed("dots", m: m, n: n, k: k) { kg_dots(a, lda, m, b, ldb, n, k, c, ldc, add ? 1 : 0, isa) }
    }
}
