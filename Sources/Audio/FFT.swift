import CFFTW
import Foundation

/// A float buffer allocated by FFTW, so SIMD plans made on one buffer may run on another
/// (FFTW's new-array execute requires the same alignment as at planning time).
public final class FFTBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = fftwf_alloc_real(max(count, 1))!
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { fftwf_free(pointer) }
}

/// How a transform's FFTW plan was chosen. FFTW_MEASURE times candidate algorithms at start-up,
/// so two processes could pick different plans and round differently (and planning cost
/// ~240 ms); every choice here is a pure function of the FFTW build and the CPU's features.
public enum FFTPlanning: String, Sendable {
    /// The plan recorded in `FFTWisdom.text` (made once with FFTW_PATIENT), where this FFTW
    /// build and CPU can run it: the same algorithm, so the same bits, on every such machine.
    case wisdom
    /// FFTW's heuristic plan (no timing), where the recorded one does not apply.
    case estimate
    /// Timed planning, for `bench fft` only: never the shared plans.
    case measure, patient
}

/// Batched one-sided real FFTs of size `n`: `batch` contiguous frames of `n` reals
/// <-> `batch` contiguous frames of `n/2+1` complex values (interleaved re, im).
/// The one Swift file that talks to FFTW. Shared plans are made once per (n, batch) from the
/// recorded wisdom, else FFTW_ESTIMATE (see FFTPlanning); the planner is not thread-safe, so
/// planning is serialised by a lock, while executing a finished plan on fresh arrays is safe
/// from any thread.
public final class RealFFT: @unchecked Sendable {
    public let n: Int
    public let batch: Int
    /// How the plans were chosen (both directions come from the same source).
    public let planning: FFTPlanning
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    private static let lock = NSLock()
    nonisolated(unsafe) private static var plans: [[Int]: RealFFT] = [:]
    nonisolated(unsafe) private static var wisdomImported = false

    public static func shared(n: Int, batch: Int) -> RealFFT {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[[n, batch]] { return p }
        importRecordedWisdom()
        let p = RealFFT(n: n, batch: batch, planning: .wisdom)
        plans[[n, batch]] = p
        return p
    }

    /// Loads `FFTWisdom.text` into FFTW once. Call only with `lock` held.
    private static func importRecordedWisdom() {
        guard !wisdomImported else { return }
        wisdomImported = true
        _ = fftwf_import_wisdom_from_string(FFTWisdom.text)
    }

    /// A private (unshared) transform planned as asked, for `bench fft`. Timed planning adds
    /// to FFTW's process-wide wisdom, so planning `.measure` or `.patient` first forgets it and
    /// afterwards restores the recorded wisdom alone: a shared plan made later in the same
    /// process is still the recorded one. Returns the transform and its planning seconds.
    public static func benchmarkPlan(n: Int, planning: FFTPlanning) -> (RealFFT, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        importRecordedWisdom()
        func plan() -> (RealFFT, seconds: Double) {
            let start = DispatchTime.now().uptimeNanoseconds
            let fft = RealFFT(n: n, batch: 1, planning: planning)
            return (fft, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return planning == .measure || planning == .patient ? inCleanPlanner(plan) : plan()
    }

    /// The wisdom FFTW holds after planning `.patient` transforms of size `n` in a clean
    /// planner: what `FFTWisdom.text` records (for n = 1024). The recorded wisdom is
    /// restored afterwards.
    public static func patientWisdom(n: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        importRecordedWisdom()
        return inCleanPlanner {
            _ = RealFFT(n: n, batch: 1, planning: .patient)
            return fftwf_export_wisdom_to_string().map { p -> String in
                defer { free(p) }
                return String(cString: p)
            } ?? ""
        }
    }

    /// Runs `body` with FFTW's process-wide wisdom emptied, then leaves the recorded wisdom
    /// alone in it again, so timed planning never reaches a later shared plan. Call only with
    /// `lock` held.
    private static func inCleanPlanner<T>(_ body: () -> T) -> T {
        fftwf_forget_wisdom()
        defer {
            fftwf_forget_wisdom()
            _ = fftwf_import_wisdom_from_string(FFTWisdom.text)
        }
        return body()
    }

    /// Call only with `lock` held. `.wisdom` falls back to `.estimate` where the recorded
    /// plan does not apply (another FFTW build, a CPU without its SIMD codelets, another n).
    private init(n: Int, batch: Int, planning: FFTPlanning) {
        self.n = n
        self.batch = batch
        let bins = n / 2 + 1
        let real = FFTBuffer(count: n * batch)
        let complex = FFTBuffer(count: 2 * bins * batch)
        var size = Int32(n)
        func plan(_ f: UInt32) -> (fftwf_plan, fftwf_plan)? {
            let forward = complex.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: bins * batch) { c in
                fftwf_plan_many_dft_r2c(1, &size, Int32(batch), real.pointer, nil, 1, Int32(n),
                                        c, nil, 1, Int32(bins), f)
            }
            let inverse = complex.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: bins * batch) { c in
                fftwf_plan_many_dft_c2r(1, &size, Int32(batch), c, nil, 1, Int32(bins),
                                        real.pointer, nil, 1, Int32(n), f)
            }
            guard let forward, let inverse else {
                forward.map(fftwf_destroy_plan)
                inverse.map(fftwf_destroy_plan)
                return nil
            }
            return (forward, inverse)
        }
        var chosen = planning
        var plans: (fftwf_plan, fftwf_plan)?
        switch planning {
        case .wisdom:
            plans = plan(UInt32(FFTW_ESTIMATE) | UInt32(FFTW_WISDOM_ONLY))
            if plans == nil { chosen = .estimate }
        case .estimate: plans = nil
        case .measure: plans = plan(UInt32(FFTW_MEASURE))
        case .patient: plans = plan(UInt32(FFTW_PATIENT))
        }
        if plans == nil { plans = plan(UInt32(FFTW_ESTIMATE)) }
        guard let plans else { fatalError("FFTW could not plan a real FFT of size \(n)") }
        (forwardPlan, inversePlan) = plans
        self.planning = chosen
    }

    deinit {
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
    }

    /// `input`: batch x n reals -> `output`: batch x (n/2+1) complex. Both from FFTBuffer.
    public func forward(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: batch * (n / 2 + 1)) {
            fftwf_execute_dft_r2c(forwardPlan, input, $0)
        }
    }

    /// Unnormalised inverse (a forward then inverse multiplies by n). Destroys `input`.
    public func inverse(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        input.withMemoryRebound(to: fftwf_complex.self, capacity: batch * (n / 2 + 1)) {
            fftwf_execute_dft_c2r(inversePlan, $0, output)
        }
    }
}
