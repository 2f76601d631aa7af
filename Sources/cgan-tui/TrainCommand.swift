import ArgumentParser
import Audio
import Foundation
import GAN
import Support

/// `cgan-tui [DATASET] [options]`: train (the dashboard on a terminal, headless otherwise).
/// With no DATASET it trains on the demo dataset that ships in `assets/demo`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train on DATASET (dashboard in a terminal, headless otherwise).",
        discussion: """
        DATASET holds one folder per class (or train/<class>/), with audio files in any format \
        libsndfile reads. Without DATASET, cgan-tui trains on its demo dataset (assets/demo, \
        looked up in the current folder, then above the executable, or $CGAN_TUI_DEMO) with \
        settings that suit its 0.75 s clips (--n-mels 64 --frames 64 --batch-size 8 --epochs 150 --checkpoint-every 50).
        Exit status: 0 done, 1 training failed, 2 bad input, 130/143 stopped by SIGINT/SIGTERM \
        after saving a checkpoint.
        """)

    @Argument(help: "Dataset folder: DATASET/<class>/<clips> (default: the demo dataset).")
    var dataset: String?

    @Flag(name: .customLong("no-ui"), help: "Print progress instead of the dashboard (automatic when stdout is not a terminal).")
    var noUI = false

    @Option(parsing: .unconditional, help: "Epochs to train (with --resume: the total to reach). Default 50 (demo: \(Demo.epochs)).")
    var epochs: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Clips per step (default: the recipe's, \(Recipe.standard.batchSize ?? 16) for the default recipe, 16 for seed; demo: \(Demo.batchSize)).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Adam learning rate (default 2e-4).")
    var lr: Double?
    @Option(name: .customLong("latent-dim"), parsing: .unconditional, help: "Latent size (default 100).")
    var latentDim: Int?
    @Option(name: .customLong("n-mels"), parsing: .unconditional, help: "Mel bands, a multiple of 16 (default 128; demo: \(Demo.nMels)).")
    var nMels: Int?
    @Option(parsing: .unconditional, help: "Spectrogram frames, a multiple of 16: 512 frames = 5.9 s at 22050 Hz (default: chosen from the clips' lengths by the default recipe, 512 with --recipe seed; demo: \(Demo.frames) = 0.73 s).")
    var frames: Int?
    @Option(help: "Training recipe: default (tuned on real recordings, window fitted to the clips), seed (the original PyTorch script exactly), or a JSON file of recipe fields (see the README).")
    var recipe: String?
    @Option(name: .customLong("sample-rate"), parsing: .unconditional, help: "Sample rate in Hz (default 22050).")
    var sampleRate: Int?
    @Option(parsing: .unconditional, help: "Random seed: same seed and --threads give the same run (default 0).")
    var seed: Int?
    @Option(parsing: .unconditional, help: "Compute threads (default: one per core).")
    var threads: Int?
    @Option(help: "Run folder (default: runs/<dataset>-<date-time>).")
    var out: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Keep a numbered checkpoint every N epochs, 0 for none (default 10; demo: \(Demo.checkpointEvery)).")
    var checkpointEvery: Int?
    @Option(name: .customLong("log-every"), parsing: .unconditional, help: "Headless on a pipe: also print a line every N steps, 0 for none (default 50).")
    var logEvery: Int?
    @Option(help: "Continue a run: its folder or a checkpoint file.")
    var resume: String?
    @Option(name: .customLong("audio-device"), help: "ALSA device for auditions in the dashboard (default: \"default\").")
    var audioDevice: String?

    /// Settings for the demo's 0.75 s clips (65 STFT frames): measured on the 2-core machine
    /// with scripts/demo_quality.py, 150 epochs at batch 8 (1500 steps) reach 100%
    /// nearest-class-centroid accuracy in under 5 minutes (see the README).
    enum Demo {
        static let frames = 64
        static let nMels = 64
        static let batchSize = 8
        static let epochs = 150
        static let checkpointEvery = 50
    }

    func run() throws {
        try reportingUserErrors { try train() }
    }

    // MARK: - Plan

    /// What the command line resolves to, before anything heavy happens.
    struct Plan {
        var datasetURL: URL
        var datasetLabel: String
        var options: TrainingOptions
        var runFolder: URL
        var resume: (model: ConditionalGAN, metadata: CheckpointMetadata)?
        /// Pick the window from the clips (the recipe's coverage) after loading them at `options.spectrogram.frames`.
        var windowCoverage: Double?
        /// The window a resumed run chose when it began (kept in its config.json).
        var window: ClipWindow?
    }

    func validateNumbers() throws {
        if let v = epochs { try require((1 ... 1_000_000).contains(v), "--epochs must be between 1 and 1000000 (got \(v))") }
        if let v = batchSize { try require((1 ... 4096).contains(v), "--batch-size must be between 1 and 4096 (got \(v))") }
        if let v = lr { try require(v.isFinite && v > 0 && v <= 1, "--lr must be a number in (0, 1] (got \(v))") }
        // The same limits bound what a checkpoint may say (TrainingLimits).
        typealias L = TrainingLimits
        if let v = latentDim { try require(L.latentDim.contains(v), "--latent-dim must be between \(L.latentDim.lowerBound) and \(L.latentDim.upperBound) (got \(v))") }
        if let v = nMels {
            try require(L.nMels.contains(v), "--n-mels must be between \(L.nMels.lowerBound) and \(L.nMels.upperBound) (got \(v))")
            try require(v % L.multiple == 0, "--n-mels must be a multiple of 16 (got \(v)): the generator doubles 4 times from n_mels/16")
        }
        if let v = frames {
            try require(L.frames.contains(v), "--frames must be between \(L.frames.lowerBound) and \(L.frames.upperBound) (got \(v))")
            try require(v % L.multiple == 0, "--frames must be a multiple of 16 (got \(v)): the generator doubles 4 times from frames/16")
        }
        if let v = sampleRate { try require(L.sampleRate.contains(v), "--sample-rate must be between \(L.sampleRate.lowerBound) and \(L.sampleRate.upperBound) Hz (got \(v))") }
        if let v = seed { try require(v >= 0, "--seed must be 0 or more (got \(v))") }
        if let v = threads { try require((1 ... 256).contains(v), "--threads must be between 1 and 256 (got \(v))") }
        if let v = checkpointEvery { try require(v >= 0 && v <= 1_000_000, "--checkpoint-every must be 0 or more (got \(v))") }
        if let v = logEvery { try require(v >= 0, "--log-every must be 0 or more (got \(v))") }
        if let out { try require(!out.isEmpty, "--out must not be empty") }
    }

    func makePlan() throws -> Plan {
        try validateNumbers()
        var options = TrainingOptions()
        var datasetURL: URL
        var label: String
        var runFolder: URL?
        var resumed: (model: ConditionalGAN, metadata: CheckpointMetadata)?
        var resumedWindow: ClipWindow?
        let fm = FileManager.default

        if let resume {
            let target = URL(fileURLWithPath: resume)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: target.path, isDirectory: &isDir) else {
                throw UserError("--resume: \(resume) does not exist")
            }
            let checkpoint: URL
            if isDir.boolValue {
                checkpoint = RunLayout(root: target).latestCheckpoint
                guard fm.fileExists(atPath: checkpoint.path) else {
                    throw UserError("--resume: \(resume) holds no checkpoints/latest.safetensors")
                }
                runFolder = target
            } else {
                checkpoint = target
                let parent = target.deletingLastPathComponent()
                if parent.lastPathComponent == "checkpoints" { runFolder = parent.deletingLastPathComponent() }
            }
            if let out { runFolder = URL(fileURLWithPath: out) }
            guard runFolder != nil else {
                throw UserError("--resume: \(resume) is not inside a run folder; say where the run goes with --out")
            }
            // The run's own config gives the defaults: `cgan-tui --resume RUN` alone continues it.
            let saved = try? RunConfig.read(RunLayout(root: checkpoint.deletingLastPathComponent().deletingLastPathComponent()).config)
            resumedWindow = saved?.window
            if let saved { options = saved.options }
            resumed = try ConditionalGAN.load(from: checkpoint)
            let meta = resumed!.metadata
            options.spectrogram = SpectrogramConfig(sampleRate: meta.sampleRate, nFFT: meta.nFFT, hop: meta.hop,
                                                    nMels: meta.nMels, frames: meta.frames)
            options.latentDim = meta.latentDim
            options.seed = meta.seed
            for (flag, given, have) in [("--n-mels", nMels, meta.nMels), ("--frames", frames, meta.frames),
                                        ("--latent-dim", latentDim, meta.latentDim), ("--sample-rate", sampleRate, meta.sampleRate)] {
                if let given, given != have {
                    throw UserError("\(flag) \(given) does not match the checkpoint (\(have)); a resumed run keeps its shape")
                }
            }
            if let seed, UInt64(seed) != meta.seed {
                throw UserError("--seed \(seed) does not match the checkpoint's seed \(meta.seed)")
            }
            if let recipe, try Recipe.named(recipe) != resumed!.model.recipe {
                throw UserError("--recipe \(recipe) does not match the checkpoint's recipe '\(resumed!.model.recipe.name)'; a resumed run keeps its recipe")
            }
            if let dataset {
                datasetURL = URL(fileURLWithPath: dataset)
            } else if let saved {
                datasetURL = URL(fileURLWithPath: saved.dataset)
            } else {
                throw UserError("--resume: no config.json beside the checkpoint; give the DATASET folder")
            }
            label = datasetURL.lastPathComponent
            if epochs == nil, meta.epoch >= options.epochs {
                throw UserError("the run already finished its \(options.epochs) epochs; pass --epochs N (more than \(meta.epoch)) to train further")
            }
        } else if let dataset {
            datasetURL = URL(fileURLWithPath: dataset)
            label = datasetURL.standardizedFileURL.lastPathComponent
        } else {
            guard let demo = DemoAssets.locate() else {
                throw UserError("no DATASET given and the demo dataset (assets/demo) was not found in the current folder or above the executable; pass a dataset folder or set CGAN_TUI_DEMO")
            }
            datasetURL = demo.url
            label = "demo"
            options.spectrogram.frames = Demo.frames
            options.spectrogram.nMels = Demo.nMels
            options.batchSize = Demo.batchSize
            options.epochs = Demo.epochs
            options.checkpointEvery = Demo.checkpointEvery
            FileHandle.standardError.write(Data("cgan-tui: no DATASET given: training on the demo dataset at \(demo.url.path) (\(demo.how))\n".utf8))
        }

        if let v = epochs { options.epochs = v }
        if let v = batchSize {
            // The position inside a stopped epoch is counted in batches: another size would
            // not continue the same epoch.
            if resumed != nil, v != options.batchSize {
                throw UserError("--batch-size \(v) does not match the run's batch size \(options.batchSize); a resumed run keeps it")
            }
            options.batchSize = v
        }
        if let v = lr {
            if resumed != nil, Float(v) != resumed!.model.config.learningRate {
                throw UserError("--lr cannot change on resume: the checkpoint trains at \(resumed!.model.config.learningRate)")
            }
            options.learningRate = Float(v)
        }
        var windowCoverage: Double?
        if resumed == nil {
            options.recipe = try Recipe.named(recipe ?? "default")
            // The demo and an explicit --frames keep their window; the seed's recipe keeps 512.
            if frames == nil, dataset != nil, let c = options.recipe.windowCoverage { windowCoverage = c }
            if batchSize == nil, dataset != nil, let b = options.recipe.batchSize { options.batchSize = b }
            if let v = latentDim { options.latentDim = v }
            if let v = nMels { options.spectrogram.nMels = v }
            if let v = frames { options.spectrogram.frames = v }
            if let v = sampleRate { options.spectrogram.sampleRate = v }
            if let v = seed { options.seed = UInt64(v) }
        }
        if let v = threads { options.threads = v }
        if let v = checkpointEvery { options.checkpointEvery = v }
        if let meta = resumed?.metadata, options.epochs <= meta.epoch {
            throw UserError("--epochs \(options.epochs) is not more than the \(meta.epoch) epochs already trained")
        }

        if runFolder == nil {
            if let out {
                runFolder = URL(fileURLWithPath: out)
                if fm.fileExists(atPath: RunLayout(root: runFolder!).latestCheckpoint.path)
                    || fm.fileExists(atPath: RunLayout(root: runFolder!).config.path) {
                    throw UserError("\(out) already holds a run; continue it with --resume \(shellQuoted(out)) or choose another --out")
                }
            } else {
                let stamp = DateFormatter()
                stamp.dateFormat = "yyyyMMdd-HHmmss"
                stamp.locale = Locale(identifier: "en_US_POSIX")
                let name = RunLayout.fileSafe(label) + "-" + stamp.string(from: Date())
                runFolder = URL(fileURLWithPath: "runs").appendingPathComponent(name)
            }
        }
        return Plan(datasetURL: datasetURL, datasetLabel: label, options: options,
                    runFolder: runFolder!.standardizedFileURL, resume: resumed, windowCoverage: windowCoverage, window: resumedWindow)
    }

    // MARK: - Run

    func train() throws {
        let plan = try makePlan()
        let interactive = isatty(STDOUT_FILENO) != 0
        var options = plan.options
        // config.json records the thread count actually used: same seed + same threads = same run.
        if options.threads <= 0 { options.threads = ProcessInfo.processInfo.activeProcessorCount }
        let threads = options.threads
        ComputeThreads.set(threads)

        var data = try Self.loadDataset(plan.datasetURL, config: plan.options.spectrogram, threads: threads, interactive: interactive)
        var window = plan.window
        if let coverage = plan.windowCoverage {
            let w = ClipWindow.choose(lengths: data.soundingFrames, coverage: coverage, config: data.config,
                                      maximum: data.config.frames)
            data = data.cropped(toFrames: w.frames)
            options.spectrogram.frames = w.frames
            window = w
        }
        let layout = RunLayout(root: plan.runFolder)
        let trainer = try Trainer(dataset: data, options: options, layout: layout,
                                  datasetPath: plan.datasetURL.standardizedFileURL.path,
                                  commandLine: CommandLine.arguments, resume: plan.resume, window: window)
        let counts = zip(data.classes, data.clipCounts).map { "\($0) \($1)" }.joined(separator: ", ")
        say("cgan-tui: \(data.classes.count) classes (\(counts)), \(data.spectrograms.count) clips, \(String(format: "%.1f", data.totalSeconds)) s of audio; \(options.spectrogram.nMels) x \(options.spectrogram.frames) log-mel")
        if let w = window {
            say("cgan-tui: window \(w.frames) frames (\(String(format: "%.2f", w.seconds)) s) holds the sounding part of \(percent(w.covered)) of the clips; \(percent(w.cut)) are cut short (--frames N to choose)")
        }
        say("cgan-tui: recipe \(options.recipe.name)" + (options.recipe == .seed ? " (the original PyTorch script's training)" : ""))
        say("cgan-tui: run folder \(layout.root.path)" + (plan.resume != nil ? " (resuming at epoch \(trainer.startEpoch), step \(trainer.startStep))" : ""))

        let (startEpoch, startStep) = (trainer.startEpoch, trainer.startStep)
        trainer.start()
        // The dashboard installs its own SIGINT/SIGTERM handling; ours would clobber it (a
        // second `signal(SIG_IGN)` after a Dispatch signal source exists removes libdispatch's
        // handler, and the signal is then ignored by both), so ours start only when headless.
        if !noUI && interactive,
           let status = DashboardLauncher.run(trainer: trainer, data: data, plan: plan, audioDevice: audioDevice) {
            trainer.wait()
            if status != 0 { throw ExitCode(status) }
            return
        }
        let signals = StopSignals { [trainer] sig in
            FileHandle.standardError.write(Data("\ncgan-tui: \(sig == SIGINT ? "interrupted" : "terminated"): stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n".utf8))
            trainer.send(.stop)
        }
        defer { signals.cancel() }

        let progress = HeadlessProgress(interactive: interactive, logEvery: logEvery ?? 50,
                                        totalEpochs: options.epochs, stepsPerEpoch: trainer.stepsPerEpoch,
                                        startEpoch: startEpoch, startStep: startStep)
        let outcome = progress.run(trainer)
        trainer.wait()

        let resumeHint = "cgan-tui --resume \(shellQuoted(relativePath(layout.root)))"
        if let error = outcome.error {
            printError(error)
            if outcome.lastCheckpoint != nil || FileManager.default.fileExists(atPath: layout.latestCheckpoint.path) {
                FileHandle.standardError.write(Data("cgan-tui: continue from the last good checkpoint with: \(resumeHint)\n".utf8))
            }
            throw ExitCode(1)
        }
        if let sig = signals.received {
            let where_ = outcome.lastCheckpoint.map { relativePath($0) } ?? "(none)"
            say("cgan-tui: stopped at epoch \(outcome.epoch), step \(outcome.step); checkpoint saved to \(where_)")
            say("cgan-tui: resume with: \(resumeHint)")
            throw ExitCode(128 + sig)
        }
        say("cgan-tui: done: \(options.epochs) epochs, step \(outcome.step); checkpoint \(relativePath(layout.latestCheckpoint))")
        say("cgan-tui: generate clips with: cgan-tui generate \(shellQuoted(relativePath(layout.latestCheckpoint))) --all --out clips")
    }

    /// Loads (and caches) the spectrograms; lists skipped files once; drops empty classes.
    /// Also what `eval` reads a run's dataset with.
    static func loadDataset(_ url: URL, config: SpectrogramConfig, threads: Int, interactive: Bool) throws -> SpectrogramDataset {
        var progress: (@Sendable (Int, Int) -> Void)?
        let showProgress = interactive && isatty(STDERR_FILENO) != 0
        if showProgress {
            progress = { (done: Int, total: Int) in
                FileHandle.standardError.write(Data("\rreading clips \(done)/\(total)\u{1B}[K".utf8))
            }
        }
        let data = try DatasetLoader.load(url, config: config,
                                          cacheDirectory: Self.cacheDirectory(), threads: threads, progress: progress)
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let shown = 20
        for s in data.skipped.prefix(shown) { printWarning("skipped \(s.path): \(s.reason)") }
        if data.skipped.count > shown { printWarning("... and \(data.skipped.count - shown) more skipped files") }
        return try Self.droppingEmptyClasses(data)
    }

    /// A class folder with no usable clip is skipped with a warning; none left is an error.
    static func droppingEmptyClasses(_ data: SpectrogramDataset) throws -> SpectrogramDataset {
        let keep = data.classes.indices.filter { data.clipCounts[$0] > 0 }
        for i in data.classes.indices where data.clipCounts[i] == 0 {
            printWarning("class '\(data.classes[i])' has no usable clips; training without it")
        }
        guard !keep.isEmpty else { throw UserError("no class has a usable clip") }
        guard keep.count <= TrainingLimits.classes.upperBound else {
            throw UserError("\(keep.count) classes: a run takes at most \(TrainingLimits.classes.upperBound)")
        }
        if keep.count == data.classes.count { return data }
        var newIndex = [Int](repeating: -1, count: data.classes.count)
        for (n, old) in keep.enumerated() { newIndex[old] = n }
        var out = data
        out.classes = keep.map { data.classes[$0] }
        out.clipCounts = keep.map { data.clipCounts[$0] }
        out.labels = data.labels.map { newIndex[$0] }
        return out
    }

    /// The user's cache folder ($XDG_CACHE_HOME or ~/.cache), or no cache when it cannot be made.
    static func cacheDirectory() -> URL? {
        let env = ProcessInfo.processInfo.environment
        let base: URL
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { base = URL(fileURLWithPath: xdg) }
        else if let home = env["HOME"], !home.isEmpty { base = URL(fileURLWithPath: home).appendingPathComponent(".cache") }
        else { return nil }
        let dir = base.appendingPathComponent("cgan-tui")
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch { return nil }
        return dir
    }

    func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    func relativePath(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let p = url.standardizedFileURL.path
        return p.hasPrefix(cwd) ? String(p.dropFirst(cwd.count)) : p
    }
}
