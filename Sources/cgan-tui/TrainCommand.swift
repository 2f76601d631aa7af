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
        abstract: "Train on DATASET (the default subcommand): the dashboard in a terminal, progress lines otherwise.",
        usage: """
        cgan-tui [<dataset>] [<options>]
        cgan-tui train [<dataset>] [<options>]
        """,
        discussion: """
        DATASET holds one folder per class (or train/<class>/), with audio files in any format \
        libsndfile reads (WAV, FLAC, OGG, AIFF, MP3, ...). Without DATASET, cgan-tui trains on \
        its demo dataset (\(DemoAssets.whereItLooks)) with settings that suit its 0.75 s clips: \
        --n-mels \(Demo.nMels) --frames \(Demo.frames) --batch-size \(Demo.batchSize) --epochs \(Demo.epochs) \
        --checkpoint-every \(Demo.checkpointEvery), each of which you can still override.

        Exit status: 0 done (or q in the dashboard), 1 training failed, 2 bad input, 130/143/129/141 \
        stopped by Ctrl-C (SIGINT)/SIGTERM/SIGHUP/a closed stdout after saving a checkpoint.

        Example:
          cgan-tui path/to/drums --epochs 50 --out runs/drums
        """)

    @OptionGroup(title: "Data") var dataOptions: TrainDataOptions
    @OptionGroup(title: "Model & recipe") var modelOptions: TrainModelOptions
    @OptionGroup(title: "Training") var trainingOptions: TrainTrainingOptions
    @OptionGroup(title: "Output") var outputOptions: TrainOutputOptions
    @OptionGroup(title: "Dashboard & audio") var dashboardOptions: TrainDashboardOptions

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
        /// The run goes on in the folder that holds it (resumed or restarted there), so that
        /// folder may already hold a run.
        var continuesItsFolder = false
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
        try ComputeThreads.check(threads)
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
        var restarted: RunConfig?
        var continues = false
        let fm = FileManager.default

        if let resume, let saved = try Self.runToRestart(resume) {
            // Stopped or killed before its first checkpoint: the same run from the start.
            restarted = saved
            options = saved.options
            resumedWindow = saved.window
            runFolder = URL(fileURLWithPath: out ?? resume)
            continues = out.map { Self.sameFolder(URL(fileURLWithPath: $0), URL(fileURLWithPath: resume)) } ?? true
            if !continues { try Self.checkHoldsNoRun(runFolder!, shown: out!) }
            for (flag, given, have) in [("--n-mels", nMels, options.spectrogram.nMels), ("--frames", frames, options.spectrogram.frames),
                                        ("--latent-dim", latentDim, options.latentDim), ("--sample-rate", sampleRate, options.spectrogram.sampleRate),
                                        ("--seed", seed, Int(options.seed))] {
                if let given, given != have {
                    throw UserError("\(flag) \(given) does not match the run's config.json (\(have)); a restarted run keeps its settings")
                }
            }
            if let recipe, try Recipe.named(recipe) != options.recipe {
                throw UserError("--recipe \(recipe) does not match the run's recipe '\(options.recipe.name)'; a restarted run keeps its recipe")
            }
            datasetURL = URL(fileURLWithPath: dataset ?? saved.dataset)
            label = datasetURL.lastPathComponent
            say("cgan-tui: no checkpoint yet: starting it again from epoch 1")
        } else if let resume {
            let target = URL(fileURLWithPath: resume)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: target.path, isDirectory: &isDir) else {
                throw UserError("--resume: \(resume) does not exist")
            }
            let checkpoint: URL
            if isDir.boolValue {
                checkpoint = RunLayout(root: target).latestCheckpoint
                guard fm.fileExists(atPath: checkpoint.path) else {
                    throw UserError("--resume: \(resume) holds no checkpoints/latest.safetensors"
                                    + Self.otherCheckpointHint(RunLayout(root: target), besides: checkpoint))
                }
                runFolder = target
            } else {
                checkpoint = target
                let parent = target.deletingLastPathComponent()
                if parent.lastPathComponent == "checkpoints" { runFolder = parent.deletingLastPathComponent() }
            }
            let ownFolder = runFolder
            if let out { runFolder = URL(fileURLWithPath: out) }
            guard runFolder != nil else {
                throw UserError("--resume: \(resume) is not inside a run folder; say where the run goes with --out")
            }
            // --resume A --out B continues A's run in B: B must not hold a run of its own.
            continues = ownFolder.map { Self.sameFolder($0, runFolder!) } ?? false
            if let out, !continues { try Self.checkHoldsNoRun(runFolder!, shown: out) }
            // The run's own config gives the defaults: `cgan-tui --resume RUN` alone continues it.
            let saved = try? RunConfig.read(RunLayout(root: checkpoint.deletingLastPathComponent().deletingLastPathComponent()).config)
            resumedWindow = saved?.window
            if let saved { options = saved.options }
            do {
                resumed = try ConditionalGAN.load(from: checkpoint, settings: ComputeThreads.settings(threads: threads ?? options.threads))
            } catch let e as UserError {
                guard let own = ownFolder else { throw e }
                throw UserError(e.message + Self.otherCheckpointHint(RunLayout(root: own), besides: checkpoint))
            }
            let meta = resumed!.metadata
            // Weights without Adam moments (the numbered checkpoints): the step count, the recipe's
            // schedules and the metrics kept hang on the optimizer's step, and fresh moments under the
            // old step would lose Adam's bias correction, so such a file is not resumed.
            if meta.step > 0, resumed!.model.step != meta.step {
                throw UserError("--resume: \(resume) holds weights but no optimizer state (numbered checkpoints keep only what generate and eval need); resume from the run folder's checkpoints/latest.safetensors, best.safetensors or a snapshot saved with s")
            }
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
                throw UserError("the run already finished its \(counted(options.epochs, "epoch")); pass --epochs N (more than \(meta.epoch)) to train further")
            }
        } else if let dataset {
            datasetURL = URL(fileURLWithPath: dataset)
            label = datasetURL.standardizedFileURL.lastPathComponent
        } else {
            let demo = try DemoAssets.locate()
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
        if resumed == nil, restarted == nil {
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
            throw UserError("--epochs \(options.epochs) is not more than the \(counted(meta.epoch, "epoch")) already trained")
        }

        if runFolder == nil {
            if let out {
                runFolder = URL(fileURLWithPath: out)
                try Self.checkHoldsNoRun(runFolder!, shown: out)
            } else {
                let stamp = DateFormatter()
                stamp.dateFormat = "yyyyMMdd-HHmmss"
                stamp.locale = Locale(identifier: "en_US_POSIX")
                let name = RunLayout.fileSafe(label) + "-" + stamp.string(from: Date())
                runFolder = URL(fileURLWithPath: "runs").appendingPathComponent(name)
            }
        }
        let folder = runFolder!.standardizedFileURL
        if let pid = FileLock.currentHolder(RunLayout(root: folder).lock) { throw UserError(Self.inUse(folder, pid)) }
        var plan = Plan(datasetURL: datasetURL, datasetLabel: label, options: options,
                        runFolder: folder, resume: resumed, windowCoverage: windowCoverage, window: resumedWindow)
        plan.continuesItsFolder = continues
        return plan
    }

    // MARK: - Run

    func train() throws {
        // Before anything is printed or created, so that no stop is lost.
        let signals = StopSignals()
        defer { signals.cancel() }
        let plan = try makePlan()
        let interactive = isatty(STDOUT_FILENO) != 0
        var options = plan.options
        // config.json records the thread count actually used: same seed + same threads = same run.
        if options.threads <= 0 { options.threads = ProcessInfo.processInfo.activeProcessorCount }
        let threads = options.threads
        let compute = ComputeThreads.settings(threads: threads)

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
        signals.recordFromNowOn()
        let lock = try Self.lockRunFolder(layout, plan: plan)
        defer { lock?.release() }
        let trainer = try Trainer(dataset: data, options: options, layout: layout,
                                  datasetPath: plan.datasetURL.standardizedFileURL.path,
                                  commandLine: CommandLine.arguments, resume: plan.resume, window: window, settings: compute)
        let counts = zip(data.classes, data.clipCounts).map { "\($0) \($1)" }.joined(separator: ", ")
        say("cgan-tui: \(counted(data.classes.count, "class")) (\(counts)), \(counted(data.spectrograms.count, "clip")), \(String(format: "%.1f", data.totalSeconds)) s of audio; \(options.spectrogram.nMels) x \(options.spectrogram.frames) log-mel")
        if let w = window {
            say("cgan-tui: window \(w.frames) frames (\(String(format: "%.2f", w.seconds)) s) holds the sounding part of \(percent(w.covered)) of the clips; \(percent(w.cut)) are cut short (--frames N to choose)")
        }
        say("cgan-tui: recipe \(options.recipe.name)" + (options.recipe == .seed ? " (the original script's recipe)" : ""))
        say("cgan-tui: \(BLASKernels.description.line)")
        say("cgan-tui: run folder \(layout.root.path)" + (plan.resume != nil ? " (resuming at epoch \(trainer.startEpoch), step \(trainer.startStep))" : ""))

        let (startEpoch, startStep) = (trainer.startEpoch, trainer.startStep)
        let resumeHint = "cgan-tui --resume \(shellQuoted(relativePath(layout.root)))"
        signals.attach(trainer, resumeHint: resumeHint)
        trainer.start()
        // The dashboard installs its own SIGINT/SIGTERM/SIGHUP handling; a stop that arrived
        // before it keeps the run headless, which reports it.
        if !noUI && interactive && signals.handOverToDashboard() {
            if let status = DashboardLauncher.run(trainer: trainer, data: data, plan: plan, audioDevice: audioDevice) {
                trainer.wait()
                if status != 0 { throw ExitCode(status) }
                return
            }
            signals.takeBack()
        }

        let progress = HeadlessProgress(interactive: interactive, logEvery: logEvery ?? 50,
                                        totalEpochs: options.epochs, stepsPerEpoch: trainer.stepsPerEpoch,
                                        startEpoch: startEpoch, startStep: startStep)
        let outcome = progress.run(trainer)
        trainer.wait()

        let saved = FileManager.default.fileExists(atPath: layout.latestCheckpoint.path)
        if let error = outcome.error {
            printError(error)
            if outcome.epochsDone >= options.epochs {
                printError("the trained model is saved; make clips from it with: cgan-tui generate \(shellQuoted(relativePath(layout.root)))")
            } else if saved {
                printError("continue from the last good checkpoint with: \(resumeHint)")
            }
            throw ExitCode(1)
        }
        if let sig = signals.received {
            if let last = outcome.lastCheckpoint {
                say("cgan-tui: stopped at epoch \(outcome.epoch), step \(outcome.step); checkpoint saved to \(relativePath(last))")
                say("cgan-tui: resume with: \(resumeHint)")
            } else if saved {
                say("cgan-tui: stopped before the first step; the checkpoint is unchanged")
                say("cgan-tui: resume with: \(resumeHint)")
            } else {
                say("cgan-tui: stopped before the first checkpoint; nothing to save")
                say("cgan-tui: start it again with: \(resumeHint) (no checkpoint yet: it restarts from epoch 1)")
            }
            throw ExitCode(128 + sig)
        }
        say("cgan-tui: done: \(counted(options.epochs, "epoch")), step \(outcome.step); checkpoint \(relativePath(layout.latestCheckpoint))")
        say("cgan-tui: generate clips with: cgan-tui generate \(shellQuoted(relativePath(layout.root))) (they go to \(relativePath(layout.root.appendingPathComponent("generated"))))")
    }

    /// Loads (and caches) the spectrograms; lists skipped files once; drops empty classes.
    /// Also what `eval` reads a run's dataset with.
    static func loadDataset(_ url: URL, config: SpectrogramConfig, threads: Int, interactive: Bool) throws -> SpectrogramDataset {
        var progress: (@Sendable (Int, Int) -> Void)?
        let showProgress = interactive && isatty(STDERR_FILENO) != 0
        if showProgress {
            progress = { (done: Int, total: Int) in
                Console.write("\rreading clips \(done)/\(total)\u{1B}[K", to: STDERR_FILENO)
            }
        }
        let data = try DatasetLoader.load(url, config: config,
                                          cacheDirectory: Self.cacheDirectory(), threads: threads, isa: BLASKernels.level,
                                          progress: progress)
        if showProgress { Console.write("\r\u{1B}[K", to: STDERR_FILENO) }
        let shown = 20
        for s in data.skipped.prefix(shown) { printWarning("skipped \(s.path): \(s.reason)") }
        if data.skipped.count > shown { printWarning("... and \(counted(data.skipped.count - shown, "more skipped file"))") }
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

    /// The spectrogram cache (`DatasetLoader.defaultCacheDirectory`), made if need be, or no
    /// cache when it cannot be made. A temporary one instead of a missing HOME is said once.
    static func cacheDirectory() -> URL? {
        guard let (dir, note) = DatasetLoader.defaultCacheDirectory() else { return nil }
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch { return nil }
        if let note { printWarning(note) }
        // Entries half-written by a cache writer that was killed (only those: other runs may be writing here now).
        _ = AtomicFile.removeStaleTemporaries(in: [dir], olderThan: .distantPast)
        return dir
    }

    func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    func relativePath(_ url: URL) -> String { Self.relativePathOf(url) }
}
