import BLAS
import Foundation
import Synchronization

/// Splits work across the cores: the engine's own threads, each calling OpenBLAS
/// single-threaded. Indices are handed out in contiguous ranges, one per worker, so which
/// worker does what depends only on the worker count (results are reproducible for a
/// given `--threads`). The count is the caller's (`ComputeSettings.threads` of its layer).
public enum Parallel {
    /// Runs body(i) for i in 0..<count, in `workers` contiguous chunks when worth it.
    @inline(__always)
    public static func forEach(_ count: Int, workers: Int, minimumWork: Int = 1,
                               site: String = #fileID, line: Int = #line, _ body: (Int) -> Void) {
        forEachWorker(count, workers: workers, minimumWork: minimumWork, site: site, line: line) { _, range in
            for i in range { body(i) }
        }
    }

    /// body(worker, range): worker in 0..<workers owns indices `range` (possibly empty).
    /// `site`/`line`: the caller, for `SectionProfile`.
    public static func forEachWorker(_ count: Int, workers: Int, minimumWork: Int = 1,
                                     site: String = #fileID, line: Int = #line, _ body: (Int, Range<Int>) -> Void) {
        BLAS.nativeThreads = 1   // every engine gemm is single-threaded: reproducible, no spinning pool
        let w = min(workers, count)
        if w <= 1 || count < minimumWork {
            body(0, 0 ..< count)
            return
        }
        withoutActuallyEscaping(body) { body in
            // The callers hand out disjoint indices; the box only tells the compiler so.
            let box = UncheckedBox(body)
            SectionProfile.timed("\(site):\(line)") { finished in
                DispatchQueue.concurrentPerform(iterations: w) { chunk in
                    box.value(chunk, count * chunk / w ..< count * (chunk + 1) / w)
                    finished()
                }
            }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Parallel {
    /// body(worker, index) for every index in 0..<count; workers take the next free index, so
    /// a worker the OS parks for a while does not hold up the others. Which worker runs an index
    /// varies: callers must make each index's result independent of the worker (own output
    /// region, or per-index partial sums reduced in index order).
    public static func forEachDynamic(_ count: Int, workers: Int, site: String = #fileID, line: Int = #line,
                                      _ body: (Int, Int) -> Void) {
        BLAS.nativeThreads = 1
        let w = min(workers, count)
        if w <= 1 {
            for i in 0 ..< count { body(0, i) }
            return
        }
        let next = Mutex(0)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            SectionProfile.timed("\(site):\(line)") { finished in
                DispatchQueue.concurrentPerform(iterations: w) { worker in
                    while true {
                        let i = next.withLock { v -> Int in defer { v += 1 }; return v }
                        if i >= count { break }
                        box.value(worker, i)
                    }
                    finished()
                }
            }
        }
    }

    /// dst[j] += sum over parts p (in order p = 0, 1, ...) of parts[p][j]: reproducible.
    public static func addParts(_ parts: [UnsafeMutablePointer<Float>], into dst: UnsafeMutablePointer<Float>, count: Int,
                                workers: Int) {
        let blocks = max(1, min(64, count / 4096))
        forEach(blocks, workers: workers) { b in
            let lo = count * b / blocks, hi = count * (b + 1) / blocks
            for p in parts { for j in lo ..< hi { dst[j] += p[j] } }
        }
    }
}

/// Per-worker scratch buffers (column matrices, partial weight gradients).
public final class WorkerBuffers: @unchecked Sendable {
    private var buffers: [FloatBuffer] = []
    /// The layer's Winograd-transformed weights, made from its current weights on every call
    /// (an im2col layer's W^T, `PackedGemm.transpose`), and those packed for PackedGemm, shared
    /// by the layers that share this object (one layer runs at a time; with 4x4 tiles, 100
    /// floats per 4x4 kernel, 34 MB over the seed model's layers when each kept its own).
    public let winogradFilters = FloatBuffer(), packedFilters = FloatBuffer()
    public init() {}
    /// The buffer of `worker`, holding at least `count` floats (contents undefined).
    public func buffer(_ worker: Int, count: Int) -> FloatBuffer {
        while buffers.count <= worker { buffers.append(FloatBuffer()) }
        let b = buffers[worker]
        if b.count < count { b.resize(count) }
        return b
    }
    /// Ensures `workers` buffers exist before a parallel section (no appends inside it).
    public func prepare(workers: Int, count: Int) {
        for w in 0 ..< workers { _ = buffer(w, count: count) }
    }
}

/// Matrix products split across workers along the larger output dimension.
public enum Gemm {
    /// The products are cut into parts by shape alone (at most this many, each at least 64 rows or
    /// columns): OpenBLAS may round a slice differently from the whole (its small-matrix kernels),
    /// so slices that followed the worker count changed bits between 1 and 2 threads.
    static let maxParts = 8

    public static func parallel(workers: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let parts = min(maxParts, max(m, n) / 64)
        if parts <= 1 {
            BLAS.nativeThreads = 1
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                       beta: beta, c: c, ldc: ldc)
            return
        }
        Parallel.forEach(parts, workers: workers) { part in
            if n >= m {
                let j0 = n * part / parts, j1 = n * (part + 1) / parts
                BLAS.sgemm(transA: transA, transB: transB, m: m, n: j1 - j0, k: k, a: a, lda: lda,
                           b: transB ? b + j0 * ldb : b + j0, ldb: ldb, beta: beta, c: c + j0, ldc: ldc)
            } else {
                let i0 = m * part / parts, i1 = m * (part + 1) / parts
                BLAS.sgemm(transA: transA, transB: transB, m: i1 - i0, n: n, k: k,
                           a: transA ? a + i0 : a + i0 * lda, lda: lda, b: b, ldb: ldb, beta: beta,
                           c: c + i0 * ldc, ldc: ldc)
            }
        }
    }
}
