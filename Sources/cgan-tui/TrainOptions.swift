import ArgumentParser
import GAN

// The train command's options in the groups its help shows them in. Defaults are written
// "(default: X)" like ArgumentParser's own; the demo's differing ones are said once, in the
// command's discussion. Every option is optional here so the plan can tell "not given" from
// "given the default" (a resumed run or the demo fills the gaps).

struct TrainDataOptions: ParsableArguments {
    @Argument(help: "Dataset folder: DATASET/<class>/<clips> or DATASET/train/<class>/<clips> (default: the demo dataset).")
    var dataset: String?
    @Option(name: .customLong("sample-rate"), parsing: .unconditional, help: "Sample rate the clips are resampled to, in Hz (default: 22050).")
    var sampleRate: Int?
    @Option(name: .customLong("n-mels"), parsing: .unconditional, help: "Mel bands, a multiple of 16 (default: 128).")
    var nMels: Int?
    @Option(parsing: .unconditional, help: "Spectrogram frames, a multiple of 16; 512 frames = 5.9 s at 22050 Hz (default: fitted to the clips' lengths by the default recipe, 512 with --recipe seed).")
    var frames: Int?
}

struct TrainModelOptions: ParsableArguments {
    @Option(help: "Training recipe: 'default' (tuned on real drum recordings; fits the window to the clips), 'seed' (the original PyTorch script's recipe, exactly), or a JSON file of recipe fields, see the README (default: default).")
    var recipe: String?
    @Option(name: .customLong("latent-dim"), parsing: .unconditional, help: "Latent vector size (default: 100).")
    var latentDim: Int?
    @Option(parsing: .unconditional, help: "Adam learning rate (default: 2e-4).")
    var lr: Double?
}

struct TrainTrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Epochs to train; with --resume, the total to reach (default: 50).")
    var epochs: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Clips per step (default: the recipe's, \(Recipe.standard.batchSize ?? 16) for the default recipe, 16 for seed).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Random seed; the same seed and --threads give the same run (default: 0).")
    var seed: Int?
    @Option(parsing: .unconditional, help: "Compute threads (default: one per core).")
    var threads: Int?
    @Option(help: "Continue a run where it stopped: its folder or a checkpoint file.")
    var resume: String?
}

struct TrainOutputOptions: ParsableArguments {
    @Option(help: "Run folder (default: runs/<dataset>-<date-time>).")
    var out: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Also keep a numbered checkpoint every N epochs, 0 for none (default: 10).")
    var checkpointEvery: Int?
    @Option(name: .customLong("log-every"), parsing: .unconditional, help: "Headless with output to a pipe or file: also print a line every N steps, 0 for none (default: 50).")
    var logEvery: Int?
}

struct TrainDashboardOptions: ParsableArguments {
    @Flag(name: .customLong("no-ui"), help: "Print progress lines instead of opening the dashboard (automatic when stdout is not a terminal).")
    var noUI = false
    @Option(name: .customLong("audio-device"), help: "ALSA device the dashboard plays auditions on: default, hw:1, null, or file:FILE=out.wav,FORMAT=wav (default: default).")
    var audioDevice: String?
}

// The plan reads the options by their flat names; the groups only decide how help shows them.
extension TrainCommand {
    var dataset: String? { dataOptions.dataset }
    var sampleRate: Int? { dataOptions.sampleRate }
    var nMels: Int? { dataOptions.nMels }
    var frames: Int? { dataOptions.frames }
    var recipe: String? { modelOptions.recipe }
    var latentDim: Int? { modelOptions.latentDim }
    var lr: Double? { modelOptions.lr }
    var epochs: Int? { trainingOptions.epochs }
    var batchSize: Int? { trainingOptions.batchSize }
    var seed: Int? { trainingOptions.seed }
    var threads: Int? { trainingOptions.threads }
    var resume: String? { trainingOptions.resume }
    var out: String? { outputOptions.out }
    var checkpointEvery: Int? { outputOptions.checkpointEvery }
    var logEvery: Int? { outputOptions.logEvery }
    var noUI: Bool { dashboardOptions.noUI }
    var audioDevice: String? { dashboardOptions.audioDevice }
}
