import Foundation
import Testing

/// Bad input to the train command: one `cgan-tui: ...` line on stderr, exit status 2, no
/// crash, and nothing written where it should not be.
@Suite struct TrainBadInputTests {
    /// Exit 2 and exactly one stderr line that starts with `cgan-tui: ` and contains `needle`.
    func expectUserError(_ r: CLI.Result, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cgan-tui: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.lowercased().contains(needle.lowercased()), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    }

    static let badNumbers: [([String], String)] = [
        (["--frames", "30"], "multiple of 16"),
        (["--n-mels", "20"], "multiple of 16"),
        (["--frames", "0"], "--frames"),
        (["--n-mels", "-16"], "--n-mels"),
        (["--epochs", "-1"], "--epochs"),
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "99999999999"], "--epochs"),
        (["--batch-size", "0"], "--batch-size"),
        (["--lr", "-0.001"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "1e9"], "--lr"),
        (["--latent-dim", "0"], "--latent-dim"),
        (["--sample-rate", "10"], "--sample-rate"),
        (["--seed", "-3"], "--seed"),
        (["--threads", "0"], "--threads"),
        (["--checkpoint-every", "-2"], "--checkpoint-every"),
        (["--epochs", "abc"], "--epochs"),                    // not a number at all
        (["--bogus"], "--bogus"),                             // no such option
    ]

    @Test(arguments: badNumbers)
    func badNumbersAreRejectedBeforeAnythingHappens(args: [String], needle: String) throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        let r = try cli.run([data.path, "--no-ui", "--out", "run"] + args)
        expectUserError(r, needle)
        #expect(!FileManager.default.fileExists(atPath: cli.path("run").path), "nothing is created for bad options")
    }

    @Test func missingDatasetFolder() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        expectUserError(try cli.run(["no-such-folder", "--no-ui", "--out", "run"] + CLI.tiny), "no-such-folder")
    }

    @Test func emptyDatasetFolder() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        try FileManager.default.createDirectory(at: cli.path("empty"), withIntermediateDirectories: true)
        let r = try cli.run(["empty", "--no-ui", "--out", "run"] + CLI.tiny)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("cgan-tui: "), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func filesButNoClassFolders() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        try FileManager.default.createDirectory(at: cli.path("flat"), withIntermediateDirectories: true)
        try CLI.wav(CLI.clip(kind: 0, variant: 0)).write(to: cli.path("flat/a.wav"))
        let r = try cli.run(["flat", "--no-ui", "--out", "run"] + CLI.tiny)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("cgan-tui: "), "stderr: \(r.stderr)")
    }

    @Test func noClassHasAUsableClip() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        for cls in ["a", "b"] {
            try FileManager.default.createDirectory(at: cli.path("d/\(cls)"), withIntermediateDirectories: true)
            try Data("not audio at all".utf8).write(to: cli.path("d/\(cls)/x.wav"))
        }
        let r = try cli.run(["d", "--no-ui", "--out", "run"] + CLI.tiny)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("cgan-tui: "))
        #expect(!FileManager.default.fileExists(atPath: cli.path("run/checkpoints/latest.safetensors").path))
    }

    /// Broken files are skipped and listed once each; a class left without clips is dropped
    /// with a warning; training still runs on what is usable.
    @Test func badFilesAreSkippedAndListedOnce() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        let fm = FileManager.default
        try Data("this is text, not audio".utf8).write(to: data.appendingPathComponent("low/notes.wav"))
        var truncated = CLI.wav(CLI.clip(kind: 0, variant: 9))
        truncated = truncated.prefix(30)                       // cut inside the header
        try truncated.write(to: data.appendingPathComponent("low/truncated.wav"))
        try Data().write(to: data.appendingPathComponent("noise/empty.wav"))
        try fm.createSymbolicLink(atPath: data.appendingPathComponent("noise/ghost.wav").path,
                                  withDestinationPath: "/nonexistent/ghost.wav")
        try fm.createDirectory(at: data.appendingPathComponent("broken"), withIntermediateDirectories: true)
        try Data([0, 1, 2, 3]).write(to: data.appendingPathComponent("broken/junk.flac"))

        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        for name in ["notes.wav", "truncated.wav", "empty.wav", "junk.flac"] {
            let mentions = r.stderr.components(separatedBy: name).count - 1
            #expect(mentions == 1, "\(name) mentioned \(mentions) times in: \(r.stderr)")
        }
        // A dangling symlink (the only unreadable file root can make: permissions do not stop
        // root) is not a regular file; the scan passes over it, and never twice.
        #expect(r.stderr.components(separatedBy: "ghost.wav").count - 1 <= 1)
        #expect(r.stderr.contains("broken"), "the class with no usable clip is named: \(r.stderr)")
        let config = try String(contentsOf: cli.path("run/config.json"), encoding: .utf8)
        #expect(config.contains("\"low\"") && config.contains("\"noise\"") && !config.contains("\"broken\""))
    }

    /// Clips shorter than one STFT frame and silent clips never crash the run.
    @Test func tooShortAndSilentClips() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        try CLI.wav([Float](repeating: 0.3, count: 100)).write(to: data.appendingPathComponent("low/tiny.wav"))
        try CLI.wav([Float](repeating: 0, count: 8000)).write(to: data.appendingPathComponent("noise/silent.wav"))
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("run/checkpoints/latest.safetensors").path))
    }

    /// A 1 GB clip (a sparse file: a valid WAV header over 1 GB of silence) is read only as far
    /// as the spectrogram needs, so it neither exhausts memory nor stalls the run.
    @Test func hugeFile() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        let bytes = 1_000_000_000
        var header = CLI.wav([])
        header.replaceSubrange(4 ..< 8, with: withUnsafeBytes(of: UInt32(36 + bytes).littleEndian) { Data($0) })
        header.replaceSubrange(40 ..< 44, with: withUnsafeBytes(of: UInt32(bytes).littleEndian) { Data($0) })
        let url = data.appendingPathComponent("low/huge.wav")
        try header.write(to: url)
        #expect(truncate(url.path, off_t(44 + bytes)) == 0)
        let start = Date()
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        // Generous: decoding all 1 GB would take far longer than this on any machine.
        #expect(Date().timeIntervalSince(start) < 60)
    }

    /// Class folders and files with spaces or bytes that are not UTF-8 in their names.
    @Test func oddNames() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset(classes: ["bass drum", "noise"])
        try CLI.wav(CLI.clip(kind: 0, variant: 5)).write(to: data.appendingPathComponent("bass drum/my clip.wav"))
        // A file name with a 0xFF byte, made with POSIX calls (Swift strings cannot hold it).
        let raw: [UInt8] = Array(data.appendingPathComponent("noise").path.utf8) + Array("/clip_".utf8) + [0xFF] + Array(".wav".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) { open($0, O_WRONLY | O_CREAT, 0o644) }
        }
        #expect(fd >= 0)
        let bytes = CLI.wav(CLI.clip(kind: 1, variant: 7))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, bytes.count) }
        close(fd)

        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "out dir"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
        let wav = cli.path("out dir/gan_generated_audio/bass drum_ep001.wav")
        #expect(FileManager.default.fileExists(atPath: wav.path))
    }

    @Test func outputFolderThatCannotBeWritten() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        try Data("a file".utf8).write(to: cli.path("file.txt"))
        // A folder cannot be made under a regular file (this works even as root, unlike chmod).
        expectUserError(try cli.run(["data", "--no-ui", "--out", "file.txt/run"] + CLI.tiny), "file.txt/run")
    }

    @Test func outFolderThatAlreadyHoldsARunIsNotOverwritten() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        let before = try Data(contentsOf: cli.path("run/metrics.csv"))
        expectUserError(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny), "--resume")
        #expect(try Data(contentsOf: cli.path("run/metrics.csv")) == before)
    }
}
