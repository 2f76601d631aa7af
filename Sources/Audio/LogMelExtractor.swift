import BLAS
import CKernels
import Foundation

/// Samples -> the seed's log-mel spectrogram: nMels x frames, row-major, row 0 = lowest band,
/// zero-padded on the right or cropped to `config.frames`. Safe to call from several threads
/// (the FFTW plans are shared and only executed; work buffers are per call).
public final class LogMelExtractor: @unchecked Sendable {
    public let config: SpectrogramConfig
    let stft: STFT
    let filterbank: MelFilterbank

    /// `isa`: the widest instructions its C kernels may use (`CGAN_TUI_MAX_ISA` caps it in the
    /// commands); every level gives the same bits.
    public init(config: SpectrogramConfig, isa: ISALevel = .avx512) {
        self.config = config
        stft = STFT(n: config.nFFT, hop: config.hop, isa: isa)
        filterbank = MelFilterbank(bins: config.bins, nMels: config.nMels, sampleRate: config.sampleRate)
    }

    /// Finite samples can still overflow the power spectrum (a float file holding 1e30): the
    /// result is checked, not the samples, so any cause is caught and no bound on |x| is guessed.
    public static func requireFinite(_ logMel: [Float]) throws(AudioDecodeError) {
        if logMel.contains(where: { !$0.isFinite }) { throw .spectrogramOverflow }
    }

    public func logMel(_ samples: [Float]) -> [Float] {
        let clip = logMelOfSignal(samples)
        return ClipSpectrograms.padded(clip.values, nMels: config.nMels, valid: clip.validFrames, frames: config.frames)
    }

    /// The log-mel of the signal's own frames only (torch.stft's 1 + length / hop, at most
    /// `config.frames`): nMels x validFrames. The frames after would be exactly 0 (zero power),
    /// so a short one-shot in the 512-frame window costs neither their log1p nor their memory.
    public func logMelOfSignal(_ samples: [Float]) -> ClipSpectrograms.Stored {
        let valid = samples.isEmpty ? 0 : min(stft.frameCount(samples.count), config.frames)
        var (out, _) = melPower(samples, frames: valid)
        // CKernels' log1p: vectorised (AVX-512/AVX2), within 2 ulp of glibc's scalar log1pf.
        out.withUnsafeMutableBufferPointer { p in if valid > 0 { ek_log1p(p.baseAddress!, p.count, stft.isa.kernelFlag) } }
        return .init(values: out, validFrames: valid)
    }

    /// Mel power (before log1p), nMels x `frames` (zeros past the signal's own frames),
    /// and how many frames the signal itself has (torch.stft's 1 + length / hop), capped at `frames`.
    func melPower(_ samples: [Float], frames: Int) -> (mel: [Float], validFrames: Int) {
        var mel = [Float](repeating: 0, count: config.nMels * frames)
        guard !samples.isEmpty else { return (mel, 0) }
        let valid = min(stft.frameCount(samples.count), frames)
        let padded = samples.withUnsafeBufferPointer { stft.reflectPadded($0, frames: valid) }
        let bins = stft.bins
        var powerBuffer = [Float](repeating: 0, count: stft.chunk * bins)
        padded.withUnsafeBufferPointer { p in
            mel.withUnsafeMutableBufferPointer { melOut in
                powerBuffer.withUnsafeMutableBufferPointer { pw in
                    stft.forEachSpectrumBatch(p.baseAddress!, frames: valid) { first, count, spectra in
                        for i in 0 ..< count * bins {
                            let re = spectra[2 * i], im = spectra[2 * i + 1]
                            pw[i] = re * re + im * im
                        }
                        filterbank.apply(power: pw.baseAddress!, frames: count,
                                         into: melOut.baseAddress! + first, melStride: frames)
                    }
                }
            }
        }
        return (mel, valid)
    }
}
