import COpenBLAS
import Foundation

/// The one Swift file that talks to OpenBLAS. Row-major everywhere.
public enum BLAS {
    /// C[m x n] = alpha * op(A) * op(B) + beta * C, row-major.
    /// op(A) is m x k, op(B) is k x n; lda/ldb/ldc are the row strides as stored.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// y = alpha * op(A) * x + beta * y for a row-major m x n matrix A.
    @inline(__always)
    public static func sgemv(trans: Bool = false, m: Int, n: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                             beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                    alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Threads the numeric code may use (`--threads`). The engine splits its work across this
    /// many threads itself, each calling OpenBLAS single-threaded (no spinning pool threads
    /// competing with the elementwise loops); other callers get OpenBLAS's own threads.
    public static var threads: Int {
        get { computeThreads }
        set {
            computeThreads = max(1, newValue)
            openblas_set_num_threads(Int32(computeThreads))
        }
    }
    nonisolated(unsafe) private static var computeThreads = ProcessInfo.processInfo.activeProcessorCount

    /// OpenBLAS's own thread count for one call (the engine sets 1 while it runs).
    public static var nativeThreads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS picked when it loaded (e.g. "Haswell", "Cooperlake").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
