import Audio
import Engine
import Foundation
import GAN
import Support
import Testing

/// The trainer in-process with the real model and audio code: the events it publishes, the
/// commands it takes while running, reproducibility, exact resume, and NaN handling.
@Suite(.serialized) struct TrainerTests {
    /// A scratch folder with a 2-class dataset (a tone and a noise burst, 6 clips each) read
    /// through the real loader at 16 mels x 32 frames.
    final class Scratch {
        let dir: URL
        let data: SpectrogramDataset
        var options = TrainingOptions()

        init(clips: Int = 6) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-trainer-\(UUID().uuidString)")
            let cfg = SpectrogramConfig(nMels: 16, frames: 32)
            var rng = SplitMix64(seed: 1)
            for (c, cls) in ["tone", "noise"].enumerated() {
                let folder = dir.appendingPathComponent("data/\(cls)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for k in 0 ..< clips {
                    let samples: [Float] = (0 ..< 8000).map { i in
                        c == 0 ? 0.5 * sin(Float(i) * 0.06 * Float(k + 1)) : 0.4 * (rng.nextUniform() - 0.5) * exp(-Float(i) / 2000)
                    }
                    try AudioIO.writeWAV(samples, sampleRate: 22050, to: folder.appendingPathComponent("\(k).wav"))
                }
            }
            data = try DatasetLoader.load(dir.appendingPathComponent("data"), config: cfg, cacheDirectory: nil, threads: 1)
            options.spectrogram = cfg
            options.batchSize = 4
            options.latentDim = 8
            options.epochs = 2
            options.threads = 1
            options.griffinLimIterations = 2
            options.seed = 42
        }

        deinit { try? FileManager.default.removeItem(at: dir) }

        func trainer(_ name: String, data: SpectrogramDataset? = nil,
                     resume: (model: ConditionalGAN, metadata: CheckpointMetadata)? = nil) throws -> Trainer {
            try Trainer(dataset: data ?? self.data, options: options, layout: RunLayout(root: dir.appendingPathComponent(name)),
                        datasetPath: dir.path, commandLine: ["test"], resume: resume)
        }
    }

    /// Collects every event until `.finished` (or a time-out, which fails the test).
    static func collect(_ trainer: Trainer, timeout: Double = 120, onEvent: (TrainingEvent) -> Void = { _ in }) -> [TrainingEvent] {
        var all: [TrainingEvent] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let e = trainer.events.receive(timeout: 0.1) else { continue }
            all.append(e)
            onEvent(e)
            if case .finished = e { return all }
        }
        Issue.record("trainer did not finish within \(timeout) s")
        return all
    }

    static func losses(_ events: [TrainingEvent]) -> [Float] {
        events.flatMap { e -> [Float] in
            if case .stepFinished(let r) = e { return [r.lossD, r.lossG] }
            return []
        }
    }

    @Test func publishesStepsEpochsSamplesOutputsAndCheckpoints() throws {
        let s = try Scratch()
        let trainer = try s.trainer("run")
        #expect(trainer.stepsPerEpoch == 3)                          // 12 clips at batch 4
        trainer.start()
        let events = Self.collect(trainer)
        let steps = events.compactMap { e -> StepReport? in if case .stepFinished(let r) = e { return r }; return nil }
        #expect(steps.map(\.step) == [1, 2, 3, 4, 5, 6])
        #expect(steps.map(\.epoch) == [1, 1, 1, 2, 2, 2])
        #expect(steps.map(\.stepInEpoch) == [1, 2, 3, 1, 2, 3])
        #expect(steps.allSatisfy { $0.lossD.isFinite && $0.lossG.isFinite && $0.lossD > 0 && $0.samplesPerSecond > 0 })

        let epochs = events.compactMap { e -> Int? in if case .epochFinished(let n, _, _, _) = e { return n }; return nil }
        #expect(epochs == [1, 2])
        let samples = events.compactMap { e -> [GeneratedSpectrogram]? in
            if case .samplesReady(_, _, let g) = e { return g }; return nil
        }
        #expect(samples.count >= 2)
        #expect(samples.allSatisfy { $0.map(\.classIndex) == [0, 1] && $0.allSatisfy { $0.logMel.count == 16 * 32 } })

        let outputs = events.compactMap { e -> (Int, URL, [URL])? in
            if case .epochOutputsWritten(let n, let png, let wavs) = e { return (n, png, wavs) }; return nil
        }
        #expect(outputs.map(\.0) == [1, 2])
        for (_, png, wavs) in outputs {
            #expect(FileManager.default.fileExists(atPath: png.path))
            let n = outputs.firstIndex { $0.1 == png }! + 1
            #expect(png.lastPathComponent == "epoch_00\(n).png")
            #expect(wavs.map(\.lastPathComponent).sorted() == ["noise_ep00\(n).wav", "tone_ep00\(n).wav"])
        }
        let saved = events.compactMap { e -> URL? in if case .checkpointSaved(let u) = e { return u }; return nil }
        #expect(saved.last == trainer.layout.latestCheckpoint)
        guard case .finished = events.last! else { Issue.record("last event is not .finished"); return }

        let (model, meta) = try ConditionalGAN.load(from: trainer.layout.latestCheckpoint)
        #expect(model.step == 6 && meta.step == 6 && meta.epoch == 2 && meta.classNames == ["noise", "tone"] && meta.seed == 42)
        let csv = try String(contentsOf: trainer.layout.metrics, encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 7)
    }

    /// The run measures the training clips' largest log1p when it starts, records it in
    /// config.json and the checkpoints, and no preview goes above it.
    @Test func recordsTheTrainingMaximumAsTheValueCeiling() throws {
        let s = try Scratch()
        s.options.epochs = 1
        let trainer = try s.trainer("run")
        let peak = s.data.spectrograms.flatMap { $0 }.max()!
        #expect(peak > 0)
        trainer.start()
        let events = Self.collect(trainer)
        #expect(try RunConfig.read(trainer.layout.config).valueCeiling == peak)
        let (model, meta) = try ConditionalGAN.load(from: trainer.layout.latestCheckpoint)
        #expect(meta.valueCeiling == peak && model.valueCeiling == peak)
        let previews = events.flatMap { e -> [Float] in
            if case .samplesReady(_, _, let g) = e { return g.flatMap(\.logMel) }; return []
        }
        #expect(!previews.isEmpty && previews.allSatisfy { $0 <= peak })
    }

    @Test func sameSeedSameLossesOtherSeedOtherLosses() throws {
        let s = try Scratch()
        let a = try s.trainer("a"); a.start()
        let b = try s.trainer("b"); b.start()
        let la = Self.losses(Self.collect(a)), lb = Self.losses(Self.collect(b))
        s.options.seed = 43
        let c = try s.trainer("c"); c.start()
        let lc = Self.losses(Self.collect(c))
        #expect(la.count == 12 && la == lb)
        #expect(la != lc)
    }

    /// Pause holds the steps; an audition still arrives while paused (it uses a snapshot of
    /// the generator, not the training queue); resume goes on; stop saves the current step.
    @Test func pauseSynthesizeResumeStop() throws {
        let s = try Scratch()
        s.options.epochs = 100_000
        let trainer = try s.trainer("run")
        trainer.start()
        var lastStep = 0, pausedAt = -1, stepsWhilePaused = 0, clip: SynthesizedClip?
        var stage = 0
        var saved: [URL] = []
        _ = Self.collect(trainer) { e in
            switch e {
            case .stepFinished(let r):
                lastStep = r.step
                if stage == 2 { stepsWhilePaused += 1 }
                if stage == 0 && r.step >= 4 { stage = 1; trainer.send(.pause) }
            case .stateChanged(.paused):
                stage = 2; pausedAt = lastStep
                trainer.send(.saveNow)
                trainer.send(.synthesize(classIndex: 1))
            case .clipSynthesized(let c):
                clip = c
                Thread.sleep(forTimeInterval: 0.3)
                stage = 3
                trainer.send(.resume)
            case .checkpointSaved(let url):
                saved.append(url)
            default: break
            }
            if stage == 3 && lastStep >= pausedAt + 2 { stage = 4; trainer.send(.stop) }
        }
        #expect(pausedAt >= 4)
        #expect(stepsWhilePaused == 0, "no step runs while paused")
        #expect(clip?.classIndex == 1 && (clip?.samples.count ?? 0) > 0 && clip?.spectrogram.logMel.count == 16 * 32)
        #expect(lastStep >= pausedAt + 2)
        #expect(saved.count >= 2 && saved.last == trainer.layout.latestCheckpoint, "save now while paused, then stop")
        let (model, meta) = try ConditionalGAN.load(from: trainer.layout.latestCheckpoint)
        #expect(model.step == lastStep && meta.step == lastStep)
    }

    /// `s` mid-epoch keeps a snapshot named by the epochs done and the global step, with the
    /// optimizer state, which the rest of the run (periodic and latest saves) leaves alone.
    @Test func saveNowKeepsANamedSnapshot() throws {
        let s = try Scratch()
        s.options.epochs = 4
        s.options.checkpointEvery = 1
        let trainer = try s.trainer("run")
        trainer.start()
        var lastStep = 0, pausedAt = -1, asked = false, resumed = false
        var saved: [URL] = []
        _ = Self.collect(trainer) { e in
            switch e {
            case .stepFinished(let r):
                lastStep = r.step
                // 3 steps per epoch: step 4 is the first of epoch 2, so the pause most likely lands mid-epoch.
                if r.step == 4 { trainer.send(.pause) }
            case .stateChanged(.paused) where !asked:
                asked = true; pausedAt = lastStep
                trainer.send(.saveNow)
            case .checkpointSaved(let url):
                saved.append(url)
                // Paused, nothing else saves: the first save after asking is the snapshot.
                if asked && !resumed { resumed = true; trainer.send(.resume) }
            default: break
            }
        }
        #expect(pausedAt >= 4)
        let done = pausedAt / 3, into = pausedAt % 3
        let name = into == 0 ? "epoch_00\(done).safetensors" : "epoch_00\(done)_step_00000\(pausedAt).safetensors"
        #expect(saved.map(\.lastPathComponent).contains(name), "saved: \(saved.map(\.lastPathComponent))")
        let url = trainer.layout.checkpoints.appendingPathComponent(name)
        let (model, meta) = try ConditionalGAN.load(from: url)
        #expect(meta.epoch == done && meta.step == pausedAt && model.step == pausedAt)
        #expect(try Safetensors.File(contentsOf: url).tensors.keys.contains("optimizer.generator.step"))
        let files = try FileManager.default.contentsOfDirectory(atPath: trainer.layout.checkpoints.path).sorted()
        let expected = Set(["best.safetensors", "epoch_001.safetensors", "epoch_002.safetensors", "epoch_003.safetensors",
                            "epoch_004.safetensors", "latest.safetensors", name]).sorted()
        #expect(files == expected)
    }

    /// Periodic checkpoints keep what `generate` and `eval` read (weights, BN statistics), not
    /// the Adam moments; latest and best keep them, so that a run resumes from either.
    @Test func periodicCheckpointsHoldWeightsOnly() throws {
        let s = try Scratch()
        s.options.checkpointEvery = 1
        let t = try s.trainer("run"); t.start(); _ = Self.collect(t)
        let ckpt = t.layout.checkpoints
        for name in ["epoch_001.safetensors", "epoch_002.safetensors"] {
            let names = try Safetensors.File(contentsOf: ckpt.appendingPathComponent(name)).tensors.keys
            #expect(!names.contains { $0.hasPrefix("optimizer.") }, "\(name) holds optimizer state")
            #expect(names.contains("generator.fc.weight") && names.contains("discriminator.label_embedding.weight"))
            #expect(names.contains { $0.hasSuffix(".running_var") })
        }
        for name in ["latest.safetensors", "best.safetensors"] {
            let names = try Safetensors.File(contentsOf: ckpt.appendingPathComponent(name)).tensors.keys
            #expect(names.contains("optimizer.generator.step") && names.contains("optimizer.discriminator.step"), "\(name)")
        }
        // The weights are the epoch's: the periodic epoch 2 equals latest (epoch 2) but for the optimizer.
        let (periodic, pm) = try ConditionalGAN.load(from: ckpt.appendingPathComponent("epoch_002.safetensors"))
        let (latest, lm) = try ConditionalGAN.load(from: t.layout.latestCheckpoint)
        #expect(pm.step == lm.step && pm.epoch == 2)
        #expect(periodic.generate(labels: [0, 1], z: [Float](repeating: 0.5, count: 16))
                == latest.generate(labels: [0, 1], z: [Float](repeating: 0.5, count: 16)))
    }

    /// Epoch numbers in file names are zero-padded to 3 digits, or to the requested epoch count's.
    @Test func epochNumbersInFileNamesArePadded() {
        let layout = RunLayout(root: URL(fileURLWithPath: "/r"))
        #expect(layout.wav(className: "kick", epoch: 7).path == "/r/gan_generated_audio/kick_ep007.wav")
        #expect(layout.plot(epoch: 7).path == "/r/gan_spectrogram_plots/epoch_007.png")
        #expect(layout.periodicCheckpoint(epoch: 7).path == "/r/checkpoints/epoch_007.safetensors")
        #expect(layout.forEpochs(999).wav(className: "kick", epoch: 999).lastPathComponent == "kick_ep999.wav")
        let long = layout.forEpochs(1500)
        #expect(long.wav(className: "kick", epoch: 7).lastPathComponent == "kick_ep0007.wav")
        #expect(long.plot(epoch: 1500).lastPathComponent == "epoch_1500.png")
        #expect(long.periodicCheckpoint(epoch: 20).lastPathComponent == "epoch_0020.safetensors")
        #expect(layout.snapshotCheckpoint(epoch: 57, stepsIntoNext: 0, step: 570).lastPathComponent == "epoch_057.safetensors")
        #expect(layout.snapshotCheckpoint(epoch: 57, stepsIntoNext: 6, step: 576).lastPathComponent
                == "epoch_057_step_000576.safetensors")
    }

    /// `.newLatent` redraws the fixed latent: two draws made while paused (so both previews
    /// come from the same generator snapshot) give different samples.
    @Test func newLatentChangesTheSamples() throws {
        let s = try Scratch()
        s.options.epochs = 100_000
        let trainer = try s.trainer("run")
        trainer.start()
        var first: [GeneratedSpectrogram]?, second: [GeneratedSpectrogram]?
        var paused = false, draws = 0
        _ = Self.collect(trainer) { e in
            switch e {
            case .stepFinished(let r) where r.step >= 4 && !paused:
                paused = true
                trainer.send(.pause)
            case .stateChanged(.paused):
                draws = 1
                trainer.send(.newLatent)
            case .samplesReady(_, _, let g) where draws == 1 && first == nil:
                first = g
                draws = 2
                trainer.send(.newLatent)
            case .samplesReady(_, _, let g) where draws == 2 && second == nil:
                second = g
                trainer.send(.abandon)
            default: break
            }
        }
        #expect(first != nil && second != nil)
        #expect(first?.map(\.logMel) != second?.map(\.logMel))
    }

    /// 2 epochs straight vs 1 epoch, save, load, resume to 2: bit-identical losses (same
    /// seed-derived shuffles and latents, restored Adam moments and step count).
    @Test func resumeFromCheckpointIsExact() throws {
        let s = try Scratch()
        let straight = try s.trainer("straight"); straight.start()
        let want = Self.losses(Self.collect(straight))
        s.options.epochs = 1
        let first = try s.trainer("split"); first.start()
        let part1 = Self.losses(Self.collect(first))
        s.options.epochs = 2
        let loaded = try ConditionalGAN.load(from: first.layout.latestCheckpoint)
        let second = try s.trainer("split", resume: loaded)
        #expect(second.startEpoch == 2 && second.startStep == 3)
        second.start()
        let part2 = Self.losses(Self.collect(second))
        #expect(part1 + part2 == want)
        let rows = try String(contentsOf: second.layout.metrics, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 7, "one metrics file across the resume")
    }

    @Test func changedClassListIsRefused() throws {
        let s = try Scratch()
        s.options.epochs = 1
        let t = try s.trainer("run"); t.start(); _ = Self.collect(t)
        var other = s.data
        other.classes = ["noise", "voice"]
        #expect(throws: UserError.self) {
            _ = try s.trainer("run", data: other, resume: try ConditionalGAN.load(from: t.layout.latestCheckpoint))
        }
    }

    /// A non-finite loss stops training with an error naming the last good checkpoint, which
    /// is left exactly as it was.
    @Test func nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let s = try Scratch()
        s.options.epochs = 1
        let t = try s.trainer("run"); t.start(); _ = Self.collect(t)
        let good = try Data(contentsOf: t.layout.latestCheckpoint)

        var poisoned = s.data
        poisoned.spectrograms = ClipSpectrograms(padded: poisoned.spectrograms.map { $0.map { _ in Float.nan } },
                                                 nMels: poisoned.config.nMels, frames: poisoned.config.frames)
        s.options.epochs = 3
        let t2 = try s.trainer("run", data: poisoned, resume: try ConditionalGAN.load(from: t.layout.latestCheckpoint))
        t2.start()
        let events = Self.collect(t2)
        let errors = events.compactMap { e -> String? in if case .error(let m) = e { return m }; return nil }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("non-finite") == true && errors.first?.contains("latest.safetensors") == true,
                "\(errors)")
        #expect(events.contains { if case .stateChanged(.failed) = $0 { return true }; return false })
        #expect(try Data(contentsOf: t.layout.latestCheckpoint) == good)
    }
}

/// An audition does not wait for the training step in progress: at the seed's full shape
/// (128 x 512, batch 16) a step takes far longer than generating and inverting one clip from
/// the generator snapshot on the synthesis queue.
@Suite(.serialized) struct TrainerAuditionLatencyTests {
    @Test func auditionArrivesBeforeTheStepInProgressEnds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-audition-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = SpectrogramConfig()                                 // 128 x 512
        for cls in ["a", "b"] {
            let folder = dir.appendingPathComponent("data/\(cls)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for k in 0 ..< 8 {
                let samples = (0 ..< 4000).map { Float(0.3 * sin(Double($0) * 0.01 * Double(k + (cls == "a" ? 1 : 9)))) }
                try AudioIO.writeWAV(samples, sampleRate: 22050, to: folder.appendingPathComponent("\(k).wav"))
            }
        }
        let data = try DatasetLoader.load(dir.appendingPathComponent("data"), config: cfg, cacheDirectory: nil, threads: 1)
        var options = TrainingOptions()
        options.epochs = 1000
        options.griffinLimIterations = 2
        let trainer = try Trainer(dataset: data, options: options, layout: RunLayout(root: dir.appendingPathComponent("run")),
                                  datasetPath: dir.path, commandLine: ["test"])
        trainer.start()
        var stepsBeforeClip: Int?
        var steps = 0
        var asked = false
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            guard let e = trainer.events.receive(timeout: 0.1) else { continue }
            switch e {
            case .stepFinished:
                steps += 1
                // Right after a step ends the next one starts: ask for a clip now.
                if !asked { asked = true; trainer.send(.synthesize(classIndex: 1)) }
            case .clipSynthesized(let clip):
                #expect(clip.classIndex == 1 && clip.spectrogram.logMel.count == 128 * 512)
                stepsBeforeClip = steps
                trainer.send(.abandon)
            case .finished:
                break
            default: continue
            }
            if case .finished = e { break }
        }
        // The clip came while the second step was still running (one step seen, not two).
        #expect(stepsBeforeClip == 1, "steps finished before the audition arrived: \(String(describing: stepsBeforeClip))")
    }
}
