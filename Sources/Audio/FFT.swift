import CFFTW
import Foundation

/// A float buffer allocated by FFTW, so SIMD plans made on one buffer may run on another
/// (FFTW's new-array execute requires the same alignment as at planning time).
final class FFTBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = fftwf_alloc_real(max(count, 1))!
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { fftwf_free(pointer) }
}

/// Batched one-sided real FFTs of size `n`: `batch` contiguous frames of `n` reals
/// <-> `batch` contiguous frames of `n/2+1` complex values (interleaved re, im).
/// The one Swift file that talks to FFTW. Plans are made once per (n, batch) with
/// FFTW_MEASURE and shared; the planner is not thread-safe, so planning is serialised by
/// a lock, while executing a finished plan on fresh arrays is safe from any thread.
final class RealFFT: @unchecked Sendable {
    let n: Int
    let batch: Int
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    private static let lock = NSLock()
    nonisolated(unsafe) private static var plans: [[Int]: RealFFT] = [:]

    static func shared(n: Int, batch: Int) -> RealFFT {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[[n, batch]] { return p }
        let p = RealFFT(n: n, batch: batch)
        plans[[n, batch]] = p
        return p
    }

    /// Call only with `lock` held.
    private init(n: Int, batch: Int) {
        self.n = n
        self.batch = batch
        let bins = n / 2 + 1
        let real = FFTBuffer(count: n * batch)
        let complex = FFTBuffer(count: 2 * bins * batch)
        var size = Int32(n)
        let flags = UInt32(FFTW_MEASURE)
        forwardPlan = complex.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: bins * batch) { c in
            fftwf_plan_many_dft_r2c(1, &size, Int32(batch), real.pointer, nil, 1, Int32(n),
                                    c, nil, 1, Int32(bins), flags)!
        }
        inversePlan = complex.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: bins * batch) { c in
            fftwf_plan_many_dft_c2r(1, &size, Int32(batch), c, nil, 1, Int32(bins),
                                    real.pointer, nil, 1, Int32(n), flags)!
        }
    }

    /// `input`: batch x n reals -> `output`: batch x (n/2+1) complex. Both from FFTBuffer.
    func forward(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: batch * (n / 2 + 1)) {
            fftwf_execute_dft_r2c(forwardPlan, input, $0)
        }
    }

    /// Unnormalised inverse (a forward then inverse multiplies by n). Destroys `input`.
    func inverse(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        input.withMemoryRebound(to: fftwf_complex.self, capacity: batch * (n / 2 + 1)) {
            fftwf_execute_dft_c2r(inversePlan, $0, output)
        }
    }
}
