import Audio
import Dispatch
import Foundation
import Support

/// A trained generator that only plays (`cgan-tui listen`): it answers the trainer's
/// `synthesize` and `newLatent` commands with the same events, on its own queue, and has
/// nothing to pause or save. It starts with the run's own fixed latent, so class k sounds as it
/// did on the training dashboard at that epoch.
public final class CheckpointPlayer: @unchecked Sendable {
    public let events = EventChannel<TrainingEvent>()
    public let metadata: CheckpointMetadata
    private let snapshot: GeneratorSnapshot
    private let config: SpectrogramConfig
    private let iterations: Int
    private let queue = DispatchQueue(label: "cgan-tui.listen", qos: .userInitiated)
    // Owned by `queue`.
    private let synthesizer: Synthesizer
    private var latent: [Float]
    private var draws = 0

    public init(model: ConditionalGAN, metadata: CheckpointMetadata, iterations: Int = 32) {
        self.metadata = metadata
        snapshot = model.snapshotGenerator()
        config = SpectrogramConfig(sampleRate: metadata.sampleRate, nFFT: metadata.nFFT, hop: metadata.hop,
                                   nMels: metadata.nMels, frames: metadata.frames)
        self.iterations = iterations
        synthesizer = Synthesizer(config: config, isa: model.settings.isa.level)
        latent = Audition.latent(seed: metadata.seed, draw: 0, classes: metadata.classNames.count, latentDim: metadata.latentDim)
    }

    /// Sends the samples of every class, then says there is no training (`.stopped`, `.finished`).
    public func start() {
        queue.async { [self] in
            events.send(.samplesReady(epoch: metadata.epoch, step: metadata.step, previews()))
            events.send(.stateChanged(.stopped))
            events.send(.finished)
        }
    }

    public func send(_ command: TrainerCommand) {
        switch command {
        case .synthesize(let k):
            guard metadata.classNames.indices.contains(k) else { return }
            let requestedAt = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            queue.async { [self] in
                events.send(.clipSynthesized(Audition.clip(k, snapshot, latent: latent, latentDim: metadata.latentDim,
                                                           config: config, synthesizer: synthesizer, iterations: iterations,
                                                           seed: metadata.seed, requestedAt: requestedAt)))
            }
        case .newLatent:
            queue.async { [self] in
                draws += 1
                latent = Audition.latent(seed: metadata.seed, draw: draws, classes: metadata.classNames.count,
                                         latentDim: metadata.latentDim)
                events.send(.samplesReady(epoch: metadata.epoch, step: metadata.step, previews()))
            }
        case .pause, .resume, .stop, .saveNow, .abandon:
            break   // nothing trains
        }
    }

    private func previews() -> [GeneratedSpectrogram] {
        Audition.spectrograms(snapshot, latent: latent, classes: metadata.classNames.count, config: config)
    }
}
