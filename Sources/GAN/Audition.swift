import Audio
import Foundation

/// Samples and clips from a generator snapshot and one latent row per class: what the
/// trainer's previews and auditions make, and what `CheckpointPlayer` makes after training.
enum Audition {
    /// One spectrogram per class, class k from latent row k.
    static func spectrograms(_ snapshot: GeneratorSnapshot, latent: [Float], classes: Int,
                             config cfg: SpectrogramConfig) -> [GeneratedSpectrogram] {
        let size = cfg.nMels * cfg.frames
        let out = snapshot.generate(labels: Array(0 ..< classes), z: latent)
        return (0 ..< classes).map {
            GeneratedSpectrogram(classIndex: $0, nMels: cfg.nMels, frames: cfg.frames,
                                 logMel: Array(out[$0 * size ..< ($0 + 1) * size]))
        }
    }

    /// Class k's spectrogram from latent row k, and its waveform (Griffin-Lim).
    static func clip(_ k: Int, _ snapshot: GeneratorSnapshot, latent: [Float], latentDim d: Int, config cfg: SpectrogramConfig,
                     synthesizer: Synthesizer, iterations: Int, seed: UInt64, requestedAt: Double) -> SynthesizedClip {
        let logMel = snapshot.generate(labels: [k], z: Array(latent[k * d ..< (k + 1) * d]))
        precondition(logMel.count == cfg.nMels * cfg.frames)
        let samples = synthesizer.waveform(logMel: logMel, iterations: iterations, seed: seed)
        return SynthesizedClip(classIndex: k, sampleRate: cfg.sampleRate, samples: samples,
                               spectrogram: GeneratedSpectrogram(classIndex: k, nMels: cfg.nMels, frames: cfg.frames, logMel: logMel),
                               requestedAt: requestedAt)
    }

    /// The fixed latent (one row per class) of a run with `seed`; draw 0 is the one training
    /// starts with, `newLatent` moves to the next.
    static func latent(seed: UInt64, draw: Int, classes: Int, latentDim: Int) -> [Float] {
        var rng = RunRandom.stream(seed: seed, .preview, draw)
        return rng.normals(classes * latentDim)
    }
}
