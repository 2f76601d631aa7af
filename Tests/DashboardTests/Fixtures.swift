import Foundation
@testable import Dashboard
import GAN
import Quality

/// A deterministic run for widget and screen tests: three classes with recognisable
/// spectrograms (kick: low bands fading; snare: broadband burst; hat: high bands) and
/// loss curves with a trend and noise. No randomness, no clock.
enum Fixtures {
    static let context: DashboardContext = {
        var c = DashboardContext(
            datasetName: "demo", classNames: ["kick", "snare", "hat"], clipCounts: [40, 36, 1],
            nMels: 32, frames: 64, sampleRate: 22050, batchSize: 16, totalEpochs: 50, stepsPerEpoch: 5,
            outputFolder: URL(fileURLWithPath: "/tmp/cgan-runs/demo"))
        c.bandHz = htkCentres(nMels: 32, sampleRate: 22050)
        return c
    }()

    /// HTK mel band peaks from 0 to sr/2, written out here from the textbook formula
    /// (mel = 2595 log10(1 + f/700)), not taken from the Audio module.
    static func htkCentres(nMels: Int, sampleRate: Int) -> [Float] {
        let top = 2595 * log10(1 + Double(sampleRate) / 2 / 700)
        return (1 ... nMels).map { Float(700 * (pow(10, top * Double($0) / Double(nMels + 1) / 2595) - 1)) }
    }

    static func spectrogram(_ k: Int, nMels: Int = 32, frames: Int = 64) -> GeneratedSpectrogram {
        var v = [Float](repeating: 0, count: nMels * frames)
        for m in 0 ..< nMels {
            let band = Float(m) / Float(nMels - 1)          // 0 = lowest band
            for f in 0 ..< frames {
                let t = Float(f) / Float(frames - 1)
                let value: Float
                switch k {
                case 0: value = max(0, 1 - band * 3) * exp(-t * 4)                     // kick
                case 1: value = 0.6 * exp(-t * 6) + 0.2 * (band > 0.3 ? 1 : 0) * exp(-t * 3) // snare
                default: value = band * band * (f % 16 < 4 ? 1 : 0.2)                 // hat
                }
                v[m * frames + f] = log(value + 1e-3)
            }
        }
        return GeneratedSpectrogram(classIndex: k, nMels: nMels, frames: frames, logMel: v)
    }

    /// Epoch e's scores: fidelity climbing (kick fastest, to 0.89 overall at epoch 24), spread
    /// about that of the real clips, except a collapsed `collapsed` class.
    static func quality(epoch e: Int, collapsed: Int? = nil) -> QualityReport {
        let x = Double(e)
        return QualityReport(classNames: context.classNames, samplesPerClass: [16, 16, 16],
                             classFidelity: [min(1, 0.3 + 0.03 * x), 0.2 + 0.025 * x, 0.1 + 0.032 * x],
                             classDiversity: [0, 1, 2].map { $0 == collapsed ? 0.05 : 0.9 }, frechet: 40 / x,
                             ceiling: 0.96, classCeiling: [1, 0.875, 1], collapseThreshold: 0.2)
    }

    /// A state after `steps` steps of 0.5 s at 32 samples/s, with each finished epoch scored.
    static func state(steps: Int = 120, now: Double = 1000 + 83) -> AppState {
        var s = AppState(context: context, now: 1000)
        _ = s.apply(.stateChanged(.running), now: 1000)
        for i in 1 ... max(steps, 1) where steps > 0 {
            let x = Float(i)
            let d = 0.45 + 0.9 * exp(-x / 40) + 0.05 * sin(x * 0.7)
            let g = 2.2 - 1.1 * exp(-x / 30) + 0.15 * sin(x * 0.3)
            _ = s.apply(.stepFinished(StepReport(epoch: (i - 1) / 5 + 1, step: i, stepInEpoch: (i - 1) % 5 + 1,
                                                 stepsPerEpoch: 5, lossD: d, lossG: g, seconds: 0.5,
                                                 samplesPerSecond: 32)), now: 1000 + Double(i) * 0.5)
            if i % 5 == 0 { _ = s.apply(.qualityScored(epoch: i / 5, quality(epoch: i / 5)), now: 1000 + Double(i) * 0.5) }
        }
        if steps > 0 {
            _ = s.apply(.samplesReady(epoch: (steps - 1) / 5 + 1, step: steps, (0 ..< 3).map { spectrogram($0) }), now: now)
        }
        s.now = now
        return s
    }
}
