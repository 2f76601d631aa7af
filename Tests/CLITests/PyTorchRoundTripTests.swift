import Foundation
import Testing

/// `cgan-tui export RUN --pytorch DIR`, two processes of its train.py under torchrun (gloo,
/// CPU), and back: `cgan-tui --resume DIR` trains on from PyTorch's checkpoint, `generate`
/// reads it. Needs python3 with torch and numpy (CI installs them: README's test command);
/// without them the test says so in one line and checks nothing else.
@Suite struct PyTorchRoundTripTests {
    /// nil when python3 can import torch and numpy, else why not.
    static func missingPython(_ cli: CLI) throws -> String? {
        let r = try cli.run(["python3", "-c", "import torch, numpy"], executable: URL(fileURLWithPath: "/usr/bin/env"))
        return r.status == 0 ? nil : "python3 cannot import torch and numpy (pip install torch numpy)"
    }

    /// The `__metadata__["config"]` JSON of a safetensors file (its header, read directly).
    static func checkpointConfig(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8 ..< 8 + n)) as? [String: Any])
        let meta = try #require(header["__metadata__"] as? [String: String])
        let config = try #require(meta["config"])
        return try #require(try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])
    }

    /// (epoch, step) of every metrics.csv row, and the rows' field counts.
    static func rows(_ url: URL) throws -> (steps: [[Int]], fields: Set<Int>) {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).count
        let body = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        return (body.map { [Int($0[0]) ?? -1, Int($0[1]) ?? -1] }, Set(body.map(\.count) + [header]))
    }

    /// A tiny run of `epochs` epochs (10 clips in batches of 4: 3 steps an epoch) exported to
    /// `pt`; nil, after one printed line, where python3 cannot run train.py.
    static func exportedRun(_ cli: CLI, epochs: Int) throws -> CLI.Result? {
        if let why = try missingPython(cli) {
            print("PyTorchRoundTripTests skipped: \(why)")
            return nil
        }
        let data = try cli.makeDataset(clipsPerClass: 5)
        let r = try cli.run([data.path, "--no-ui", "--epochs", "\(epochs)", "--out", "run"] + CLI.tiny)
        try #require(r.status == 0, "train: \(r.stderr)")
        let export = try cli.run(["export", "run", "--pytorch", "pt"])
        try #require(export.status == 0, "export: \(export.stderr)")
        return export
    }

    @Test func exportTorchrunAndBack() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        // cgan-tui takes 3 steps an epoch; two processes of 4 clips take 2.
        guard var r = try Self.exportedRun(cli, epochs: 2) else { return }
        #expect(r.stdout.contains("torchrun --standalone --nproc_per_node=N train.py --epochs E"))
        #expect(try Self.checkpointConfig(cli.path("pt/checkpoints/latest.safetensors"))["step"] as? Int == 6)
        for file in ["train.py", "config.json", "metrics.csv", "checkpoints/latest.safetensors", "data/index.json",
                     "data/spectrograms_000.npy", "data/labels_000.npy"] {
            #expect(FileManager.default.fileExists(atPath: cli.path("pt/\(file)").path), "\(file) missing")
        }

        // torchrun is `python3 -m torch.distributed.run` (the same entry point, whatever PATH holds).
        r = try cli.run(["python3", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", cli.path("pt/train.py").path,
                         "--epochs", "4", "--threads", "1"],
                        executable: URL(fileURLWithPath: "/usr/bin/env"), environment: ["OMP_NUM_THREADS": "1"], timeout: 300)
        try #require(r.status == 0, "torchrun: \(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("2 processes, DDP over gloo"))
        #expect(r.stdout.contains("cgan-tui --resume"))
        let meta = try Self.checkpointConfig(cli.path("pt/checkpoints/latest.safetensors"))
        #expect(meta["epoch"] as? Int == 4 && meta["step"] as? Int == 10)
        var m = try Self.rows(cli.path("pt/metrics.csv"))
        #expect(m.steps == [[1, 1], [1, 2], [1, 3], [2, 4], [2, 5], [2, 6], [3, 7], [3, 8], [4, 9], [4, 10]])
        #expect(m.fields.count == 1, "rows with another column count than the header: \(m.fields)")

        // Back in cgan-tui: one more epoch on the CPU, then clips from the result.
        r = try cli.run(["--resume", "pt", "--epochs", "5", "--no-ui"])
        try #require(r.status == 0, "resume: \(r.stderr)")
        m = try Self.rows(cli.path("pt/metrics.csv"))
        #expect(m.steps.suffix(4) == [[4, 10], [5, 11], [5, 12], [5, 13]])
        #expect(m.fields.count == 1)
        #expect(try Self.checkpointConfig(cli.path("pt/checkpoints/latest.safetensors"))["step"] as? Int == 13)
        r = try cli.run(["generate", "pt", "--class", "low", "--count", "2"])
        #expect(r.status == 0, "generate: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("pt/generated/low_1.wav").path))
    }

    /// SIGTERM while train.py trains: it finishes the step, saves latest (the epochs completed,
    /// the step reached: metrics.csv's last row), exits 143, and cgan-tui resumes from there.
    @Test func trainPyStopsOnSIGTERMAndSaves() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        guard var r = try Self.exportedRun(cli, epochs: 1) else { return }

        let (p, out, _) = cli.makeProcess(["python3", cli.path("pt/train.py").path, "--epochs", "100000", "--threads", "1"],
                                          executable: URL(fileURLWithPath: "/usr/bin/env"), environment: ["OMP_NUM_THREADS": "1"])
        try p.run()
        // Stop once PyTorch has written rows of its third epoch (epoch 4), whatever it is doing then.
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning, Date() < deadline,
              (try? Self.rows(cli.path("pt/metrics.csv")).steps.last?[0] ?? 0) ?? 0 < 4 { usleep(20_000) }
        kill(p.processIdentifier, SIGTERM)
        // A train.py that ignored the stop would hang the suite: killed (and the test fails) after 60 s.
        let pid = p.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { kill(pid, SIGKILL) }
        let seen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 143, "stdout: \(seen)")
        #expect(seen.contains("train.py: stopped at epoch"))
        let meta = try Self.checkpointConfig(cli.path("pt/checkpoints/latest.safetensors"))
        let last = try #require(try Self.rows(cli.path("pt/metrics.csv")).steps.last)
        #expect(meta["step"] as? Int == last[1] && meta["epoch"] as? Int == last[0] - 1, "checkpoint \(meta), last row \(last)")

        let epoch = try #require(meta["epoch"] as? Int)
        r = try cli.run(["--resume", "pt", "--epochs", "\(epoch + 1)", "--no-ui"])
        #expect(r.status == 0, "resume: \(r.stderr)")
        #expect(try Self.checkpointConfig(cli.path("pt/checkpoints/latest.safetensors"))["step"] as? Int == 3 * (epoch + 1))
    }

    @Test func exportRefusesWhatItCannotUse() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        var r = try cli.run(["export", "nowhere", "--pytorch", "pt"])
        #expect(r.status == 2 && r.stderr == "cgan-tui: nowhere is not a run folder with a checkpoints/latest.safetensors to export\n")
        #expect(!FileManager.default.fileExists(atPath: cli.path("pt").path))
        let data = try cli.makeDataset()
        r = try cli.run([data.path, "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        try #require(r.status == 0, "train: \(r.stderr)")
        try FileManager.default.createDirectory(at: cli.path("full"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: cli.path("full/notes.txt"))
        r = try cli.run(["export", "run", "--pytorch", "full"])
        #expect(r.status == 2 && r.stderr == "cgan-tui: --pytorch full is not empty; choose a new folder\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("full").path) == ["notes.txt"])
    }
}
