import BLAS
import CKernels

/// The Winograd products C = A B on CKernels' kernel (`gemm_kernels.h`) where the CPU has
/// AVX-512 and the layer's settings allow it: A (a layer's transformed filters) is packed once
/// per layer call and read by every chunk, B and C stay as they lie. OpenBLAS packed both
/// operands again on every chunk's call and ran these shapes at 66-94 GFLOP/s on one core
/// where this kernel runs 92-113 (Zen 4, hot caches). Its AVX2 path is slower than OpenBLAS's
/// Haswell kernels (61-87), so below AVX-512 the products stay on OpenBLAS.
public struct PackedGemm {
    /// Whether `settings` use this kernel on this CPU.
    public static func applies(_ settings: ComputeSettings) -> Bool { kg_level(settings.isaFlag) == 2 }

    /// Products narrower than this stay on OpenBLAS: the kernel runs 32 columns at a time, and
    /// narrow ones are mostly the padded last block (one core, m 64 k 128: n 18 ran at 49 GFLOP/s
    /// against OpenBLAS's 89; n 36 at 54 against 57). Whole blocks run at full speed: m 256 k
    /// 512 and m 128 k 256 at 116 GFLOP/s for n 32, 64 and 128 alike, 83-85 at n 48.
    /// A chunk's width depends on the shape alone, so the choice keeps 1 and 2 workers' bits equal.
    public static let minimumColumns = 32

    /// Floats `pack` writes for `count` matrices of m x k.
    public static func packedCount(matrices count: Int, m: Int, k: Int) -> Int { count * kg_packed_count(m, k) }

    /// Packs matrix i (at a + i * matrixStride, rows lda apart) to packed + i * kg_packed_count(m, k),
    /// the matrices split across `workers` (the same floats on every `isa` path).
    public static func pack(_ a: UnsafePointer<Float>, matrices count: Int, matrixStride: Int, m: Int, k: Int, lda: Int,
                            into packed: UnsafeMutablePointer<Float>, workers: Int, isa: Int32) {
        let each = kg_packed_count(m, k)
        Parallel.forEach(count, workers: workers) { i in kg_pack(a + i * matrixStride, lda, m, k, packed + i * each, isa) }
    }

    /// a^T (columns x rows, contiguous) of the rows x columns matrix a (rows lda apart), in
    /// `buffer`: for a product with A transposed (an im2col layer's W^T), which `Products` takes
    /// as it lies. Layer weights are small (at most a few thousand floats here).
    public static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int,
                                 into buffer: FloatBuffer) -> UnsafePointer<Float> {
        buffer.resize(rows * columns)
        transpose(a, lda: lda, rows: rows, columns: columns, into: buffer.pointer, ldd: rows, isa: 0)
        return UnsafePointer(buffer.pointer)
    }

    /// dst[j * ldd + i] = a[i * lda + j] for i < rows, j < columns: 16 x 16 blocks in registers
    /// on the AVX-512 path (CKernels' kg_transpose), the same floats on every path.
    public static func transpose(_ a: UnsafePointer<Float>, lda: Int, rows: Int, columns: Int,
                                 into dst: UnsafeMutablePointer<Float>, ldd: Int, isa: Int32) {
        kg_transpose(a, lda, rows, columns, dst, ldd, isa)
    }

    /// One layer call's products C = A_i B, the A_i contiguous m x k matrices (a layer's
    /// transformed filters): on this kernel, with the A_i packed once here, where the settings
    /// allow it and the call has products at least `minimumColumns` wide; else on OpenBLAS.
    public struct Products {
        let a: UnsafePointer<Float>?, m: Int, k: Int, isa: Int32
        let packed: UnsafePointer<Float>?

        /// The products of A_i already in kg_pack's layout (`count` matrices packedCount(1, m, k)
        /// apart, as WinogradConv.packFilters writes them), every width on this kernel.
        public init(packed: UnsafePointer<Float>, m: Int, k: Int, settings: ComputeSettings) {
            precondition(PackedGemm.applies(settings), "PackedGemm.Products(packed:) where the kernel does not run")
            a = nil; self.packed = packed; self.m = m; self.k = k; isa = settings.isaFlag
        }

        /// widest: the widest product (n) the call will run; `buffer` holds the packed copies.
        public init(_ a: UnsafePointer<Float>, matrices count: Int, m: Int, k: Int, widest: Int,
                    settings: ComputeSettings, buffer: FloatBuffer) {
            self.a = a; self.m = m; self.k = k; isa = settings.isaFlag
            if PackedGemm.applies(settings), widest >= PackedGemm.minimumColumns {
                buffer.resize(PackedGemm.packedCount(matrices: count, m: m, k: k))
                PackedGemm.pack(a, matrices: count, matrixStride: m * k, m: m, k: k, lda: k, into: buffer.pointer,
                                workers: settings.threads, isa: settings.isaFlag)
                packed = UnsafePointer(buffer.pointer)
            } else {
                packed = nil
            }
        }

        /// c = A_i b, b k x n (rows ldb apart), c m x n (rows ldc apart).
        public func multiply(_ i: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
            if let a, packed == nil || n < PackedGemm.minimumColumns {
                BLAS.sgemm(m: m, n: n, k: k, a: a + i * m * k, lda: k, b: b, ldb: ldb, c: c, ldc: ldc)
            } else {
                PackedGemm.multiply(packed!, matrix: i, m: m, n: n, k: k, b: b, ldb: ldb, c: c, ldc: ldc, isa: isa)
            }
        }
    }

    /// c = A b (add: c += A b, each element's chain started from c) for the i-th packed A (m x k),
    /// b k x n (rows ldb apart), c m x n (rows ldc apart).
    @inline(__always)
    public static func multiply(_ packed: UnsafePointer<Float>, matrix i: Int, m: Int, n: Int, k: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, add: Bool = false, isa: Int32) {
        let a = packed + i * kg_packed_count(m, k)
        GemmProfile.timed(add ? "packed add" : "packed", m: m, n: n, k: k) {
            if add { kg_gemm_add(a, m, k, b, ldb, n, c, ldc, isa) } else { kg_gemm(a, m, k, b, ldb, n, c, ldc, isa) }
        }
    }
}
