import COpenBLAS
import Foundation
import Synchronization

/// Opt-in per-shape gemm timing for performance work (`CGAN_GEMM_PROFILE=1 cgan-tui bench train`):
/// thread CPU time, FLOPs and calls per (transposes, m, n, k). Off, it costs one branch per call.
public enum GemmProfile {
    public static let enabled = ProcessInfo.processInfo.environment["CGAN_GEMM_PROFILE"] != nil
    private static let table = Mutex<[String: (seconds: Double, flops: Double, calls: Int)]>([:])

    /// CPU time of the calling thread (other processes' load does not count).
    public static func threadSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    public static func add(_ key: String, seconds: Double, flops: Double) {
        table.withLock { t in
            var e = t[key] ?? (0, 0, 0)
            e.seconds += seconds; e.flops += flops; e.calls += 1
            t[key] = e
        }
    }

    /// Runs one m x n x k product, counted under "`kind` m .. n .. k .." when profiling is on.
    @inline(__always)
    public static func timed(_ kind: @autoclosure () -> String, m: Int, n: Int, k: Int, _ product: () -> Void) {
        guard enabled else { return product() }
        let t0 = threadSeconds()
        product()
        add("\(kind()) m \(m) n \(n) k \(k)", seconds: threadSeconds() - t0, flops: 2 * Double(m) * Double(n) * Double(k))
    }

    public static func reset() { table.withLock { $0 = [:] } }

    /// One line per shape, most CPU time first, then the total.
    public static func report() -> [String] {
        let rows = table.withLock { $0 }.sorted { $0.value.seconds > $1.value.seconds }
        var lines = rows.map { key, v in
            String(format: "%8.3f CPU-s %7.1f GFLOP/CPU-s %5d calls  %@", v.seconds, v.flops / v.seconds / 1e9, v.calls, key as NSString)
        }
        lines.append(String(format: "%8.3f CPU-s in sgemm", rows.reduce(0) { $0 + $1.value.seconds }))
        return lines
    }
}

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
        GemmProfile.timed("\(transA ? "T" : "N")\(transB ? "T" : "N")", m: m, n: n, k: k) {
            cblas_sgemm(CblasRowMajor,
                        transA ? CblasTrans : CblasNoTrans,
                        transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                        beta, c, Int32(ldc))
        }
    }

    /// y = alpha * op(A) * x + beta * y for a row-major m x n matrix A.
    @inline(__always)
    public static func sgemv(trans: Bool = false, m: Int, n: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                             beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                    alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// OpenBLAS's own thread count (its process-wide setting). The engine splits its work across
    /// its own workers (`ComputeSettings.threads`), each calling OpenBLAS single-threaded, and sets
    /// 1 while it runs; other callers (`--threads` elsewhere, bench sgemm) get OpenBLAS's threads.
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
