import Foundation
import Support
import Testing

/// Issue 12, parsers and data: crafted files end in one line on stderr and exit 2 (never a
/// trap, a hang or gigabytes), data that would poison a run is skipped with a reason, and
/// the dataset scan follows symbolic links and reports what it cannot use.
@Suite struct CraftedInputTests {
    /// One line, `cgan-tui: ...`, exit 2, no runtime trap.
    static func expectOneLineExit2(_ r: CLI.Result, _ what: String, containing phrase: String? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2 && !r.signalled, "\(what): status \(r.status) signalled \(r.signalled), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cgan-tui: ") && r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)", sourceLocation: sourceLocation)
        if let phrase { #expect(r.stderr.contains(phrase), "\(what): \(r.stderr)", sourceLocation: sourceLocation) }
    }

    /// The trained tiny checkpoint with its `__metadata__["config"]` edited.
    static func withConfig(_ good: Data, _ edit: (inout [String: Any]) -> Void) -> Data {
        var (header, body) = CheckpointInputTests.split(good)
        var meta = header["__metadata__"] as! [String: Any]
        var config = try! JSONSerialization.jsonObject(with: Data((meta["config"] as! String).utf8)) as! [String: Any]
        edit(&config)
        meta["config"] = String(decoding: try! JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        header["__metadata__"] = meta
        return CheckpointInputTests.join(header, body)
    }

    /// Before the fix: n_fft 0 a force-unwrap trap, negative values range traps, 2^60 an
    /// overflow trap, 2^20 and 2^40 failed allocations, 512 x 8192 still running after 20 s
    /// at 5 GB, hop 0 exit 0 with empty WAVs.
    @Test func metadataThatNoTrainingWritesExitsTwo() throws {
        let (cli, good) = try CheckpointInputTests().trained(); defer { cli.cleanUp() }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("n_fft 0", { $0["n_fft"] = 0 }),
            ("n_fft -1024", { $0["n_fft"] = -1024 }),
            ("hop -256", { $0["hop"] = -256 }),
            ("hop 0", { $0["hop"] = 0 }),
            ("n_mels 2^60", { $0["n_mels"] = 1 << 60 }),
            ("frames 2^20", { $0["frames"] = 1 << 20 }),
            ("n_fft 2^40", { $0["n_fft"] = 1 << 40 }),
            ("512 x 8192", { $0["n_mels"] = 512; $0["frames"] = 8192 }),
        ]
        for (what, edit) in cases {
            try Self.withConfig(good, edit).write(to: cli.path("bad.safetensors"))
            let r = try cli.run(["generate", "bad.safetensors", "--count", "1", "--out", "gen"], timeout: 30)
            Self.expectOneLineExit2(r, what)
            let written = (try? FileManager.default.contentsOfDirectory(atPath: cli.path("gen").path)) ?? []
            #expect(written.isEmpty, "\(what): wrote \(written)")
        }
    }

    /// Before the fix `generate` wrote silent WAVs and exited 0, and a resumed run trained on with NaN.
    @Test func nanWeightsAreRefusedByGenerateAndResume() throws {
        let inputs = CheckpointInputTests()
        let (cli, good) = try inputs.trained(); defer { cli.cleanUp() }
        let (header, body) = CheckpointInputTests.split(good)
        let offsets = (header["generator.net.9.weight"] as! [String: Any])["data_offsets"] as! [Int]
        var poisoned = body
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { poisoned.replaceSubrange(offsets[0] + 8 ..< offsets[0] + 12, with: $0) }
        try inputs.expectRefused(cli, CheckpointInputTests.join(header, poisoned), "NaN weights")
        let r = try cli.run(["generate", "bad.safetensors", "--count", "1", "--out", "gen"])
        #expect(r.stderr.contains("tensor 'generator.net.9.weight' holds NaN"), "\(r.stderr)")
    }

    /// A 1 GB header is refused from its length, before it is read: under a 400 MB address-space
    /// limit, reading it (as before the fix) fails with "cannot read" instead.
    @Test func hugeHeaderIsRefusedWithoutReadingIt() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let url = cli.path("huge.safetensors")
        let length = 1 << 30
        var prefix = Data()
        withUnsafeBytes(of: UInt64(length).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(Data("{".utf8))
        try prefix.write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(8 + length))   // sparse: no real gigabyte on disk
        try handle.close()
        let r = try cli.run(["-c", "ulimit -v 400000; exec \"$0\" generate huge.safetensors --count 1 --out gen", CLI.binary.path],
                            executable: URL(fileURLWithPath: "/bin/sh"), timeout: 60)
        Self.expectOneLineExit2(r, "1 GB header", containing: "header length 1073741824")
    }

    /// Before the fix `mel` on a FIFO blocked forever in open.
    @Test func fifoAsAudioIsRefusedAtOnce() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        #expect(mkfifo(cli.path("x.wav").path, 0o600) == 0)
        let r = try cli.run(["mel", "x.wav", "--npy", "x.npy"], timeout: 20)
        Self.expectOneLineExit2(r, "FIFO", containing: "not a regular file (a FIFO)")
    }

    /// A log-mel .npy holding NaN, inf or a value whose expm1 overflows float (above ~88.7):
    /// before the fix `invert` exited 0 with a WAV that was a click or silence.
    @Test func invertRefusesValuesThatAreNotALogMel() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        for (name, bad) in [("nan", Float.nan), ("inf", Float.infinity), ("huge", Float(1e30)), ("overflow", Float(89))] {
            var values = [Float](repeating: 1, count: 16 * 32)
            values[37] = bad
            try NPY.write(NPY.Array(shape: [16, 32], values: values), to: cli.path("\(name).npy"))
            let r = try cli.run(["invert", "\(name).npy", "--out", "\(name).wav", "--iterations", "1"])
            Self.expectOneLineExit2(r, name, containing: "element 37")
            #expect(!FileManager.default.fileExists(atPath: cli.path("\(name).wav").path), "\(name): wrote a WAV")
        }
    }

    /// Finite samples of 1e30 pass the NaN check but their log-mel is infinite: before the fix
    /// `mel` exited 0 with inf values and training stopped with non-finite losses.
    @Test func hugeFloatSamplesAreRefusedAndSkipped() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let huge = CLI.clip(kind: 0, variant: 9).map { $0 * 1e30 }
        try CLI.floatWAV(huge).write(to: cli.path("huge.wav"))
        let mel = try cli.run(["mel", "huge.wav", "--npy", "huge.npy"])
        Self.expectOneLineExit2(mel, "mel of 1e30 samples", containing: "samples too large")
        #expect(!FileManager.default.fileExists(atPath: cli.path("huge.npy").path))

        _ = try cli.makeDataset()
        try CLI.floatWAV(huge).write(to: cli.path("data/low/huge.wav"))
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("huge.wav: samples too large"), "\(r.stderr)")
    }

    /// A class folder that is a symbolic link, and clips that are links, train like real ones;
    /// a link loop is reported and ends. Before the fix both were dropped without a word.
    @Test func symbolicLinksAreFollowed() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset("elsewhere", classes: ["low", "noise"])
        let data = cli.path("data")
        let fm = FileManager.default
        try fm.createDirectory(at: data.appendingPathComponent("noise"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: data.appendingPathComponent("low"), withDestinationURL: cli.path("elsewhere/low"))
        for k in 0 ..< 4 {
            try fm.createSymbolicLink(at: data.appendingPathComponent("noise/noise_\(k).wav"),
                                      withDestinationURL: cli.path("elsewhere/noise/noise_\(k).wav"))
        }
        try fm.createSymbolicLink(at: data.appendingPathComponent("noise/loop"), withDestinationURL: data.appendingPathComponent("noise"))
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny, timeout: 120)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("2 classes (low 4, noise 4), 8 clips"), "\(r.stdout)")
        #expect(r.stderr.contains("noise/loop: folder already listed"), "\(r.stderr)")
    }

    /// Names that are not UTF-8 cannot be shown or stored exactly: they are reported, not
    /// dropped without a word as before the fix.
    @Test func nonUTF8NamesAreReported() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let wav = CLI.wav(CLI.clip(kind: 0, variant: 1))
        func bytesPath(_ parent: URL, _ name: [UInt8]) -> [CChar] {
            (Array(parent.path.utf8) + [UInt8(ascii: "/")] + name + [0]).map { CChar(bitPattern: $0) }
        }
        let badFile = bytesPath(cli.path("data/low"), Array("caf".utf8) + [0xE9] + Array(".wav".utf8))   // Latin-1 é
        let fd = open(badFile, O_WRONLY | O_CREAT, 0o644)
        #expect(fd >= 0)
        _ = wav.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(mkdir(bytesPath(cli.path("data"), [0xFF] + Array("class".utf8)), 0o755) == 0)
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.components(separatedBy: "name is not valid UTF-8").count == 3, "\(r.stderr)")
    }
}
