import ArgumentParser
import GAN

// The train command's options in the groups its help shows them in. Defaults are written
// "(default: X)" like ArgumentParser's own; the demo's differing ones are said once, in the
// command's discussion. Every option is optional here so the plan can tell "not given" from
// "given the default" (a resumed run or the demo fills the gaps).

struct TrainDataOptions: ParsableArguments {
    @Argument(help: "Dataset folder: DATASET/<class>/<clips> or DATASET/train/<class>/<clips> (default: the demo dataset)")
    var dataset: String?
    @Option(name: .customLong("sample-rate"), parsing: .unconditional, help: ArgumentHelp("Sample rate the clips are resampled to, in Hz (default: 22050)", valueName: "hz"))
    var sampleRate: Int?
    @Option(name: .customLong("n-mels"), parsing: .unconditional, help: ArgumentHelp("Mel bands, a multiple of 16 (default: 128)", valueName: "n"))
    var nMels: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Spectrogram frames, a multiple of 16; 512 frames = 5.9 s at 22050 Hz (default: fitted to the clips' lengths by the default recipe, 512 with --recipe seed)", valueName: "n"))
    var frames: Int?
}

struct TrainModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Training recipe: 'default' (tuned on real drum recordings; fits the window to the clips), 'seed' (the original PyTorch script's recipe, exactly), or a JSON file of recipe fields, see the README (default: default)", valueName: "name-or-file"))
    var recipe: String?
    @Option(name: .customLong("latent-dim"), parsing: .unconditional, help: ArgumentHelp("Latent vector size (default: 100)", valueName: "n"))
    var latentDim: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Adam learning rate (default: 2e-4)", valueName: "rate"))
    var lr: Double?
}

struct TrainTrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Epochs to train; with --resume, the total to reach (default: 50)", valueName: "n"))
    var epochs: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Clips per step (default: the recipe's, \(Recipe.standard.batchSize ?? 16) for the default recipe, 16 for seed)", valueName: "n"))
    var batchSize: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed; the same seed and --threads give the same run (default: 0)", valueName: "n"))
    var seed: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads (default: one per core)", valueName: "n"))
    var threads: Int?
    @Option(help: ArgumentHelp("Continue a run where it stopped: its folder or a checkpoint file", valueName: "run-or-checkpoint"))
    var resume: String?
}

struct TrainOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run folder (default: runs/<dataset>-<date-time>)", valueName: "dir"))
    var out: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: ArgumentHelp("Also keep a numbered checkpoint (weights only: for generate, eval, listen) every N epochs, 0 for none (default: 10)", valueName: "n"))
    var checkpointEvery: Int?
    @Option(name: .customLong("log-every"), parsing: .unconditional, help: ArgumentHelp("Headless with output to a pipe or file: also print a line every N steps, 0 for none (default: 50)", valueName: "n"))
    var logEvery: Int?
}

struct TrainDashboardOptions: ParsableArguments {
    @Flag(name: .customLong("no-ui"), help: "Print progress lines instead of opening the dashboard (automatic when stdout is not a terminal)")
    var noUI = false
    @Option(name: .customLong("audio-device"), help: ArgumentHelp("ALSA device the dashboard plays auditions on: default, hw:1, null, or file:FILE=out.wav,FORMAT=wav (default: default)", valueName: "device"))
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
