import ArgumentParser
import Audio
import BLAS
import Foundation
import Support

/// The FFT behind extraction and synthesis: how its shared plan was chosen, what one
/// forward + inverse pair of 1024-point real transforms costs with each planning rigour, and
/// what timed planning itself costs at start-up. `--export-wisdom` records FFTW_PATIENT
/// wisdom, which is how `FFTWisdom.text` was made.
struct BenchFFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fft", abstract: "FFTW plans: per-transform time and planning cost of each planning rigour.",
        discussion: """
        Example:
          cgan-tui bench fft --export-wisdom /tmp/fft.wisdom
        """)

    @Option(help: "Transform pairs per timing run")
    var pairs = 20000

    @Option(help: "Runs per figure; the best is reported")
    var repeats = 5

    @Option(help: "Write FFTW_PATIENT wisdom for the 1024-point transform to this file")
    var exportWisdom: String?

    func run() throws {
        try reportingUserErrors {
            let n = SpectrogramConfig().nFFT
            print("bench fft: n = \(n) real, one frame per transform, best of \(repeats) x \(pairs) forward+inverse pairs (thread CPU time)")
            print("  load average at start: \(BenchTrainCommand.loadAverage())")
            let shared = RealFFT.shared(n: n, batch: 1)
            print("  shared plan (extraction, synthesis): \(shared.planning.rawValue)")
            for planning in [FFTPlanning.wisdom, .estimate, .measure, .patient] {
                let (fft, seconds) = RealFFT.benchmarkPlan(n: n, planning: planning)
                let label = planning == .wisdom ? "recorded wisdom" : "FFTW_\(planning.rawValue.uppercased())"
                let note = planning == .wisdom && fft.planning != .wisdom ? " (not applicable here: estimate)" : ""
                let padded = label.padding(toLength: 16, withPad: " ", startingAt: 0)
                print(String(format: "  %@ pair %6.3f us   planning %8.1f ms%@", padded as NSString,
                             pairMicroseconds(fft), seconds * 1000, note as NSString))
            }
            if let exportWisdom {
                let text = RealFFT.patientWisdom(n: n)
                try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: exportWisdom))
                print("  wrote FFTW_PATIENT wisdom to \(exportWisdom)")
            }
        }
    }

    /// Best-of-`repeats` microseconds of this thread's CPU time for one forward + inverse
    /// pair (the inverse is scaled back by 1/n so the data stays bounded). CPU time, because
    /// on a shared machine wall time counts the other processes' turns.
    func pairMicroseconds(_ fft: RealFFT) -> Double {
        let real = FFTBuffer(count: fft.n), complex = FFTBuffer(count: fft.n + 2)
        var rng = SplitMix64(seed: 1)
        for i in 0 ..< fft.n { real.pointer[i] = rng.nextUniform() }
        let scale = 1 / Float(fft.n)
        var best = Double.infinity
        for _ in 0 ..< repeats {
            let start = GemmProfile.threadSeconds()
            for _ in 0 ..< pairs {
                fft.forward(real.pointer, complex.pointer)
                fft.inverse(complex.pointer, real.pointer)
                for i in 0 ..< fft.n { real.pointer[i] *= scale }
            }
            best = min(best, (GemmProfile.threadSeconds() - start) * 1e6 / Double(pairs))
        }
        return best
    }
}
