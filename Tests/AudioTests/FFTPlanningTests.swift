import BLAS
import Foundation
import Testing
@testable import Audio

/// The FFT plans come from the recorded wisdom, not from timing at start-up (FFTW_MEASURE
/// picked different algorithms in different processes, so the same input gave different bits).
@Suite(.serialized) struct FFTPlanningTests {
    /// On any CPU with AVX2 (so AVX, which the recorded codelets need) the shared plan is the
    /// recorded one. Fails if an FFTW update or a change to how RealFFT plans (strides,
    /// alignment, batch) makes the wisdom miss and the plan silently fall back.
    @Test func sharedPlanIsTheRecordedOneOnAVXMachines() {
        let fft = RealFFT.shared(n: 1024, batch: 1)
        if CPUFeatures.current.contains(.avx2) {
            #expect(fft.planning == .wisdom)
        } else {
            #expect(fft.planning == .estimate)
        }
    }

    /// Timed planning in `bench fft` forgets and restores FFTW's wisdom; a plan made after it
    /// is still the recorded one, and computes the same bits as the shared plan.
    @Test func timedPlanningDoesNotLeakIntoLaterPlans() {
        let shared = RealFFT.shared(n: 1024, batch: 1)
        _ = RealFFT.benchmarkPlan(n: 1024, planning: .measure)
        let (again, _) = RealFFT.benchmarkPlan(n: 1024, planning: .wisdom)
        #expect(again.planning == shared.planning)
        let input = FFTBuffer(count: 1024), a = FFTBuffer(count: 1026), b = FFTBuffer(count: 1026)
        for i in 0 ..< 1024 {
            let x = Double(i)
            input.pointer[i] = Float(sin(x * 0.37) + 0.25 * cos(x * x * 0.001))
        }
        shared.forward(input.pointer, a.pointer)
        again.forward(input.pointer, b.pointer)
        #expect((0 ..< 1026).allSatisfy { a.pointer[$0].bitPattern == b.pointer[$0].bitPattern })
    }
}
