import Foundation
import Support

extension Synthesizer {
    /// Textbook Griffin-Lim, whole spectrograms at a time, beside the streaming `griffinLim`
    /// (same modes, same initial phases from the same seed): X = initial; each iteration
    /// y = istft(X), R = stft(y), angles = R - alpha * previous R, magnitudes = the fixed ones
    /// or (every matchEvery-th iteration) matched to the mel target from R,
    /// X = magnitudes x angles / |angles|; finally istft(X).
    /// Slow (every spectrum is stored); tests check the fast one against it.
    func griffinLimReference(magnitude: [Float], mel: [Float], frames: Int, iterations: Int, momentum: Float,
                             seed: UInt64, mode: Mode = .production) -> [Float] {
        let bins = stft.bins, nMels = melInverse.nMels
        let alpha = momentum / (1 + momentum)
        var x = [Float](repeating: 0, count: 2 * frames * bins)
        var initial = InitialSpectrum(mode.initialPhase, bins: bins, n: stft.n, hop: stft.hop, seed: seed)
        magnitude.withUnsafeBufferPointer { mag in
            x.withUnsafeMutableBufferPointer { xb in
                for t in 0 ..< frames { initial.nextFrame(magnitude: mag.baseAddress! + t * bins, into: xb.baseAddress! + 2 * t * bins) }
            }
        }
        var previous = [Float](repeating: 0, count: 2 * frames * bins)
        var target = [Float](repeating: 0, count: nMels), bands = [Float](repeating: 0, count: nMels + 1)
        var power = [Float](repeating: 0, count: bins), enforced = magnitude
        for iteration in 0 ..< iterations {
            let y = inverseSTFT(x, frames: frames)
            let padded = y.withUnsafeBufferPointer { stft.reflectPadded($0, frames: frames) }
            padded.withUnsafeBufferPointer { p in
                stft.forEachSpectrumBatch(p.baseAddress!, frames: frames) { t, _, r in
                    for m in 0 ..< nMels { target[m] = mel.isEmpty ? 0 : mel[m * frames + t] }
                    if mode.matchMel && iteration % mode.matchEvery == 0 {
                        enforced.withUnsafeMutableBufferPointer {
                            melInverse.matchMel(spectrum: r, target: target, bands: &bands, power: &power,
                                                magnitude: $0.baseAddress! + t * bins)
                        }
                        for k in 0 ..< min(Self.keptLowBins, bins) { enforced[t * bins + k] = magnitude[t * bins + k] }
                    }
                    for k in 0 ..< bins {
                        let i = 2 * (t * bins + k)
                        let ar = r[2 * k] - alpha * previous[i], ai = r[2 * k + 1] - alpha * previous[i + 1]
                        previous[i] = r[2 * k]
                        previous[i + 1] = r[2 * k + 1]
                        let s = enforced[t * bins + k] / ((ar * ar + ai * ai).squareRoot() + 1e-16)
                        x[i] = ar * s
                        x[i + 1] = ai * s
                    }
                }
            }
        }
        return inverseSTFT(x, frames: frames)
    }

    /// torch.istft with torch's default length ((frames - 1) * hop): windowed inverse FFTs
    /// overlap-added, divided by the summed squared window (where above 1e-11) and by n.
    func inverseSTFT(_ x: [Float], frames: Int) -> [Float] {
        let n = stft.n, hop = stft.hop, bins = stft.bins
        var sum = [Float](repeating: 0, count: (frames - 1) * hop + n), envelope = sum
        let spectrum = FFTBuffer(count: 2 * bins), frame = FFTBuffer(count: n)
        for t in 0 ..< frames {
            for i in 0 ..< 2 * bins { spectrum.pointer[i] = x[2 * t * bins + i] }   // c2r overwrites its input
            stft.fftOne.inverse(spectrum.pointer, frame.pointer)
            for i in 0 ..< n {
                sum[t * hop + i] += frame.pointer[i] * stft.window[i]
                envelope[t * hop + i] += stft.window[i] * stft.window[i]
            }
        }
        let half = n / 2
        return (0 ..< (frames - 1) * hop).map { i in
            envelope[half + i] > 1e-11 ? sum[half + i] / (envelope[half + i] * Float(n)) : 0
        }
    }
}
