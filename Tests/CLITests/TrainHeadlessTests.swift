import Foundation
import Testing

/// Headless training through the real binary: the seed's outputs, plain log lines on a pipe,
/// reproducible seeded runs, and resume that continues exactly.
@Suite struct TrainHeadlessTests {
    @Test func writesTheSeedsOutputsAndPlainLogLines() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let r = try cli.run(["data", "--no-ui", "--epochs", "2", "--log-every", "1", "--checkpoint-every", "1",
                             "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let fm = FileManager.default
        func exists(_ p: String) -> Bool { fm.fileExists(atPath: cli.path("run/" + p).path) }
        for p in ["config.json", "metrics.csv", "checkpoints/latest.safetensors",
                  "checkpoints/epoch_001.safetensors", "checkpoints/epoch_002.safetensors", "checkpoints/best.safetensors",
                  "gan_spectrogram_plots/epoch_001.png", "gan_spectrogram_plots/epoch_002.png",
                  "gan_generated_audio/low_ep001.wav", "gan_generated_audio/noise_ep002.wav"] {
            #expect(exists(p), "missing \(p)")
        }
        let png = try Data(contentsOf: cli.path("run/gan_spectrogram_plots/epoch_001.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let wav = try Data(contentsOf: cli.path("run/gan_generated_audio/low_ep001.wav"))
        #expect(wav.prefix(4) == Data("RIFF".utf8) && wav.count > 44)
        // 8 clips at batch 4: 2 steps per epoch, 4 rows in all.
        let csv = try String(contentsOf: cli.path("run/metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "epoch,step,loss_d,loss_g,seconds,samples_per_s,fidelity,diversity,frechet,fidelity_low,fidelity_noise")
        #expect(csv.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") } == ["1,1", "1,2", "2,3", "2,4"])
        // A pipe gets plain lines (no carriage returns or escape codes): one per epoch, one per logged step.
        #expect(!r.stdout.contains("\r") && !r.stdout.contains("\u{1B}"))
        #expect(r.stdout.contains("epoch 1/2") && r.stdout.contains("epoch 2/2"))
        #expect(r.stdout.contains("done: 2 epochs, step 4;") && r.stdout.contains("2 steps per epoch"), "stdout: \(r.stdout)")
        #expect(r.stdout.contains("step 1 (epoch 1, 1/2)"))
        // Each epoch line carries the epoch's fidelity and the classifier's ceiling.
        let epochLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 2 && epochLines.allSatisfy { $0.contains("  fidelity ") && $0.contains(" (ceiling ") },
                "stdout: \(r.stdout)")
        #expect(r.stdout.contains("quality: classifier fitted on 8 real clips"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: cli.path("run/config.json"))) as! [String: Any]
        let options = config["options"] as! [String: Any]
        #expect(options["epochs"] as? Int == 2 && options["batchSize"] as? Int == 4)
        #expect((options["spectrogram"] as! [String: Any])["frames"] as? Int == 32)
        #expect(config["classes"] as? [String] == ["low", "noise"])
    }

    @Test func seededRunsAreReproducible() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        for (out, seed) in [("a", "5"), ("b", "5"), ("c", "6")] {
            let r = try cli.run(["data", "--no-ui", "--epochs", "2", "--seed", seed, "--out", out] + CLI.tiny)
            #expect(r.status == 0, "stderr: \(r.stderr)")
        }
        let a = try CLI.lossRows(cli.path("a/metrics.csv"))
        #expect(a.count == 4)
        #expect(a == (try CLI.lossRows(cli.path("b/metrics.csv"))), "same seed, same thread count: same losses")
        #expect(a != (try CLI.lossRows(cli.path("c/metrics.csv"))), "another seed: other losses")
    }

    /// 3 epochs straight vs 2 epochs then `--resume` to 3: the same losses to the last bit,
    /// the same step numbers, one metrics file that continues.
    @Test func resumeContinuesExactly() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "3", "--seed", "11", "--out", "straight"] + CLI.tiny).status == 0)
        #expect(try cli.run(["data", "--no-ui", "--epochs", "2", "--seed", "11", "--out", "split"] + CLI.tiny).status == 0)
        let r = try cli.run(["--resume", "split", "--no-ui", "--epochs", "3"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("resuming at epoch 3, step 4"), "stdout: \(r.stdout)")
        #expect(try CLI.lossRows(cli.path("split/metrics.csv")) == (try CLI.lossRows(cli.path("straight/metrics.csv"))))
        #expect(FileManager.default.fileExists(atPath: cli.path("split/gan_spectrogram_plots/epoch_003.png").path))
    }

    @Test func resumeFromACheckpointFileAndFromAFinishedRun() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        let done = try cli.run(["--resume", "run", "--no-ui"])
        #expect(done.status == 2 && done.stderr.contains("--epochs"), "a finished run says how to go on: \(done.stderr)")
        let r = try cli.run(["--resume", "run/checkpoints/latest.safetensors", "--no-ui", "--epochs", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(try CLI.lossRows(cli.path("run/metrics.csv")).map { $0.prefix(4) } == ["1,1,", "1,2,", "2,3,", "2,4,"])
    }

    @Test func aChangedClassListIsAClearErrorOnResume() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        let extra = data.appendingPathComponent("zeta")
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        try CLI.wav(CLI.clip(kind: 2, variant: 0)).write(to: extra.appendingPathComponent("z.wav"))
        let before = try Data(contentsOf: cli.path("run/checkpoints/latest.safetensors"))
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("class list changed") && r.stderr.contains("zeta"), "stderr: \(r.stderr)")
        #expect(try Data(contentsOf: cli.path("run/checkpoints/latest.safetensors")) == before)
    }

    @Test func aResumedRunKeepsItsShape() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2", "--frames", "64"])
        #expect(r.status == 2 && r.stderr.contains("--frames 64"), "stderr: \(r.stderr)")
        let b = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2", "--batch-size", "2"])
        #expect(b.status == 2 && b.stderr.contains("--batch-size 2"), "stderr: \(b.stderr)")
        let same = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2", "--batch-size", "4"])
        #expect(same.status == 0, "the same batch size is fine: \(same.stderr)")
    }
}
