import Foundation
import Testing

/// Runs that must not clobber or collide: a lock per run folder, `--resume A --out B` into an
/// existing run, outputs that are links or device nodes, long class names, stale temporary
/// files, runs without a checkpoint, a corrupt `latest`, a missing HOME.
@Suite(.serialized) struct RunFolderTests {
    static let long = ["data", "--no-ui", "--epochs", "100000", "--log-every", "0", "--out", "run"] + CLI.tiny

    /// A training process that keeps running until stopped, started once metrics.csv has a row.
    func startLongRun(_ cli: CLI, args: [String] = Self.long) throws -> Process {
        let (p, _, _) = cli.makeProcess(args)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, p.isRunning,
              ((try? String(contentsOf: cli.path("run/metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n").count < 2 {
            usleep(20_000)
        }
        #expect(p.isRunning)
        return p
    }

    func stop(_ p: Process) {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    func oneLineError(_ r: CLI.Result, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for n in needles { #expect(r.stderr.contains(n), "no '\(n)' in: \(r.stderr)", sourceLocation: sourceLocation) }
    }

    @Test func secondRunIntoTheSameFolderIsRefusedWithThePID() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let first = try startLongRun(cli)
        defer { stop(first) }
        let before = try Data(contentsOf: cli.path("run/config.json"))
        let pid = "\(first.processIdentifier)"
        oneLineError(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny), ["PID \(pid)"])
        oneLineError(try cli.run(["--resume", "run", "--no-ui", "--epochs", "200"]), ["PID \(pid)"])
        #expect(try Data(contentsOf: cli.path("run/config.json")) == before)
    }

    /// Two runs started together into one --out both ran and interleaved metrics.csv.
    @Test func twoRunsStartedTogetherIntoOneFolder() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let args = ["data", "--no-ui", "--epochs", "3", "--log-every", "0", "--out", "run"] + CLI.tiny
        let runs = [cli.makeProcess(args), cli.makeProcess(args)]
        for (p, _, _) in runs { try p.run() }
        let errors = runs.map { String(decoding: $0.2.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        for (p, _, _) in runs { p.waitUntilExit() }
        let statuses = runs.map { $0.0.terminationStatus }
        #expect(statuses.sorted() == [0, 2], "statuses \(statuses), stderr: \(errors)")
        if let loser = statuses.firstIndex(of: 2), let winner = statuses.firstIndex(of: 0) {
            #expect(errors[loser].contains("PID \(runs[winner].0.processIdentifier)") || errors[loser].contains("already holds a run"),
                    "stderr: \(errors[loser])")
        }
        let steps = try CLI.lossRows(cli.path("run/metrics.csv")).map { Int($0.split(separator: ",")[1])! }
        #expect(steps == Array(1 ... 6), "one run's rows, in order")
    }

    @Test func resumeIntoAnotherRunIsRefused() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "a"] + CLI.tiny).status == 0)
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--seed", "5", "--out", "b"] + CLI.tiny).status == 0)
        let metrics = try Data(contentsOf: cli.path("b/metrics.csv"))
        let latest = try Data(contentsOf: cli.path("b/checkpoints/latest.safetensors"))
        oneLineError(try cli.run(["--resume", "a", "--out", "b", "--no-ui", "--epochs", "2"]), ["already holds a run"])
        #expect(try Data(contentsOf: cli.path("b/metrics.csv")) == metrics)
        #expect(try Data(contentsOf: cli.path("b/checkpoints/latest.safetensors")) == latest)
        // Into a new folder it is a copy that trains on, and a resume into its own folder still works.
        #expect(try cli.run(["--resume", "a", "--out", "c", "--no-ui", "--epochs", "2"]).status == 0)
        #expect(try cli.run(["--resume", "a", "--out", "a", "--no-ui", "--epochs", "2"]).status == 0)
    }

    /// A 240-character class name (legal: folder names may have 255 bytes) made the temporary
    /// WAV name too long; the WAV was missing and the run still exited 0.
    @Test func longClassNameGetsItsWAV() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let name = String(repeating: "k", count: 240)
        _ = try cli.makeDataset(classes: [name, "noise"])
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let wavs = try FileManager.default.contentsOfDirectory(atPath: cli.path("run/gan_generated_audio").path)
        #expect(wavs.contains { $0.hasPrefix(name) && $0.hasSuffix(".wav") }, "\(wavs)")
        #expect(!wavs.contains { $0.hasPrefix(".") }, "no temporary file is left: \(wavs)")
    }

    /// The last epoch's outputs cannot be written (a folder sits where its PNG goes): the run
    /// says so and exits 1 instead of 0.
    @Test func finalOutputsThatCannotBeWrittenFailTheRun() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        try FileManager.default.createDirectory(at: cli.path("run/gan_spectrogram_plots/epoch_001.png"),
                                                withIntermediateDirectories: true)
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("epoch_001.png"), "stderr: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("run/checkpoints/latest.safetensors").path),
                "the checkpoint is still saved")
    }

    /// Temporary files of killed checkpoint writes are removed when the run is resumed: those
    /// whose writer is dead, and those older than the run's lock; a live writer's is kept.
    @Test func staleTemporaryFilesAreRemovedOnResume() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run(); dead.waitUntilExit()
        let ckpt = cli.path("run/checkpoints")
        let deadTemp = ckpt.appendingPathComponent(".latest.safetensors.tmp-\(dead.processIdentifier)-123")
        let oldTemp = ckpt.appendingPathComponent(".best.safetensors.tmp-\(getpid())-77")
        let liveTemp = ckpt.appendingPathComponent(".epoch_009.safetensors.tmp-\(getpid())-78")
        let notOurs = ckpt.appendingPathComponent("notes.tmp-1-2")
        for url in [deadTemp, oldTemp, liveTemp, notOurs] { try Data(count: 4096).write(to: url) }
        // Older than any lock taken from now on.
        let old = Date().addingTimeInterval(-3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: oldTemp.path)
        // Newer than the lock the resume takes: a writer of ours that is still at work.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: liveTemp.path)
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: deadTemp.path))
        #expect(!FileManager.default.fileExists(atPath: oldTemp.path))
        #expect(FileManager.default.fileExists(atPath: liveTemp.path))
        #expect(FileManager.default.fileExists(atPath: notOurs.path))
    }

    /// A run killed before its first checkpoint holds config.json and metrics.csv only.
    @Test func runWithoutACheckpointRestarts() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        try FileManager.default.removeItem(at: cli.path("run/checkpoints"))
        let again = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        oneLineError(again, ["--resume run"])
        #expect(!again.stderr.contains("continue"), "--resume can only start it again: \(again.stderr)")
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("no checkpoint yet: starting it again from epoch 1"), "stdout: \(r.stdout)")
        let steps = try CLI.lossRows(cli.path("run/metrics.csv")).map { Int($0.split(separator: ",")[1])! }
        #expect(steps == Array(1 ... 4), "two epochs of 2 steps from the start")
    }

    /// The hint names a checkpoint that can be resumed (best.safetensors here: the numbered
    /// ones hold weights only), and the command it gives works.
    @Test func corruptLatestNamesTheNewestCheckpointThatCanBeResumed() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "3", "--checkpoint-every", "1", "--out", "run"] + CLI.tiny).status == 0)
        let latest = cli.path("run/checkpoints/latest.safetensors")
        try Data(try Data(contentsOf: latest).prefix(1000)).write(to: latest)
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "4"])
        oneLineError(r, ["resume from it with cgan-tui --resume run/checkpoints/"])
        let hinted = r.stderr.components(separatedBy: "cgan-tui --resume ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(hinted == "run/checkpoints/best.safetensors", "stderr: \(r.stderr)")
        let resumed = try cli.run(["--resume", hinted, "--no-ui", "--epochs", "4"])
        #expect(resumed.status == 0, "the hint works: \(resumed.stderr)")
    }

    /// Debian's HOME=/nonexistent for root: the cache goes to a temporary folder, said once,
    /// and HOME is not created.
    @Test func missingHomeIsNotCreated() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let home = cli.path("no-such-home")
        try FileManager.default.createDirectory(at: cli.path("tmp"), withIntermediateDirectories: true)
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny,
                            environment: ["HOME": home.path, "XDG_CACHE_HOME": "", "TMPDIR": cli.path("tmp").path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.path))
        #expect(r.stderr.components(separatedBy: home.path).count - 1 == 1, "said once: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("tmp/cgan-tui-cache-\(getuid())").path))
    }

    /// invert and mel write through a symlink and into a device node (one made here) instead of
    /// replacing them.
    @Test func commandOutputsWriteThroughLinksAndDevices() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        let clip = data.appendingPathComponent("low/low_0.wav").path
        try FileManager.default.createDirectory(at: cli.path("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cli.path("x.npy").path, withDestinationPath: "real/x.npy")
        try FileManager.default.createSymbolicLink(atPath: cli.path("x.png").path, withDestinationPath: "real/x.png")
        var r = try cli.run(["mel", clip, "--npy", "x.npy", "--png", "x.png", "--n-mels", "16", "--frames", "32"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        for name in ["x.npy", "x.png"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: cli.path(name).path)) == "real/\(name)")
            #expect(FileManager.default.fileExists(atPath: cli.path("real/\(name)").path))
        }
        try FileManager.default.createSymbolicLink(atPath: cli.path("back.wav").path, withDestinationPath: "real/back.wav")
        r = try cli.run(["invert", "x.npy", "--out", "back.wav", "--iterations", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: cli.path("back.wav").path)) == "real/back.wav")
        #expect(((try? Data(contentsOf: cli.path("real/back.wav"))) ?? Data()).prefix(4) == Data("RIFF".utf8))

        guard getuid() == 0 else { return }     // mknod needs root
        // Named .wav because invert picks its output format by the extension.
        let node = cli.path("null.wav")
        #expect(mknod(node.path, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0)
        for args in [["invert", "x.npy", "--out", "null.wav", "--iterations", "1"],
                     ["mel", clip, "--npy", "null.wav", "--png", "null.wav", "--n-mels", "16", "--frames", "32"]] {
            r = try cli.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            var st = stat()
            #expect(lstat(node.path, &st) == 0 && st.st_mode & S_IFMT == S_IFCHR, "\(args) replaced the device node")
        }
    }
}
