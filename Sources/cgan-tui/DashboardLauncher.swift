import Audio
import GAN

/// Hands a running trainer to the dashboard when stdout is a terminal. Returns nil when no
/// dashboard is available, and the train command falls back to the headless progress line.
enum DashboardLauncher {
    static func run(trainer: Trainer, data: SpectrogramDataset, plan: TrainCommand.Plan,
                    audioDevice: String?) -> HeadlessProgress.Outcome? {
        nil
    }
}
