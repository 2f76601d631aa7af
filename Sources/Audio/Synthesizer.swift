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

        // One frame at a time with FFTW's single-transform plans: faster per transform than
        // the batched plans here (0.82 vs 0.90 us for r2c 1024), and every buffer stays in L1.
        let fft = stft.fftOne
        let spectrum = FFTBuffer(count: 2 * bins)
        let frame = FFTBuffer(count: n)

        magnitude.withUnsafeBufferPointer { magBuffer in
        angles.withUnsafeMutableBufferPointer { angBuffer in
        previous.withUnsafeMutableBufferPointer { prevBuffer in
        y.withUnsafeMutableBufferPointer { yb in
        invEnvelope.withUnsafeBufferPointer { envBuffer in
        stft.window.withUnsafeBufferPointer { windowBuffer in
            let yp = yb.baseAddress!, env = envBuffer.baseAddress!, w = windowBuffer.baseAddress!
            let mag = magBuffer.baseAddress!, ang = angBuffer.baseAddress!, prev = prevBuffer.baseAddress!
            let spec = spectrum.pointer, fr = frame.pointer

            // Inverse STFT of magnitude x angles into yp (padded coordinates).
            func inverse() {
                yb.update(repeating: 0)
                for t in 0 ..< frames {
                    Self.scale(angles: ang + 2 * t * bins, by: mag + t * bins, into: spec, count: bins)
                    fft.inverse(spec, fr)
                    let dst = yp + t * hop
                    for i in 0 ..< n { dst[i] += fr[i] * w[i] }
                }
                for i in 0 ..< paddedLength { yp[i] *= env[i] }
            }

            // The signal's centred reflect padding, written over both ends of yp.
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
                for t in 0 ..< frames {
                    let src = yp + t * hop
                    for i in 0 ..< n { fr[i] = src[i] * w[i] }
                    fft.forward(fr, spec)
                    Self.updateAngles(spectrum: spec, previous: prev + 2 * t * bins,
                                      angles: ang + 2 * t * bins, count: bins, alpha: alpha)
                }
            }
            inverse()
        }}}}}}
        return Array(y[n / 2 ..< n / 2 + length])
    }

    /// Fast Griffin-Lim's phase step for one frame of `count` complex values (interleaved):
    /// a = rebuilt - alpha * previous; previous = rebuilt; angles = a / (|a| + 1e-16).
    /// Two complex numbers per SIMD4 (the package targets baseline x86-64, i.e. SSE).
    @inline(__always)
    static func updateAngles(spectrum: UnsafePointer<Float>, previous: UnsafeMutablePointer<Float>,
                             angles: UnsafeMutablePointer<Float>, count: Int, alpha: Float) {
        // Four complex numbers per step: deinterleave to re/im lanes so one sqrt and one
        // divide serve four values.
        let quads = count / 4
        let s4 = UnsafeRawPointer(spectrum), p4 = UnsafeMutableRawPointer(previous), a4 = UnsafeMutableRawPointer(angles)
        for j in 0 ..< quads {
            let off = j * 32
            let r0 = s4.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
            let r1 = s4.loadUnaligned(fromByteOffset: off + 16, as: SIMD4<Float>.self)
            let b0 = p4.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
            let b1 = p4.loadUnaligned(fromByteOffset: off + 16, as: SIMD4<Float>.self)
            p4.storeBytes(of: r0, toByteOffset: off, as: SIMD4<Float>.self)
            p4.storeBytes(of: r1, toByteOffset: off + 16, as: SIMD4<Float>.self)
            let x0 = r0 - alpha * b0, x1 = r1 - alpha * b1
            let re = SIMD4(x0[0], x0[2], x1[0], x1[2]), im = SIMD4(x0[1], x0[3], x1[1], x1[3])
            let scale = 1 / ((re * re + im * im).squareRoot() + 1e-16)
            let ur = re * scale, ui = im * scale
            a4.storeBytes(of: SIMD4(ur[0], ui[0], ur[1], ui[1]), toByteOffset: off, as: SIMD4<Float>.self)
            a4.storeBytes(of: SIMD4(ur[2], ui[2], ur[3], ui[3]), toByteOffset: off + 16, as: SIMD4<Float>.self)
        }
        let pairs = 2 * quads
        for k in 2 * pairs ..< count {
            let re = spectrum[2 * k], im = spectrum[2 * k + 1]
            let ar = re - alpha * previous[2 * k], ai = im - alpha * previous[2 * k + 1]
            previous[2 * k] = re
            previous[2 * k + 1] = im
            let s = 1 / ((ar * ar + ai * ai).squareRoot() + 1e-16)
            angles[2 * k] = ar * s
            angles[2 * k + 1] = ai * s
        }
    }

    /// out[k] = magnitude[k] * angles[k] for `count` complex values (interleaved).
    @inline(__always)
    static func scale(angles: UnsafePointer<Float>, by magnitude: UnsafePointer<Float>,
                      into out: UnsafeMutablePointer<Float>, count: Int) {
        let pairs = count / 2
        let a4 = UnsafeRawPointer(angles), o4 = UnsafeMutableRawPointer(out)
        for j in 0 ..< pairs {
            let m0 = magnitude[2 * j], m1 = magnitude[2 * j + 1]
            let v = a4.loadUnaligned(fromByteOffset: j * 16, as: SIMD4<Float>.self) * SIMD4(m0, m0, m1, m1)
            o4.storeBytes(of: v, toByteOffset: j * 16, as: SIMD4<Float>.self)
        }
        for k in 2 * pairs ..< count {
            out[2 * k] = magnitude[k] * angles[2 * k]
            out[2 * k + 1] = magnitude[k] * angles[2 * k + 1]
        }
    }
}
