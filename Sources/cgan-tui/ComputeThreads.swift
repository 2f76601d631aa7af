import BLAS
import Engine
import Foundation

/// The compute settings a command builds its model with: `threads` workers (`--threads`; 0 or
/// less: one per core), the convolution algorithm, and the engine's C kernels at the level the
/// start-up kernel choice allows (`BLASKernels.level`). OpenBLAS's own thread count, which
/// calls outside the engine use, is set to the same number.
enum ComputeThreads {
    /// The `--threads` a user may give (the commands' one check of it).
    static func check(_ threads: Int?) throws {
        guard let threads else { return }
        try require((1 ... 256).contains(threads), "--threads must be between 1 and 256 (got \(threads))")
    }

    static func settings(threads: Int, convolution: ComputeSettings.Convolution = .winograd) -> ComputeSettings {
        let n = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        BLAS.nativeThreads = n
        let isa: ComputeSettings.ISA = switch BLASKernels.level {
        case .avx512: .native
        case .avx2: .avx2
        case .baseline: .portable
        }
        return ComputeSettings(threads: n, convolution: convolution, isa: isa)
    }
}
