import Audio
import Dispatch
import Engine
import Foundation
import Quality
import Support
import Synchronization

/// Runs the conditional GAN on its own Dispatch queue. Front ends (dashboard, headless
/// printer, tests) read `events` and call `send(_:)`; they never touch the model.
///
/// Three queues: `trainQueue` owns the model and runs the steps; `synthQueue` turns a
/// `GeneratorSnapshot` into previews and audition clips, so an audition never waits for the
/// current step; `outputQueue` writes the per-epoch PNG and WAVs (Griffin-Lim) while the
/// next epoch trains.
public final class Trainer: @unchecked Sendable {
    public let events = EventChannel<TrainingEvent>()
    public let options: TrainingOptions
    public let layout: RunLayout
    public let classes: [String]
    /// Optimizer steps in one epoch (the last batch may be smaller, as PyTorch's DataLoader does).
    public let stepsPerEpoch: Int

    // Owned by trainQueue once `start()` ran.
    private let model: ConditionalGAN
    private let dataset: SpectrogramDataset
    /// The clips in the scale the recipe's model learns (the dataset's own log1p for the seed).
    private let trainingSpectrograms: [[Float]]
    private var completedEpochs: Int
    private var resumeStepInEpoch: Int
    private let metrics: MetricsLog
    private var lastSave: (url: URL, epoch: Int)?
    private var lastSaveTime = DispatchTime(uptimeNanoseconds: 0)
    private let runConfig: RunConfig
    /// The best epoch so far by quality (see `BestEpoch`), from the checkpoint when resuming.
    private var best: BestEpoch?
    /// The model's step when this trainer began: a stop before any step has nothing new to save.
    private let stepAtStart: Int

    private let trainQueue = DispatchQueue(label: "cgan-tui.trainer", qos: .userInitiated)
    private let synthQueue = DispatchQueue(label: "cgan-tui.synth", qos: .userInitiated)
    private let outputQueue = DispatchQueue(label: "cgan-tui.outputs", qos: .utility)
    private let done = DispatchSemaphore(value: 0)
    // One synthesizer per queue that uses it (each owns its FFT plans and buffers).
    private let outputSynth: Synthesizer
    private let auditionSynth: Synthesizer

    private struct Control {
        var paused = false
        var stop = false
        var abandon = false
        var saveNow = false
        var outputFailure: String?
        var started = false
    }
    private let control = Mutex(Control())
    private let wake = DispatchSemaphore(value: 0)

    /// The generator as of the last refresh plus the fixed latent (one row per class):
    /// what previews and auditions use, readable from any thread.
    private struct Shared {
        var snapshot: GeneratorSnapshot
        var latent: [Float]
        var latentDraws: Int
        var epoch: Int
        var step: Int
    }
    private let shared: Mutex<Shared>
    /// Workers of the snapshot that previews and auditions sample from on `synthQueue` while
    /// training runs on every core: one, so a key press takes one worker's share of the cores
    /// instead of adding as many threads as there are cores (same samples either way).
    static let synthesisThreads = 1
    /// Minimum time between two latest-checkpoint writes at epoch ends (they can be 100 MB).
    public var checkpointSeconds: Double = 30
    /// Generated spectrograms per class scored at each epoch end (0: no quality scoring).
    public var qualitySamplesPerClass = QualityProbe.defaultPerClass

    /// Starts a new run (`resume == nil`) or continues the checkpoint's run. Throws a
    /// `UserError` when the checkpoint does not fit the dataset or the options.
    public init(dataset: SpectrogramDataset, options: TrainingOptions, layout: RunLayout,
                datasetPath: String, commandLine: [String],
                resume: (model: ConditionalGAN, metadata: CheckpointMetadata)? = nil, window: ClipWindow? = nil,
                settings: ComputeSettings? = nil) throws {
        guard !dataset.classes.isEmpty, !dataset.spectrograms.isEmpty else {
            throw UserError("the dataset has no usable clips")
        }
        let cfg = dataset.config
        guard cfg.nMels == options.spectrogram.nMels, cfg.frames == options.spectrogram.frames else {
            throw UserError("dataset spectrograms are \(cfg.nMels) x \(cfg.frames), options ask for \(options.spectrogram.nMels) x \(options.spectrogram.frames)")
        }
        var options = options
        self.dataset = dataset
        self.layout = layout.forEpochs(options.epochs)
        self.classes = dataset.classes
        self.stepsPerEpoch = (dataset.spectrograms.count + options.batchSize - 1) / options.batchSize

        if let resume {
            let meta = resume.metadata
            guard meta.classNames == dataset.classes else {
                throw UserError("the class list changed since the checkpoint: it has [\(meta.classNames.joined(separator: ", "))], the dataset now has [\(dataset.classes.joined(separator: ", "))]; restore the class folders or start a new run")
            }
            let mc = resume.model.config
            guard mc.nMels == cfg.nMels, mc.frames == cfg.frames, mc.latentDim == options.latentDim,
                  meta.sampleRate == cfg.sampleRate else {
                throw UserError("the checkpoint was trained with --n-mels \(mc.nMels) --frames \(mc.frames) --latent-dim \(mc.latentDim) --sample-rate \(meta.sampleRate); this run asks for --n-mels \(cfg.nMels) --frames \(cfg.frames) --latent-dim \(options.latentDim) --sample-rate \(cfg.sampleRate)")
            }
            options.learningRate = mc.learningRate; options.beta1 = mc.beta1; options.beta2 = mc.beta2
            options.seed = meta.seed
            options.recipe = resume.model.recipe
            model = resume.model
            completedEpochs = meta.epoch
            // Mid-epoch stop: continue the same shuffled epoch after the batches already done.
            let inEpoch = model.step - meta.epoch * stepsPerEpoch
            resumeStepInEpoch = (0 ..< stepsPerEpoch).contains(inEpoch) ? inEpoch : 0
        } else {
            // The caller's settings, or `options.threads` workers (0: one per core).
            let settings = settings ?? ComputeSettings(threads: options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount)
            model = ConditionalGAN(config: options.modelConfig(classes: dataset.classes.count), recipe: options.recipe,
                                   seed: options.seed, settings: settings)
            completedEpochs = 0
            resumeStepInEpoch = 0
        }
        self.options = options
        trainingSpectrograms = dataset.spectrograms.map(model.recipe.toModel)
        // Measured at every start (the clips are already cropped to the window), whatever the recipe;
        // finite values only (a NaN would not encode in config.json, and must fail as a loss).
        model.valueCeiling = dataset.spectrograms.lazy.flatMap { $0 }.filter(\.isFinite).max()
        outputSynth = Synthesizer(config: cfg, isa: model.settings.isa.level)
        auditionSynth = Synthesizer(config: cfg, isa: model.settings.isa.level)
        try layout.create()
        var runConfig = RunConfig(dataset: datasetPath, classes: dataset.classes, options: options, commandLine: commandLine)
        runConfig.window = window
        runConfig.valueCeiling = model.valueCeiling
        self.runConfig = runConfig
        try runConfig.write(to: layout.config)
        metrics = try MetricsLog(url: layout.metrics, classes: dataset.classes, keepStepsUpTo: resume == nil ? 0 : model.step)
        shared = Mutex(Shared(snapshot: model.snapshotGenerator(threads: Self.synthesisThreads),
                              latent: Audition.latent(seed: options.seed, draw: 0, classes: dataset.classes.count,
                                                      latentDim: options.latentDim),
                              latentDraws: 0, epoch: completedEpochs, step: model.step))
        if resume != nil { lastSave = (layout.latestCheckpoint, completedEpochs) }
        best = resume?.metadata.best
        stepAtStart = model.step
    }

    /// The epoch the run will begin with (1-based) and the global step it starts from.
    public var startEpoch: Int { completedEpochs + 1 }
    public var startStep: Int { shared.withLock { $0.step } }

    /// Begins training on the trainer's queue. Events start flowing at once.
    public func start() {
        let first = control.withLock { c -> Bool in
            defer { c.started = true }
            return !c.started
        }
        guard first else { return }
        trainQueue.async { [self] in
            run()
            outputQueue.sync {}
            synthQueue.sync {}
            events.send(.finished)
            done.signal()
        }
    }

    /// Blocks until the trainer has sent `.finished`.
    public func wait() {
        done.wait()
        done.signal()
    }

    /// Commands take effect between steps, except `synthesize` and `newLatent`, which work on
    /// the latest generator snapshot at once.
    public func send(_ command: TrainerCommand) {
        switch command {
        case .pause: control.withLock { $0.paused = true }
        case .resume: control.withLock { $0.paused = false }
        case .stop: control.withLock { $0.stop = true }
        case .abandon: control.withLock { $0.abandon = true }
        case .saveNow: control.withLock { $0.saveNow = true }
        case .newLatent:
            let classes = self.classes.count, latentDim = options.latentDim, seed = options.seed
            shared.withLock {
                $0.latentDraws += 1
                $0.latent = Audition.latent(seed: seed, draw: $0.latentDraws, classes: classes, latentDim: latentDim)
            }
            events.send(.message("new latent drawn for samples and auditions"))
            let s = shared.withLock { $0 }
            synthQueue.async { [self] in preview(s) }
        case .synthesize(let k):
            guard classes.indices.contains(k) else {
                events.send(.message("no class \(k) to synthesize"))
                return
            }
            let requestedAt = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let s = shared.withLock { $0 }
            synthQueue.async { [self] in audition(k, s, requestedAt: requestedAt) }
        }
        wake.signal()
    }

    // MARK: - The training loop (trainQueue)

    private func run() {
        events.send(.stateChanged(.running))
        events.send(.message("training \(counted(classes.count, "class")), \(counted(dataset.spectrograms.count, "clip")), \(counted(stepsPerEpoch, "step")) per epoch, epochs \(startEpoch)...\(options.epochs)"))
        var lastPreview = DispatchTime.now()
        var lastSnapshot = DispatchTime.now()
        let latentDim = options.latentDim, frameSize = options.spectrogram.nMels * options.spectrogram.frames
        let n = dataset.spectrograms.count
        // A stop sent before `start()` (a signal while the run folder was being made) ends
        // the run here, before the first step.
        if let end = checkControl(epoch: completedEpochs + 1, stepsIntoEpoch: resumeStepInEpoch) { return finish(end) }
        let yardstick = fitEvaluator()

        var epoch = completedEpochs + 1
        while epoch <= options.epochs {
            var shuffle = RunRandom.stream(seed: options.seed, .shuffle, epoch)
            var order = Array(0 ..< n)
            order.shuffle(using: &shuffle)
            var sumD: Double = 0, sumG: Double = 0, stepsThisEpoch = 0
            var lastReport: StepReport?
            let epochStart = DispatchTime.now()
            let firstStep = epoch == completedEpochs + 1 ? resumeStepInEpoch : 0

            for stepInEpoch in firstStep ..< stepsPerEpoch {
                if let end = checkControl(epoch: epoch, stepsIntoEpoch: stepInEpoch) { return finish(end) }

                let indices = order[stepInEpoch * options.batchSize ..< min(n, (stepInEpoch + 1) * options.batchSize)]
                var real = [Float](); real.reserveCapacity(indices.count * frameSize)
                var labels = [Int](); labels.reserveCapacity(indices.count)
                for i in indices {
                    real.append(contentsOf: trainingSpectrograms[i])
                    labels.append(dataset.labels[i])
                }
                var zRNG = RunRandom.stream(seed: options.seed, .latent, epoch, stepInEpoch)
                let z = zRNG.normals(indices.count * latentDim)

                let t0 = DispatchTime.now()
                let (lossD, lossG) = model.trainStep(real: real, labels: labels, z: z,
                                                     noise: RunRandom.stream(seed: options.seed, .noise, epoch, stepInEpoch))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
                let step = model.step

                guard lossD.isFinite, lossG.isFinite else {
                    let kept = lastSave.map { "the last good checkpoint is \($0.url.path) (epoch \($0.epoch))" }
                        ?? "no checkpoint had been saved yet"
                    events.send(.error("losses became non-finite at epoch \(epoch), step \(step) (loss_d \(lossD), loss_g \(lossG)); training stopped and \(kept)"))
                    return finish(.failed)
                }
                let report = StepReport(epoch: epoch, step: step, stepInEpoch: stepInEpoch + 1,
                                        stepsPerEpoch: stepsPerEpoch, lossD: lossD, lossG: lossG,
                                        seconds: seconds, samplesPerSecond: Double(indices.count) / max(seconds, 1e-9))
                // The epoch's last row waits for the epoch's quality scores.
                if stepInEpoch + 1 < stepsPerEpoch { guard appendMetrics(report) else { return finish(.failed) } }
                lastReport = report
                events.send(.stepFinished(report))
                sumD += Double(lossD); sumG += Double(lossG); stepsThisEpoch += 1

                let now = DispatchTime.now()
                if now.uptimeNanoseconds - lastSnapshot.uptimeNanoseconds > 1_000_000_000 {
                    refreshSnapshot(epoch: epoch)
                    lastSnapshot = now
                }
                if options.previewSeconds > 0,
                   Double(now.uptimeNanoseconds - lastPreview.uptimeNanoseconds) / 1e9 >= options.previewSeconds,
                   stepInEpoch + 1 < stepsPerEpoch {
                    lastPreview = now
                    let s = shared.withLock { $0 }
                    synthQueue.async { [self] in preview(s) }
                }
            }

            completedEpochs = epoch
            resumeStepInEpoch = 0
            refreshSnapshot(epoch: epoch)
            lastSnapshot = DispatchTime.now(); lastPreview = lastSnapshot
            let epochSeconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart.uptimeNanoseconds) / 1e9
            let quality = yardstick.map { scoreQuality(epoch: epoch, $0.evaluator, $0.probe) }
            if let lastReport { guard appendMetrics(lastReport, quality: quality) else { return finish(.failed) } }
            let count = max(stepsThisEpoch, 1)
            events.send(.epochFinished(epoch: epoch, meanLossD: Float(sumD / Double(count)),
                                       meanLossG: Float(sumG / Double(count)), seconds: epochSeconds))
            writeEpochOutputs(epoch: epoch)

            // The best epoch first, so that the latest checkpoint's metadata names it.
            if let quality, best?.isBeaten(by: quality) ?? true {
                best = BestEpoch(epoch: epoch, quality)
                guard save(epoch: epoch, to: layout.bestCheckpoint) else { return finish(.failed) }
            }

            let periodic = options.checkpointEvery > 0 && epoch % options.checkpointEvery == 0
            let sinceSave = Double(DispatchTime.now().uptimeNanoseconds - lastSaveTime.uptimeNanoseconds) / 1e9
            if epoch == options.epochs || periodic || sinceSave >= checkpointSeconds || lastSave == nil {
                guard save(epoch: epoch) else { return finish(.failed) }
            }
            if periodic {
                // Weights only (a third of the size): these pile up, one every N epochs, and what
                // `generate` and `eval` read is all they need; resuming takes latest, best or an `s` snapshot.
                guard save(epoch: epoch, to: layout.periodicCheckpoint(epoch: epoch), optimizer: false) else { return finish(.failed) }
            }
            epoch += 1
        }
        if lastSave?.epoch != completedEpochs || lastSave?.url != layout.latestCheckpoint {
            guard save(epoch: completedEpochs) else { return finish(.failed) }
        }
        finish(.stopped)
    }

    private enum End { case stopped, abandoned, failed }

    private func appendMetrics(_ report: StepReport, quality: QualityReport? = nil) -> Bool {
        do { try metrics.append(report, quality: quality) } catch {
            events.send(.error(RunLayout.reason(error)))
            return false
        }
        return true
    }

    // MARK: - Quality (trainQueue)

    /// Fits the evaluator on the dataset's spectrograms and says how long it took and what the
    /// ceiling is. Returns it with the probe set to score at each epoch end; nil when scoring is off.
    private func fitEvaluator() -> (evaluator: QualityEvaluator, probe: QualityProbe)? {
        guard qualitySamplesPerClass > 0 else { return nil }
        let cfg = options.spectrogram
        let start = DispatchTime.now()
        let e = QualityEvaluator(spectrograms: dataset.spectrograms, labels: dataset.labels, classNames: classes,
                                 nMels: cfg.nMels, frames: cfg.frames, seed: options.seed)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        let ceiling = e.ceiling.map { String(format: "ceiling %.2f on ", $0) + counted(e.heldOut.reduce(0, +), "held-out real clip") }
            ?? "no ceiling (no class has 2 clips to hold one out)"
        let unmeasured = classes.indices.filter { e.classCeiling[$0] == nil }.map { classes[$0] }
        let note = e.ceiling != nil && !unmeasured.isEmpty ? "; not measurable for \(unmeasured.joined(separator: ", ")) (1 clip)" : ""
        events.send(.message("quality: classifier fitted on \(counted(e.realClips, "real clip")) in " + String(format: "%.0f ms; ", ms) + ceiling + note))
        return (e, QualityProbe(seed: options.seed, classes: classes.count, perClass: qualitySamplesPerClass, latentDim: options.latentDim))
    }

    /// Generates the probe set with the epoch's generator snapshot (evaluation mode), scores it
    /// and sends `.qualityScored`.
    private func scoreQuality(epoch: Int, _ evaluator: QualityEvaluator, _ probe: QualityProbe) -> QualityReport {
        // Training waits meanwhile: the model's own workers, not the synthesis snapshot's one.
        let snapshot = model.snapshotGenerator()
        let cfg = options.spectrogram
        let generated = probe.generate(size: cfg.nMels * cfg.frames) { snapshot.generate(labels: $0, z: $1) }
        let report = evaluator.score(generated, labels: probe.labels)
        events.send(.qualityScored(epoch: epoch, report))
        return report
    }

    /// Handles pause / save / stop between steps (`stepsIntoEpoch` of `epoch` are done). Returns
    /// how to end, or nil to go on.
    private func checkControl(epoch: Int, stepsIntoEpoch: Int) -> End? {
        var announcedPause = false
        while true {
            let c = control.withLock { c -> Control in
                let copy = c
                c.saveNow = false
                return copy
            }
            if c.abandon { return .abandoned }
            if let failure = c.outputFailure {
                events.send(.error(failure))
                return .failed
            }
            if c.saveNow {
                // A snapshot of this very state that the user keeps: its own name, never overwritten
                // by the run, with the optimizer state so that it can be resumed.
                refreshSnapshot(epoch: epoch)
                let url = layout.snapshotCheckpoint(epoch: completedEpochs, stepsIntoNext: stepsIntoEpoch, step: model.step)
                if !save(epoch: completedEpochs, to: url) { return .failed }
            }
            if c.stop {
                // Nothing trained since the start: a resumed run's checkpoint already holds
                // this state, and a new run has nothing worth saving (it restarts from epoch 1).
                if model.step == stepAtStart { return .stopped }
                events.send(.stateChanged(.saving))
                return save(epoch: completedEpochs) ? .stopped : .failed
            }
            if !c.paused {
                if announcedPause { events.send(.stateChanged(.running)) }
                return nil
            }
            if !announcedPause {
                events.send(.stateChanged(.paused))
                announcedPause = true
            }
            _ = wake.wait(timeout: .now() + 0.5)
        }
    }

    private func finish(_ end: End) {
        var end = end
        if end == .stopped {
            // The last epoch's PNG and WAVs are still being written: a failure there is the
            // run's failure too, not something to drop because no step comes after it.
            outputQueue.sync {}
            if let failure = control.withLock({ $0.outputFailure }) {
                events.send(.error(failure))
                end = .failed
            }
        }
        switch end {
        case .stopped: events.send(.stateChanged(.stopped))
        case .abandoned: events.send(.stateChanged(.stopped))
        case .failed: events.send(.stateChanged(.failed))
        }
    }

    private func refreshSnapshot(epoch: Int) {
        let snap = model.snapshotGenerator(threads: Self.synthesisThreads)
        let step = model.step
        shared.withLock { $0.snapshot = snap; $0.epoch = epoch; $0.step = step }
    }

    /// Saves the model atomically (the engine writes a temporary file and renames it); without the
    /// Adam moments when `optimizer` is false.
    private func save(epoch: Int, to url: URL? = nil, optimizer: Bool = true) -> Bool {
        let url = url ?? layout.latestCheckpoint
        let cfg = options.spectrogram
        let meta = CheckpointMetadata(classNames: classes, sampleRate: cfg.sampleRate, nFFT: cfg.nFFT, hop: cfg.hop,
                                      nMels: cfg.nMels, frames: cfg.frames, latentDim: options.latentDim,
                                      epoch: epoch, step: model.step, seed: options.seed, best: best,
                                      valueCeiling: model.valueCeiling)
        do {
            try model.save(to: url, metadata: meta, includeOptimizerState: optimizer)
        } catch {
            events.send(.error("cannot save checkpoint \(url.path): \(RunLayout.reason(error))"))
            return false
        }
        if url == layout.latestCheckpoint {
            lastSave = (url, epoch)
            lastSaveTime = DispatchTime.now()
        }
        events.send(url == layout.bestCheckpoint ? .bestCheckpointSaved(epoch: epoch, url) : .checkpointSaved(url))
        return true
    }

    /// The seed's per-epoch outputs: one PNG grid (a titled panel per class) and one WAV per
    /// class, from the fixed latent. Generated here (cheap), written on `outputQueue`.
    private func writeEpochOutputs(epoch: Int) {
        let s = shared.withLock { $0 }
        let spectrograms = generateAll(s)
        events.send(.samplesReady(epoch: epoch, step: s.step, spectrograms))
        let cfg = options.spectrogram, iterations = options.griffinLimIterations
        outputQueue.async { [self] in
            let synth = outputSynth
            do {
                let png = layout.plot(epoch: epoch)
                try SpectrogramPNG.writeGrid(
                    panels: spectrograms.map { ("\(classes[$0.classIndex]) - epoch \(epoch)", $0.logMel) },
                    nMels: cfg.nMels, frames: cfg.frames, to: png)
                var wavs: [URL] = []
                for g in spectrograms {
                    let url = layout.wav(className: classes[g.classIndex], epoch: epoch)
                    let samples = synth.waveform(logMel: g.logMel, iterations: iterations,
                                                 seed: options.seed &+ UInt64(epoch))
                    try AudioIO.writeWAV(samples, sampleRate: cfg.sampleRate, to: url)
                    wavs.append(url)
                }
                events.send(.epochOutputsWritten(epoch: epoch, png: png, wavs: wavs))
            } catch {
                control.withLock { $0.outputFailure = "cannot write epoch \(epoch) outputs: \(RunLayout.reason(error))" }
                wake.signal()
            }
        }
    }

    private func generateAll(_ s: Shared) -> [GeneratedSpectrogram] {
        Audition.spectrograms(s.snapshot, latent: s.latent, classes: classes.count, config: options.spectrogram)
    }

    // MARK: - synthQueue

    private func preview(_ s: Shared) {
        events.send(.samplesReady(epoch: s.epoch, step: s.step, generateAll(s)))
    }

    private func audition(_ k: Int, _ s: Shared, requestedAt: Double) {
        events.send(.clipSynthesized(Audition.clip(k, s.snapshot, latent: s.latent, latentDim: options.latentDim,
                                                   config: options.spectrogram, synthesizer: auditionSynth,
                                                   iterations: options.griffinLimIterations, seed: options.seed,
                                                   requestedAt: requestedAt)))
    }
}
