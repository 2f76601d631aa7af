import Support

/// The transform the seed uses: torchaudio `MelSpectrogram(sample_rate, n_fft, hop_length, n_mels)`
/// (periodic Hann, centred reflect padding, power 2, HTK mel, no norm, f_min 0, f_max sr/2),
/// then `log1p`, then zero-pad on the right or crop to `frames`.
public struct SpectrogramConfig: Sendable, Hashable, Codable, CustomStringConvertible {
    public var sampleRate = 22050, nFFT = 1024, hop = 256, nMels = 128, frames = 512

    public init(sampleRate: Int = 22050, nFFT: Int = 1024, hop: Int = 256, nMels: Int = 128, frames: Int = 512) {
        self.sampleRate = sampleRate
        self.nFFT = nFFT
        self.hop = hop
        self.nMels = nMels
        self.frames = frames
    }

    /// One-sided STFT bins.
    public var bins: Int { nFFT / 2 + 1 }

    /// Samples one padded/cropped spectrogram depends on: frame `frames - 1` is centred on
    /// sample `(frames - 1) * hop` and reaches `nFFT / 2` past it. Later samples never matter.
    public var samplesNeeded: Int { (frames - 1) * hop + nFFT / 2 + 1 }

    /// Length of the waveform `frames` STFT frames invert to (torch.istft's default length).
    public var synthesisLength: Int { (frames - 1) * hop }

    public var description: String {
        "sr=\(sampleRate) n_fft=\(nFFT) hop=\(hop) n_mels=\(nMels) frames=\(frames)"
    }

    /// Throws a UserError for values the transform cannot use.
    public func validate() throws {
        guard sampleRate >= 1000, sampleRate <= 384_000 else { throw UserError("sample rate must be between 1000 and 384000 Hz, got \(sampleRate)") }
        guard nFFT >= 16, nFFT <= 65536, nFFT % 2 == 0 else { throw UserError("n_fft must be an even number between 16 and 65536, got \(nFFT)") }
        guard hop >= 1, hop <= nFFT else { throw UserError("hop must be between 1 and n_fft, got \(hop)") }
        guard nMels >= 1, nMels <= nFFT / 2 + 1 else { throw UserError("n_mels must be between 1 and \(nFFT / 2 + 1), got \(nMels)") }
        guard frames >= 1, frames <= 100_000 else { throw UserError("frames must be between 1 and 100000, got \(frames)") }
    }
}
