import BLAS
import CKernels

/// C += A B^T with A a batch of a few rows (m up to a few dozen) and B long (n in the tens of
/// thousands): a Linear layer's forward, y = x W^T on top of the bias (the generator's first
/// layer, 104 inputs to 65,536 outputs; the discriminator's label map, 4 to 65,536). OpenBLAS
/// ran the first at 17 GFLOP per CPU-second, packing the 27 MB weight before using it once;
/// CKernels' kg_rows reads each weight once as it lies. Off AVX-512, OpenBLAS as before.
public enum BatchRows {
    public static func applies(settings: ComputeSettings) -> Bool { kg_rows_level(settings.isaFlag) == 2 }

    /// c (m x n, rows ldc apart) += a (m x k, rows lda apart) b^T, b n x k (rows ldb apart), the
    /// columns split between the workers (each element is computed the same whatever the split).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, settings: ComputeSettings) {
        guard applies(settings: settings) else {
            Gemm.parallel(workers: settings.threads, transB: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                          beta: 1, c: c, ldc: ldc)
            return
        }
        let parts = max(1, min(4 * settings.threads, n / 1024)), isa = settings.isaFlag
        Parallel.forEach(parts, workers: settings.threads) { part in
            let j0 = n * part / parts, j1 = n * (part + 1) / parts
            multiply(m: m, n: j1 - j0, k: k, a: a, lda: lda, b: b + j0 * ldb, ldb: ldb, c: c + j0, ldc: ldc, isa: isa)
        }
    }

    /// The same on one thread, on the path `isa` allows (tests compare the paths).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, isa: Int32) {
        GemmProfile.timed("rows", m: m, n: n, k: k) { kg_rows(a, lda, m, b, ldb, n, k, c, ldc, isa) }
    }
}
