import Foundation
import Testing

/// Stopping a headless run: SIGINT and SIGTERM save a checkpoint and exit 130 / 143; a second
/// Ctrl-C or `kill -9` exits at once and still leaves a loadable checkpoint; a run stopped in
/// the middle of an epoch resumes to exactly the losses of a run that was never stopped.
/// Serialized: each test keeps a training process busy on one of the machine's cores.
@Suite(.serialized) struct StopSignalTests {
    /// 4 classes x 4 clips at batch 2: 8 steps per epoch, so a stop usually lands mid-epoch.
    static let args = ["data", "--no-ui", "--epochs", "100000", "--seed", "3", "--batch-size", "2",
                       "--n-mels", "16", "--frames", "32", "--latent-dim", "8", "--threads", "1",
                       "--log-every", "0", "--out", "run"]

    struct Running {
        let process: Process
        let cli: CLI
        var stdout: String { (try? String(contentsOf: cli.path("stdout.txt"), encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: cli.path("stderr.txt"), encoding: .utf8)) ?? "" }
    }

    /// Starts training with stdout/stderr going to files, and waits until `rows` steps are logged.
    func start(_ cli: CLI, afterRows rows: Int) throws -> Running {
        _ = try cli.makeDataset(classes: ["a", "b", "c", "d"], clipsPerClass: 4)
        let (p, _, _) = cli.makeProcess(Self.args)
        _ = FileManager.default.createFile(atPath: cli.path("stdout.txt").path, contents: nil)
        _ = FileManager.default.createFile(atPath: cli.path("stderr.txt").path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: cli.path("stdout.txt"))
        p.standardError = try FileHandle(forWritingTo: cli.path("stderr.txt"))
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, p.isRunning {
            let text = (try? String(contentsOf: cli.path("run/metrics.csv"), encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count > rows { break }
            usleep(20_000)
        }
        #expect(p.isRunning, "training ended early: \((try? String(contentsOf: cli.path("stderr.txt"), encoding: .utf8)) ?? "")")
        return Running(process: p, cli: cli)
    }

    func waitForExit(_ p: Process, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning, Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); return false }
        return true
    }

    func expectLoadable(_ cli: CLI, _ checkpoint: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let g = try cli.run(["generate", checkpoint, "--count", "1", "--iterations", "1", "--out", "gen-\(UUID().uuidString)"])
        #expect(g.status == 0, "checkpoint \(checkpoint) does not load: \(g.stderr)", sourceLocation: sourceLocation)
    }

    @Test func sigintSavesAndResumesExactly() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let run = try start(cli, afterRows: 13)
        run.process.interrupt()
        #expect(waitForExit(run.process))
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 130,
                "status \(run.process.terminationStatus), stderr: \(run.stderr)")
        #expect(run.stdout.contains("resume with: cgan-tui --resume run"), "stdout: \(run.stdout)")
        #expect(run.stdout.contains("checkpoint saved to run/checkpoints/latest.safetensors"), "stdout: \(run.stdout)")
        try expectLoadable(cli, "run/checkpoints/latest.safetensors")

        // Where it stopped, from the checkpoint's log: the last row of metrics.csv.
        let rows = try CLI.lossRows(cli.path("run/metrics.csv"))
        let stoppedEpoch = Int(rows.last!.split(separator: ",")[0])!
        let target = String(stoppedEpoch + 1)
        let resumed = try cli.run(["--resume", "run", "--no-ui", "--epochs", target])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")

        var straightArgs = Self.args
        straightArgs[straightArgs.firstIndex(of: "100000")!] = target
        straightArgs[straightArgs.firstIndex(of: "run")!] = "straight"
        #expect(try cli.run(straightArgs).status == 0)
        let straight = try CLI.lossRows(cli.path("straight/metrics.csv"))
        #expect(straight.count == (stoppedEpoch + 1) * 8)
        #expect(try CLI.lossRows(cli.path("run/metrics.csv")) == straight,
                "stopped at row \(rows.count) (epoch \(stoppedEpoch)); resumed losses must equal the uninterrupted run's")
    }

    @Test func sigtermExits143WithACheckpoint() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let run = try start(cli, afterRows: 3)
        run.process.terminate()
        #expect(waitForExit(run.process))
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 143, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("--resume"))
        try expectLoadable(cli, "run/checkpoints/latest.safetensors")
    }

    @Test func secondCtrlCExitsAtOnceAndKeepsTheCheckpoint() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let run = try start(cli, afterRows: 9)              // past epoch 1: latest.safetensors exists
        #expect(FileManager.default.fileExists(atPath: cli.path("run/checkpoints/latest.safetensors").path))
        run.process.interrupt()
        run.process.interrupt()
        #expect(waitForExit(run.process, seconds: 10))
        #expect(run.process.terminationStatus == 130, "stderr: \(run.stderr)")
        try expectLoadable(cli, "run/checkpoints/latest.safetensors")
    }

    @Test func killDashNineLeavesTheLastCompletedCheckpoint() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let run = try start(cli, afterRows: 20)
        kill(run.process.processIdentifier, SIGKILL)
        #expect(waitForExit(run.process))
        #expect(run.process.terminationReason == .uncaughtSignal)
        try expectLoadable(cli, "run/checkpoints/latest.safetensors")
        // And the run resumes from it: the log is cut back to the checkpoint's step and continues.
        let r = try cli.run(["--resume", "run", "--no-ui", "--epochs", "4"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let steps = try CLI.lossRows(cli.path("run/metrics.csv")).map { Int($0.split(separator: ",")[1])! }
        #expect(steps == Array(1 ... 32), "one row per step, none twice, none missing")
    }
}
