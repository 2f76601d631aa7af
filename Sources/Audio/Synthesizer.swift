import Foundation
import Support

/// Log-mel spectrogram -> audio: expm1 -> mel power -> linear power (MelInverse, NNLS) ->
/// fast Griffin-Lim (Perraudin et al. 2013, torchaudio's `GriffinLim` conventions: momentum
/// m enters as angles = rebuilt - m/(1+m) * previous rebuilt, then unit-normalised; the last
/// step is an inverse STFT of magnitude x angles) -> waveform scaled to peak 1.
/// Safe to call from several threads: every buffer is per call.
public final class Synthesizer: @unchecked Sendable {
    public let config: SpectrogramConfig
    let stft: STFT
    let filterbank: MelFilterbank
    let melInverse: MelInverse
    /// Gauss-Seidel sweeps of the NNLS solve after the clamped minimum-norm start. On the
    /// reference chirp: 0 sweeps leaves a 7.5% mel residual (torchaudio's gelsd + clamp),
    /// 4 sweeps 1.2%, 8 0.5%; Griffin-Lim's mel convergence gains little past 4.
    var nnlsSweeps = 4
    /// Initial phases: `torchRand` is torchaudio's (real and imaginary parts uniform in [0, 1),
    /// not normalised); on the reference chirp it beats uniform random phase at 32 and 64
    /// iterations and ties at 8. The others are kept for the experiments in the tests.
    enum InitialPhase { case uniform, torchRand, zero, coherent }
    var initialPhase = InitialPhase.torchRand

    public init(config: SpectrogramConfig) {
        self.config = config
        stft = STFT(n: config.nFFT, hop: config.hop)
        filterbank = MelFilterbank(bins: config.bins, nMels: config.nMels, sampleRate: config.sampleRate)
        melInverse = MelInverse(filterbank)
    }

    /// `logMel`: nMels x frames as LogMelExtractor makes it (or a generator outputs it).
    /// Returns (frames - 1) * hop samples at `config.sampleRate`, peak-normalised to 1
    /// (all zeros for a silent input).
    public func waveform(logMel: [Float], iterations: Int = 32, momentum: Float = 0.99, seed: UInt64 = 0) -> [Float] {
        precondition(logMel.count == config.nMels * config.frames, "logMel must be nMels x frames")
        let mel = logMel.map { v -> Float in
            // expm1 overflows float beyond ~88; NaN (a diverged generator) counts as silence.
            v.isNaN ? 0 : expm1(min(v, 80))
        }
        let power = melInverse.linearPower(mel: mel, frames: config.frames, sweeps: nnlsSweeps)
        let magnitude = power.map { $0.squareRoot() }
        var y = griffinLim(magnitude: magnitude, frames: config.frames, iterations: iterations,
                           momentum: momentum, seed: seed)
        var peak: Float = 0
        for v in y { peak = max(peak, abs(v)) }
        if peak > 0 && peak.isFinite {
            let s = 1 / peak
            for i in y.indices { y[i] *= s }
        } else {
            for i in y.indices { y[i] = 0 }
        }
        return y
    }

    /// Fast Griffin-Lim on a magnitude spectrogram (frames x bins, row-major). Returns
    /// (frames - 1) * hop samples, like torch.istft's default length.
    func griffinLim(magnitude: [Float], frames: Int, iterations: Int, momentum: Float, seed: UInt64) -> [Float] {
        let n = stft.n, hop = stft.hop, bins = stft.bins
        let length = (frames - 1) * hop
        let paddedLength = length + n
        let count = frames * bins
        let alpha = momentum / (1 + momentum)

        var rng = SplitMix64(seed: seed)
        var angles = [Float](repeating: 0, count: 2 * count)
        switch initialPhase {
        case .uniform:
            for i in 0 ..< count {
                let phi = 2 * Float.pi * rng.nextUniform()
                angles[2 * i] = cos(phi)
                angles[2 * i + 1] = sin(phi)
            }
        case .torchRand:
            for i in 0 ..< 2 * count { angles[i] = rng.nextUniform() }
        case .zero:
            for i in 0 ..< count { angles[2 * i] = 1 }
        case .coherent:
            // A stationary sinusoid at each bin's centre frequency advances its phase by
            // 2 pi k hop / n per frame.
            for t in 0 ..< frames {
                for k in 0 ..< bins {
                    let turns = Double((k * hop * t) % n) / Double(n)
                    angles[2 * (t * bins + k)] = Float(cos(2 * Double.pi * turns))
                    angles[2 * (t * bins + k) + 1] = Float(sin(2 * Double.pi * turns))
                }
            }
        }
        var previous = [Float](repeating: 0, count: 2 * count)
        var y = [Float](repeating: 0, count: paddedLength)

        // torch.istft divides the overlap-added frames by the summed squared window (where it
        // exceeds 1e-11) and irfft divides by n.
        var invEnvelope = [Float](repeating: 0, count: paddedLength)
        for t in 0 ..< frames {
            for i in 0 ..< n { invEnvelope[t * hop + i] += stft.window[i] * stft.window[i] }
        }
        for i in 0 ..< paddedLength {
            invEnvelope[i] = invEnvelope[i] > 1e-11 ? 1 / (invEnvelope[i] * Float(n)) : 0
        }

        let chunk = stft.chunk
        let specIn = FFTBuffer(count: chunk * bins * 2)
        let framesOut = FFTBuffer(count: chunk * n)

        magnitude.withUnsafeBufferPointer { mag in
        angles.withUnsafeMutableBufferPointer { ang in
        previous.withUnsafeMutableBufferPointer { prev in
        y.withUnsafeMutableBufferPointer { yb in
        invEnvelope.withUnsafeBufferPointer { env in
        stft.window.withUnsafeBufferPointer { w in
            let yp = yb.baseAddress!

            // Inverse STFT of magnitude x angles into yp (padded coordinates), then the
            // centre part's reflection written over both ends, ready for re-analysis.
            func inverse() {
                yb.update(repeating: 0)
                var t0 = 0
                while t0 < frames {
                    let fft = frames - t0 >= chunk ? stft.fftChunk : stft.fftOne
                    let batch = fft.batch
                    let base = t0 * bins
                    for i in 0 ..< batch * bins {
                        let m = mag[base + i]
                        specIn.pointer[2 * i] = m * ang[2 * (base + i)]
                        specIn.pointer[2 * i + 1] = m * ang[2 * (base + i) + 1]
                    }
                    fft.inverse(specIn.pointer, framesOut.pointer)
                    for b in 0 ..< batch {
                        let dst = yp + (t0 + b) * hop
                        let src = framesOut.pointer + b * n
                        for i in 0 ..< n { dst[i] += src[i] * w[i] }
                    }
                    t0 += batch
                }
                for i in 0 ..< paddedLength { yp[i] *= env[i] }
            }

            func reflectEnds() {
                let half = n / 2
                guard length > 1 else { return }
                for d in 1 ... half {
                    yp[half - d] = yp[half + min(d, length - 1)]
                    yp[half + length - 1 + d] = yp[half + length - 1 - min(d, length - 1)]
                }
            }

            for _ in 0 ..< iterations {
                inverse()
                reflectEnds()
                stft.forEachSpectrumBatch(yp, frames: frames) { first, batch, spectra in
                    let base = 2 * first * bins
                    for i in 0 ..< batch * bins {
                        let re = spectra[2 * i], im = spectra[2 * i + 1]
                        let j = base + 2 * i
                        let ar = re - alpha * prev[j], ai = im - alpha * prev[j + 1]
                        prev[j] = re
                        prev[j + 1] = im
                        let s = 1 / ((ar * ar + ai * ai).squareRoot() + 1e-16)
                        ang[j] = ar * s
                        ang[j + 1] = ai * s
                    }
                }
            }
            inverse()
        }}}}}}
        return Array(y[n / 2 ..< n / 2 + length])
    }
}
