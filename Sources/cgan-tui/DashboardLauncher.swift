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
        do {
            let outcome = try runDashboard(
                context: context, events: trainer.events, send: { trainer.send($0) },
                options: DashboardOptions(audioDevice: audioDevice ?? "default"))
            return outcome.exitStatus
        } catch {
            let reason = (error as? UserError)?.message ?? "\(error)"
            printWarning("\(reason); showing progress without the dashboard")
            return nil
        }
    }
}
