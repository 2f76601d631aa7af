import BLAS
import Foundation

/// How the numeric code runs, fixed when a model is built and handed to each of its layers:
/// worker threads, the strided-convolution algorithm and the kernel instruction set. One
/// immutable value instead of process-wide switches, so nothing (a test, an audition, a bench
/// comparison) can change them under a running layer.
public struct ComputeSettings: Sendable, Equatable {
    /// Strided 4x4 convolutions (Conv2d and ConvTranspose2d alike): Winograd where channels
    /// allow, with 4x4 output tiles for the forward and input-gradient products where the packed
    /// product kernel runs and 2x2 tiles elsewhere (WinogradConv); the same with 2x2 or 4x4 tiles
    /// wherever the layer's sides allow them (to compare, and for tests); or im2col + sgemm everywhere.
    public enum Convolution: String, Sendable, CaseIterable {
        case winograd, winograd2x2 = "winograd-2x2", winograd4x4 = "winograd-4x4", im2col
    }
    /// The engine's own C kernels (CWinograd, CKernels): the best the CPU has (AVX-512, else
    /// AVX2), at most AVX2, or portable C only. Every level of each kernel gives the same bits;
    /// but the Winograd products run on CKernels' packed kernel only at the AVX-512 level
    /// (PackedGemm) and on OpenBLAS below it, so a whole model's results differ in the last bits.
    public enum ISA: Sendable, Equatable, CaseIterable {
        case native, avx2, portable
        /// The widest level these kernels may use (the CPU caps it again).
        public var level: ISALevel {
            switch self {
            case .native: .avx512
            case .avx2: .avx2
            case .portable: .baseline
            }
        }
        /// The kernels' `isa` argument: 2 AVX-512, 1 AVX2, 0 portable (each capped by the CPU).
        var flag: Int32 { level.kernelFlag }
    }

    /// Workers that split every layer's work (`--threads`); results depend on it, not on timing.
    public let threads: Int
    public let convolution: Convolution
    public let isa: ISA

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, convolution: Convolution = .winograd,
                isa: ISA = .native) {
        self.threads = max(1, threads); self.convolution = convolution; self.isa = isa
    }

    /// The same algorithm and kernels on `threads` workers (a sampler running beside training takes fewer).
    public func with(threads: Int) -> ComputeSettings { ComputeSettings(threads: threads, convolution: convolution, isa: isa) }

    /// One worker per core, Winograd, native kernels.
    public static let standard = ComputeSettings()

    public var isaFlag: Int32 { isa.flag }
}
