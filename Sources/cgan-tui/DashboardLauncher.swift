import Audio
import Dashboard
import Foundation
import GAN
import Support

/// Hands a running trainer to the dashboard when stdout is a terminal. Returns the exit
/// status the dashboard chose, or nil when the terminal cannot host it (the train command
/// then falls back to the headless progress line). The dashboard handles SIGINT/SIGTERM
/// itself while it runs (it asks the trainer to stop and save, then restores the terminal
/// and prints where the checkpoint is).
enum DashboardLauncher {
    static func run(trainer: Trainer, data: SpectrogramDataset, plan: TrainCommand.Plan,
                    audioDevice: String?) -> Int32? {
        let o = trainer.options
        var context = DashboardContext(
            datasetName: plan.datasetLabel, classNames: data.classes, clipCounts: data.clipCounts,
            nMels: o.spectrogram.nMels, frames: o.spectrogram.frames, sampleRate: o.spectrogram.sampleRate,
            batchSize: o.batchSize, totalEpochs: o.epochs, stepsPerEpoch: trainer.stepsPerEpoch,
            outputFolder: trainer.layout.root)
        context.kernels = BLASKernels.description.short
        // The first clip of each class, shown beside the generated spectrogram on wide terminals.
        for (i, label) in data.labels.enumerated() where context.realExamples[label] == nil {
            context.realExamples[label] = data.spectrograms[i]
        }
        context.skippedFiles = data.skipped.map { "\($0.path): \($0.reason)" }
        context.realClips = realClipFiles(plan.datasetURL, classes: data.classes, skipped: data.skipped.map(\.path))
        context.bandHz = o.spectrogram.melCentreFrequencies
        // After the last epoch the dashboard plays the generator training ended with (what
        // latest.safetensors holds); `cgan-tui listen` opens any other checkpoint, best included.
        context.generatorSource = "the final generator"
        do {
            return try show(context, events: trainer.events, send: { trainer.send($0) }, audioDevice: audioDevice)
        } catch {
            printWarning("\(reason(error)); showing progress without the dashboard")
            return nil
        }
    }

    /// The dashboard on `context` until the user leaves; its exit status. Throws before
    /// touching the screen when the terminal cannot host it.
    static func show(_ context: DashboardContext, events: EventChannel<TrainingEvent>,
                     send: @escaping @Sendable (TrainerCommand) -> Void, audioDevice: String?) throws -> Int32 {
        // A player has no checkpoint or resume line to print on the way out.
        try runDashboard(context: context, events: events, send: send,
                         options: DashboardOptions(audioDevice: audioDevice ?? "default", printsSummary: !context.listenOnly,
                                                   readClip: readRealClip)).exitStatus
    }

    static func reason(_ error: Error) -> String { (error as? UserError)?.message ?? "\(error)" }

    /// A real clip for `r` and A/B: mono at the run's rate, at most 30 s (a long file would
    /// only delay the sound and hold memory).
    @Sendable static func readRealClip(_ url: URL, sampleRate: Int) throws -> [Float] {
        try AudioIO.readMono(url, sampleRate: sampleRate, maxSamples: 30 * sampleRate)
    }

    /// The dataset's usable files for each of `classes` (sorted, skipped ones left out); an
    /// empty list for a class the folder no longer has.
    static func realClipFiles(_ dataset: URL, classes: [String], skipped: [String]) -> [[URL]] {
        guard let layout = try? DatasetLoader.scan(dataset) else { return classes.map { _ in [] } }
        let skip = Set(skipped)
        return classes.map { name in
            guard let i = layout.classes.firstIndex(of: name) else { return [] }
            return layout.files[i].filter { !skip.contains($0.path) }
        }
    }
}
