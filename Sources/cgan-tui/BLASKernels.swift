import BLAS
import Foundation

/// The OpenBLAS kernels for this CPU's features (`KernelChoice`), applied at start-up. OpenBLAS
/// reads `OPENBLAS_CORETYPE` only when it loads, before `main`, so when it picked other kernels
/// the process restarts itself once with the variable set: execve of /proc/self/exe, same pid,
/// argv, open files, terminal and signal mask; nothing has run yet that could be lost.
enum BLASKernels {
    /// The first call in main(): returns, or replaces the process by one with the wanted kernels.
    /// A bad `CGAN_TUI_MAX_ISA` is bad input: one line and exit 2.
    static func chooseAtStartUp() {
        let env = ProcessInfo.processInfo.environment
        if case .failure(let error) = ISALevel.cap(env) {
            FileHandle.standardError.write(Data("cgan-tui: \(error)\n".utf8))
            exit(2)
        }
        guard case .restart(let core, let marker) = KernelChoice.startUp(environment: env, detected: BLAS.coreName,
                                                                          level: level, features: .current) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(KernelChoice.markerVariable, marker, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed: carry on with OpenBLAS's own kernels, and say so.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(KernelChoice.markerVariable)
    }

    /// The widest instruction set the numeric code uses (the CPU's, capped by `CGAN_TUI_MAX_ISA`).
    static let level: ISALevel = {
        let cap = (try? ISALevel.cap(ProcessInfo.processInfo.environment).get()) ?? nil
        return ISALevel.best(.current, cap: cap ?? .avx512)
    }()

    /// Which kernels run and why: `line` for bench and headless output, `short` for the dashboard.
    static let description = KernelChoice.describe(environment: ProcessInfo.processInfo.environment,
                                                   running: BLAS.coreName, level: level, features: .current)
}
