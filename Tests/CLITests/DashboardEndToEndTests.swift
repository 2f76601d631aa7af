import Foundation
import Testing

/// The real binary in a real terminal: tmux runs `cgan-tui` on the demo dataset with the
/// dashboard, the test reads the screen with `capture-pane`, presses keys, and checks what
/// reached ALSA through a `file` PCM. Needs tmux (CI installs it); skipped with a message
/// when it is missing.
@Suite(.serialized) struct DashboardEndToEndTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = repoRoot.appendingPathComponent(".build/debug/cgan-tui")
    static let demo = repoRoot.appendingPathComponent("assets/demo")
    static let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A private tmux server (its own socket) so the test never touches a user's sessions.
    final class Tmux {
        let socket = "cgan-e2e-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let session = "dash"

        /// Runs a tmux command through /bin/sh and waits for it. (Foundation's Process left the
        /// tmux client unreaped here - the client forks the server - and waitUntilExit hung.)
        @discardableResult
        func run(_ args: [String], capture: Bool = false) throws -> String {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-out-\(UInt32.random(in: 0 ... .max))")
            defer { unlink(out.path) }
            let words = [tmuxPath!, "-L", socket] + args
            let line = words.map(shellQuoted).joined(separator: " ")
                + " </dev/null 2>/dev/null >" + (capture ? shellQuoted(out.path) : "/dev/null")
            let status = system(line)
            guard status != -1 else { throw POSIXError(.ECHILD) }
            return capture ? ((try? String(contentsOf: out, encoding: .utf8)) ?? "") : ""
        }

        func screen() -> String { (try? run(["capture-pane", "-p", "-t", session], capture: true)) ?? "" }
        func keys(_ k: String...) throws { try run(["send-keys", "-t", session] + k) }
        func kill() { _ = try? run(["kill-server"]) }
    }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// Reads a 16-bit PCM mono WAV as written by ALSA's file plugin (walks the chunks; a data
    /// size of 0 or past the end, from a header not yet finalised, means "the rest").
    static func readWAV16(_ url: URL) -> (rate: Int, samples: [Float])? {
        guard let data = try? Data(contentsOf: url), data.count > 44 else { return nil }
        let d = [UInt8](data)
        func u32(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 | Int(d[o + 2]) << 16 | Int(d[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 }
        guard String(bytes: d[0 ..< 4], encoding: .ascii) == "RIFF" else { return nil }
        var o = 12, rate = 0, bits = 0
        while o + 8 <= d.count {
            let id = String(bytes: d[o ..< o + 4], encoding: .ascii)
            var size = u32(o + 4)
            if id == "fmt " { rate = u32(o + 12); bits = u16(o + 22) }
            if id == "data" {
                guard bits == 16 else { return nil }
                if size == 0 || o + 8 + size > d.count { size = d.count - o - 8 }
                let samples = stride(from: o + 8, to: o + 8 + size - 1, by: 2).map {
                    Float(Int16(bitPattern: UInt16(u16($0)))) / 32767
                }
                return (rate, samples)
            }
            o += 8 + size + (size & 1)
        }
        return nil
    }

    /// One dashboard run in a fresh tmux session (120 x 40, UTF-8) and its files.
    final class Run {
        let tmux = Tmux()
        let dir: URL
        var wav: URL { dir.appendingPathComponent("audition.wav") }
        var out: URL { dir.appendingPathComponent("run") }
        var status: URL { dir.appendingPathComponent("status") }
        var pid: URL { dir.appendingPathComponent("pid") }
        var trace: URL { dir.appendingPathComponent("trace.txt") }
        var checkpoint: URL { out.appendingPathComponent("checkpoints/latest.safetensors") }
        // Demo shape: 64 frames (the demo clips are 0.75 s), hop 256. Griffin-Lim returns
        // (frames - 1) * hop samples, like torch.istft's default length.
        static let frames = 64, hop = 256

        init(audioDevice: String? = nil, epochs: Int = 1000) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-e2e-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // `swift test` sets NO_COLOR=1, which the dashboard honours; this test wants colours.
            let command = ["env", "-u", "NO_COLOR", binary.path, demo.path, "--out", out.path,
                           "--frames", "\(Self.frames)", "--epochs", "\(epochs)", "--seed", "7",
                           "--audio-device", audioDevice ?? "file:FILE=\(wav.path),FORMAT=wav"].map(shellQuoted).joined(separator: " ")
            let inner = "echo $$ > \(shellQuoted(pid.path)); exec \(command)"
            try tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "120", "-y", "40",
                          "-e", "LANG=C.UTF-8", "-e", "LC_ALL=C.UTF-8", "-e", "XDG_CACHE_HOME=\(dir.path)/cache",
                          "-e", "CGAN_TUI_TRACE=\(trace.path)",
                          "cd \(shellQuoted(dir.path)) && sh -c \(shellQuoted(inner)); echo $? > \(shellQuoted(status.path + ".tmp")) && mv \(shellQuoted(status.path + ".tmp")) \(shellQuoted(status.path)); sleep 60"])
        }

        func cleanUp() { tmux.kill(); try? FileManager.default.removeItem(at: dir) }

        /// Waits until the header shows at least `steps` steps.
        func waitForSteps(_ steps: Int, seconds: Double = 40) -> Bool {
            waitFor(seconds) {
                let s = tmux.screen()
                guard let r = s.range(of: #"step (\d+)"#, options: .regularExpression),
                      let n = Int(s[r].dropFirst(5)) else { return false }
                return n >= steps
            }
        }

        /// The shell writes the status beside and renames it, so a file that exists is complete
        /// (a plain `echo $? > status` was once read after the truncate and before the write).
        func exitStatus(within seconds: Double) -> String? {
            _ = waitFor(seconds) { FileManager.default.fileExists(atPath: status.path) }
            return (try? String(contentsOf: status, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func trainAuditionAndQuitInTmux() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let run = try Run()
        defer { run.cleanUp() }
        let tmux = run.tmux

        // Training steps show up: sparklines, heatmap half-blocks, the classes and their counts.
        let trained = run.waitForSteps(20) && Self.waitFor(5) {
            let s = tmux.screen()
            return s.contains("▀") && s.contains("snare") && s.contains("20 clips")
        }
        let screen = tmux.screen()
        #expect(trained, "no training steps on screen:\n\(screen)")
        guard trained else { return }
        for needle in ["cgan-tui", "4 classes", "80 clips", "RUNNING", "Losses", "Classes", "Spectrogram",
                       "kick", "hat", "chirp", "q quit"] {
            #expect(screen.contains(needle), "missing \(needle) on screen:\n\(screen)")
        }
        #expect(screen.range(of: "[▁▂▃▄▅▆▇█]{8,}", options: .regularExpression) != nil, "no sparkline:\n\(screen)")

        // A resize re-lays out at once: too small, then back.
        try tmux.run(["resize-window", "-t", tmux.session, "-x", "70", "-y", "20"])
        #expect(Self.waitFor(3) { tmux.screen().contains("terminal too small") })
        try tmux.run(["resize-window", "-t", tmux.session, "-x", "120", "-y", "40"])
        #expect(Self.waitFor(3) { tmux.screen().contains("Spectrogram") })

        // Select class 4 with its digit, then one up with k; read the selected name off the screen.
        try tmux.keys("4")
        #expect(Self.waitFor(2) { tmux.screen().contains("▶ 4 ") })
        try tmux.keys("k")
        #expect(Self.waitFor(2) { tmux.screen().contains("▶ 3 ") })
        let line = tmux.screen().split(separator: "\n").first { $0.contains("▶ 3 ") } ?? ""
        let selected = line.split(separator: " ").dropFirst(2).first.map(String.init) ?? "?"

        // Audition it: the message line says it plays, and the file PCM receives the clip.
        try tmux.keys("Enter")
        let playing = Self.waitFor(20) { tmux.screen().contains("playing \(selected)") }
        #expect(playing, "no 'playing \(selected)' message:\n\(tmux.screen())")
        let expected = (Run.frames - 1) * Run.hop
        var clip: (rate: Int, samples: [Float])?
        _ = Self.waitFor(10) {
            clip = Self.readWAV16(run.wav)
            return clip?.samples.count == expected
        }
        #expect(clip?.rate == 22050)
        #expect(clip?.samples.count == expected, "clip length \(clip?.samples.count ?? -1), expected \(expected)")
        let peak = clip?.samples.map(abs).max() ?? 0
        // The synthesiser peak-normalises; anything this far above 16-bit noise is sound, not silence.
        #expect(peak > 0.05, "the audition is silent (peak \(peak))")
        if let t = try? String(contentsOf: run.trace, encoding: .utf8) { print("trace:\n\(t)") }

        // Help overlay, then q: the q only closes the help; training goes on.
        try tmux.keys("?")
        #expect(Self.waitFor(2) { tmux.screen().contains("any key closes") })
        let stepBefore = Self.step(tmux.screen()) ?? 0
        try tmux.keys("q")
        #expect(Self.waitFor(2) { !tmux.screen().contains("any key closes") }, "help still open:\n\(tmux.screen())")
        #expect(run.waitForSteps(stepBefore + 3), "training did not go on after ? then q:\n\(tmux.screen())")
        #expect(tmux.screen().contains("RUNNING") && run.exitStatus(within: 0) == nil)

        // r plays a real clip of the selected class, named on the message line; its samples
        // (the dataset file's, at the same rate) reach ALSA after the audition's (the file PCM
        // keeps every clip played).
        let before = Self.readWAV16(run.wav)?.samples.count ?? 0
        try tmux.keys("r")
        let realSaid = Self.waitFor(10) { tmux.screen().contains("playing real \(selected): \(selected)_00.wav") }
        #expect(realSaid, "no 'playing real \(selected)' message:\n\(tmux.screen())")
        let source = Self.readWAV16(Self.demo.appendingPathComponent("\(selected)/\(selected)_00.wav"))
        var recorded: (rate: Int, samples: [Float])?
        _ = Self.waitFor(10) {
            recorded = Self.readWAV16(run.wav)
            return recorded?.samples.count == before + (source?.samples.count ?? -1)
        }
        let added = (recorded?.samples.count ?? 0) - before
        #expect(source != nil && added == source?.samples.count,
                "ALSA got \(added) more samples, the file has \(source?.samples.count ?? -1)")
        if let a = recorded?.samples.dropFirst(before), let b = source?.samples, a.count == b.count {
            // 16-bit in, float, 16-bit out: libsndfile divides by 32768 and the player's scale
            // may differ by one step, so a sample may move by one or two quanta, no more.
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2.0 / 32767, "the real clip reached ALSA changed (worst \(worst * 32767) steps)")
        }

        // q: saves a checkpoint, exits 0.
        try tmux.keys("q")
        let code = run.exitStatus(within: 30)
        #expect(code == "0", "exit status \(code ?? "none") after q:\n\(tmux.screen())")
        #expect(FileManager.default.fileExists(atPath: run.checkpoint.path))
        #expect(tmux.screen().contains("checkpoint"), "no word on the checkpoint after quitting:\n\(tmux.screen())")
    }

    /// The step count in the header ("step 123").
    static func step(_ screen: String) -> Int? {
        guard let r = screen.range(of: #"step (\d+)"#, options: .regularExpression) else { return nil }
        return Int(screen[r].dropFirst(5))
    }

    /// After the last epoch the dashboard stays a player: Enter synthesizes and plays from the
    /// final generator, the header says so, q leaves with 0.
    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func listeningAfterTheLastEpoch() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let run = try Run(epochs: 3)
        defer { run.cleanUp() }
        let tmux = run.tmux
        let finished = Self.waitFor(90) { tmux.screen().contains("FINISHED · listening") }
        #expect(finished, "no 'FINISHED · listening':\n\(tmux.screen())")
        guard finished else { return }
        #expect(tmux.screen().contains("training finished at epoch 3"))
        #expect(!FileManager.default.fileExists(atPath: run.wav.path), "something played before the key")
        try tmux.keys("Enter")
        let playing = Self.waitFor(20) { tmux.screen().contains("playing chirp") }
        #expect(playing, "no 'playing chirp' after the last epoch:\n\(tmux.screen())")
        var clip: (rate: Int, samples: [Float])?
        _ = Self.waitFor(10) {
            clip = Self.readWAV16(run.wav)
            return clip?.samples.count == (Run.frames - 1) * Run.hop
        }
        #expect(clip?.samples.count == (Run.frames - 1) * Run.hop, "clip \(clip?.samples.count ?? -1) samples")
        // The clock has stopped: the header reads the same a second and a half later.
        let header = tmux.screen().split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        usleep(1_500_000)
        #expect(tmux.screen().split(separator: "\n").dropFirst().first.map(String.init) == header)
        try tmux.keys("q")
        #expect(run.exitStatus(within: 20) == "0")
    }

    /// `cgan-tui listen RUN`: the checkpoint a headless run saved, played in the dashboard,
    /// with the run's real clips; q leaves with 0 and prints nothing about checkpoints.
    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func listenPlaysACheckpoint() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset(classes: ["low", "noise"], clipsPerClass: 3)
        let trained = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let tmux = Tmux(); defer { tmux.kill() }
        let wav = cli.path("played.wav"), status = cli.path("status")
        let command = [Self.binary.path, "listen", "run", "--audio-device", "file:FILE=\(wav.path),FORMAT=wav"]
            .map(shellQuoted).joined(separator: " ")
        try tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "100", "-y", "30", "-e", "LANG=C.UTF-8",
                      "-e", "LC_ALL=C.UTF-8", "cd \(shellQuoted(cli.dir.path)) && \(command); echo $? > \(shellQuoted(status.path)).tmp && mv \(shellQuoted(status.path)).tmp \(shellQuoted(status.path)); sleep 60"])
        let open = Self.waitFor(20) { tmux.screen().contains("LISTENING") }
        #expect(open, "no LISTENING header:\n\(tmux.screen())")
        guard open else { return }
        #expect(Self.waitFor(5) { tmux.screen().contains("playing from run/checkpoints/latest.safetensors (epoch 1)") },
                "\(tmux.screen())")
        try tmux.keys("Enter")
        #expect(Self.waitFor(20) { tmux.screen().contains("playing low") }, "Enter did not play:\n\(tmux.screen())")
        #expect(Self.waitFor(10) { Self.readWAV16(wav)?.samples.isEmpty == false })
        try tmux.keys("2", "r")
        #expect(Self.waitFor(10) { tmux.screen().contains("playing real noise: noise_0") }, "r did not play:\n\(tmux.screen())")
        try tmux.keys("q")
        _ = Self.waitFor(10) { FileManager.default.fileExists(atPath: status.path) }
        #expect((try? String(contentsOf: status, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(!tmux.screen().contains("(none saved)"), "\(tmux.screen())")
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func sigtermSavesAndRestoresTheTerminal() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let run = try Run()
        defer { run.cleanUp() }
        #expect(run.waitForSteps(3), "no training steps on screen:\n\(run.tmux.screen())")
        let text = try String(contentsOf: run.pid, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(text))
        kill(pid, SIGTERM)
        let code = run.exitStatus(within: 30)
        #expect(code == "143", "exit status \(code ?? "none") after SIGTERM:\n\(run.tmux.screen())")
        #expect(FileManager.default.fileExists(atPath: run.checkpoint.path))
        // The terminal is back to the shell's screen: the dashboard is gone, the summary is there.
        let screen = run.tmux.screen()
        #expect(!screen.contains("Losses") && !screen.contains("▀"), "dashboard still on screen:\n\(screen)")
        #expect(screen.contains("checkpoint"), "no word on the checkpoint:\n\(screen)")
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func withoutAnAudioDeviceTheClipGoesToAuditions() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let run = try Run(audioDevice: "hw:CARD=cgan_no_such_card")
        defer { run.cleanUp() }
        // After a few steps the untrained generator's ReLU output is still all zero (silence);
        // by 20 it makes sound.
        #expect(run.waitForSteps(20), "no training steps on screen:\n\(run.tmux.screen())")
        try run.tmux.keys("Enter")
        // The message line names the device, ALSA's reason and the file; ALSA's own complaints never reach the screen.
        let said = Self.waitFor(20) { run.tmux.screen().contains("audio device hw:CARD=cgan_no_such_card failed: No such device; wrote") }
        let screen = run.tmux.screen()
        #expect(said, "no 'audio device ... failed' message:\n\(screen)")
        #expect(!screen.contains("ALSA lib"), "ALSA wrote over the dashboard:\n\(screen)")
        let folder = run.out.appendingPathComponent("auditions")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(files.count == 1 && files[0].hasSuffix("_0001.wav"), "auditions/: \(files)")
        if let name = files.first {
            let clip = Self.readWAV16(folder.appendingPathComponent(name))
            #expect(clip?.samples.count == (Run.frames - 1) * Run.hop)
            #expect((clip?.samples.map(abs).max() ?? 0) > 0.05)    // peak-normalised sound, not silence
            #expect(screen.contains(name), "the message does not name \(name):\n\(screen)")
        }
        try run.tmux.keys("q")
        #expect(run.exitStatus(within: 30) == "0")
    }
}

private func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
