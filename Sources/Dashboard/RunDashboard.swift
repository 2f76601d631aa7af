import Foundation
import GAN
import Playback
import Support
import Synchronization

/// Options of the dashboard that are not about the run itself.
public struct DashboardOptions: Sendable {
    /// ALSA device for auditions (`--audio-device`): "default", "hw:1", "null",
    /// "file:FILE=out.wav,FORMAT=wav", ...
    public var audioDevice: String
    public var environment: [String: String]
    /// When set (or CGAN_TUI_TRACE is), one line per audition with its latencies is appended here.
    public var tracePath: String?
    /// Called once the terminal is in curses mode, just before the dashboard installs its
    /// SIGINT/SIGTERM/SIGHUP handling: the caller stops its own (which would print over the
    /// screen). Not called when `runDashboard` throws, so a headless fallback keeps them.
    public var willTakeOverTerminal: (@Sendable () -> Void)?
    /// After restoring the terminal, print how it ended: where the checkpoint is and how to
    /// resume (stdout), or the training error (stderr).
    public var printsSummary: Bool
    /// Decodes a dataset file to mono samples at the given rate, for `r` and A/B (the caller
    /// has the audio reader; the dashboard only plays). Nil: real clips cannot be played.
    public var readClip: (@Sendable (URL, Int) throws -> [Float])?
    public init(audioDevice: String = "default",
                environment: [String: String] = ProcessInfo.processInfo.environment,
                tracePath: String? = nil, willTakeOverTerminal: (@Sendable () -> Void)? = nil,
                printsSummary: Bool = true, readClip: (@Sendable (URL, Int) throws -> [Float])? = nil) {
        self.readClip = readClip
        self.audioDevice = audioDevice
        self.environment = environment
        self.tracePath = tracePath ?? environment["CGAN_TUI_TRACE"]
        self.willTakeOverTerminal = willTakeOverTerminal
        self.printsSummary = printsSummary
    }
}

/// Everything the UI loop waits for, on one channel: keys (the input watcher says input is
/// ready; the loop reads it with ncurses on its own thread), ticks, trainer events, player
/// events and signals.
enum UIEvent: Sendable {
    case inputReady(at: Double)        // when the watcher saw the bytes (monotonic seconds)
    case tick
    case training(TrainingEvent)
    case player(PlayerEvent)
    case auditionWritten(PlaybackReport)
    case realClipLoaded(RealClip)
    case signal(Int32)
}

/// How the dashboard ended, for the caller's closing lines and exit status.
public struct DashboardOutcome: Sendable, Equatable {
    /// 0 after q, 128 + n after signal n, 1 when training failed.
    public var exitStatus: Int32
    /// SIGINT, SIGTERM or SIGHUP when one ended the dashboard.
    public var signal: Int32?
    /// The trainer's error line when training failed.
    public var error: String?
    public var lastCheckpoint: URL?
    public var epoch: Int
    public var step: Int
    /// True when the trainer sent `.finished` (false when the user left at once with a second q).
    public var trainerFinished: Bool
}

/// Runs the dashboard on the calling thread until the user quits (after the trainer has
/// saved and sent `.finished`) and says how it ended; after restoring the terminal it prints
/// where the checkpoint is (unless `options.printsSummary` is off). The trainer keeps running on its own queue;
/// it receives commands through `send` and answers `.synthesize(k)` with `.clipSynthesized`,
/// which the dashboard plays. Installs its own SIGINT/SIGTERM/SIGHUP handling while it runs
/// and restores the terminal on every way out. Throws before touching the screen when the
/// terminal cannot be used, so the caller can fall back to headless training.
public func runDashboard(context: DashboardContext, events: EventChannel<TrainingEvent>,
                         send: @escaping @Sendable (TrainerCommand) -> Void,
                         options: DashboardOptions = DashboardOptions()) throws -> DashboardOutcome {
    guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
        throw UserError("the dashboard needs a terminal on standard input and output; use --no-ui")
    }
    let terminal = try NcursesTerminal(environment: options.environment)
    options.willTakeOverTerminal?()
    let loop = DashboardLoop(context: context, terminal: terminal, send: send, options: options)
    return loop.run(trainerEvents: events)
}

private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The UI loop's pieces. Lives on the thread that called `runDashboard`.
private final class DashboardLoop {
    let terminal: NcursesTerminal
    let send: @Sendable (TrainerCommand) -> Void
    let options: DashboardOptions
    let channel: EventChannel<UIEvent>
    let player: ALSAPlayer
    let stop = StopFlag()
    let inputConsumed = DispatchSemaphore(value: 0)
    var state: AppState
    var clips: [Int: SynthesizedClip] = [:]          // player id -> clip
    var realClips: [Int: RealClip] = [:]             // player id -> real clip
    var clipArrival: [Int: Double] = [:]             // class -> when its last clip arrived
    var status: Int32?
    var endingSignal: Int32?
    var keysAwaitingDraw: [(Key, Double)] = []    // for the trace: keys read, not yet on screen

    /// Redraw at most 10 times a second: enough to feel live, cheap while training.
    static let frameInterval = 0.1

    init(context: DashboardContext, terminal: NcursesTerminal, send: @escaping @Sendable (TrainerCommand) -> Void,
         options: DashboardOptions) {
        self.terminal = terminal
        self.send = send
        self.options = options
        let channel = EventChannel<UIEvent>()
        self.channel = channel
        player = ALSAPlayer(device: options.audioDevice) { channel.send(.player($0)) }
        state = AppState(context: context, now: ALSAPlayer.monotonicNow())
    }

    func run(trainerEvents: EventChannel<TrainingEvent>) -> DashboardOutcome {
        let channel = self.channel, stop = self.stop, player = self.player
        let forwarder = Thread {
            while !stop.isSet {
                guard let e = trainerEvents.receive(timeout: 0.2) else { continue }
                // After `.finished` the trainer still answers auditions (the dashboard stays a player).
                channel.send(.training(e))
            }
        }
        forwarder.name = "cgan-tui.events"
        forwarder.start()
        let consumed = inputConsumed
        let watcher = Thread { watchInput(channel: channel, consumed: consumed, stop: stop) }
        watcher.name = "cgan-tui.input"
        watcher.start()
        let signals = installSignalSources(channel: channel)
        defer {
            stop.set()
            consumed.signal()
            for s in signals { s.cancel() }
            for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
            player.shutdown()
            terminal.close()
        }
        loop()
        terminal.close()
        var exit = status ?? 0
        if state.trainingState == .failed, exit == 0 { exit = 1 }
        if options.printsSummary { printSummary() }
        return DashboardOutcome(exitStatus: exit, signal: endingSignal, error: state.lastError,
                                lastCheckpoint: state.lastCheckpoint, epoch: state.epoch, step: state.step,
                                trainerFinished: state.finished)
    }

    private func loop() {
        var dirty = true
        var lastDraw = -Double.infinity
        var shownSecond = -1
        while status == nil {
            let now = ALSAPlayer.monotonicNow()
            let wait = dirty ? max(0.005, lastDraw + Self.frameInterval - now) : 0.5
            var batch: [UIEvent] = []
            if let e = channel.receive(timeout: wait) { batch.append(e) }
            batch += channel.drain()
            var readInput = false
            var inputEvents = 0
            var inputSeenAt: Double?
            for event in batch {
                let now = ALSAPlayer.monotonicNow()
                switch event {
                case .inputReady(let at):
                    readInput = true
                    inputEvents += 1
                    inputSeenAt = inputSeenAt ?? at
                case .tick:
                    readInput = true    // ncurses reports a resize as a key (KEY_RESIZE)
                    state.now = now
                    if Int(state.elapsed) != shownSecond { shownSecond = Int(state.elapsed); dirty = true }
                case .training(let e):
                    if case .clipSynthesized(let clip) = e { clipArrival[clip.classIndex] = now }
                    perform(state.apply(e, now: now))
                    dirty = true
                case .player(let e):
                    handle(e, now: now)
                    dirty = true
                case .auditionWritten(let report):
                    perform(state.apply(playback: report, now: now))
                    dirty = true
                case .realClipLoaded(let clip):
                    perform(state.apply(realClip: clip, now: now))
                    dirty = true
                case .signal(let sig):
                    if endingSignal == nil { endingSignal = sig }
                    perform(state.quit(status: 128 + sig))
                    dirty = true
                }
            }
            if readInput {
                while let input = terminal.readKey() {
                    switch input {
                    case .resize:
                        terminal.invalidate()
                    case .key(let k):
                        perform(state.apply(key: k, now: ALSAPlayer.monotonicNow()))
                        keysAwaitingDraw.append((k, inputSeenAt ?? ALSAPlayer.monotonicNow()))
                    }
                    dirty = true
                }
            }
            // The watcher waits until its bytes were read before it polls again.
            for _ in 0 ..< inputEvents { inputConsumed.signal() }
            let t = ALSAPlayer.monotonicNow()
            // Trainer news redraws at most 10 times a second; a key shows at once.
            if dirty, t - lastDraw >= Self.frameInterval || status != nil || !keysAwaitingDraw.isEmpty {
                state.now = t
                let size = terminal.size
                terminal.draw(Screen.render(state, width: size.width, height: size.height,
                                            capabilities: terminal.capabilities))
                lastDraw = t
                dirty = false
                if options.tracePath != nil {
                    let drawn = ALSAPlayer.monotonicNow()
                    for (k, seen) in keysAwaitingDraw {
                        traceLine(String(format: "key %@ input_to_drawn_ms=%.1f\n", "\(k)", (drawn - seen) * 1000))
                    }
                }
                keysAwaitingDraw = []
            }
        }
    }

    private func printSummary() {
        let run = Format.path(state.context.outputFolder)
        if let error = state.lastError {
            FileHandle.standardError.write(Data("cgan-tui: error: \(error)\n".utf8))
        }
        let checkpoint = state.lastCheckpoint.map(Format.path) ?? "(none saved)"
        let finishedAll = state.context.stepsPerEpoch > 0
            && state.step >= state.context.totalEpochs * state.context.stepsPerEpoch
        print("cgan-tui: \(finishedAll ? "done" : "stopped") at epoch \(state.epoch), step \(state.step); checkpoint: \(checkpoint)")
        if !finishedAll, state.lastCheckpoint != nil { print("cgan-tui: resume with: cgan-tui --resume \(run)") }
    }

    private func perform(_ actions: [DashboardAction]) {
        for a in actions {
            switch a {
            case .send(let c): send(c)
            case .play(let clip):
                let id = player.play(clip.samples, sampleRate: clip.sampleRate)
                clips[id] = clip
            case .stopPlayback: player.stop()
            case let .loadReal(k, url): loadReal(k, url)
            case .playReal(let clip):
                let id = player.play(clip.samples, sampleRate: clip.sampleRate)
                realClips[id] = clip
            case .quit(let s): status = s
            }
        }
    }

    /// Decodes a real clip off the UI thread (`options.readClip` bounds its length); it comes back as an event.
    private func loadReal(_ k: Int, _ url: URL) {
        let channel = self.channel, rate = state.context.sampleRate
        guard let read = options.readClip else {
            perform(state.apply(playback: .failed("real clips cannot be played here"), now: ALSAPlayer.monotonicNow()))
            return
        }
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                let samples = try read(url, rate)
                channel.send(.realClipLoaded(RealClip(classIndex: k, file: url, samples: samples, sampleRate: rate)))
            } catch {
                let reason = (error as? UserError)?.message ?? "\(error)"
                channel.send(.auditionWritten(.failed("cannot play the real clip: \(reason)")))
            }
        }
    }

    private func handle(_ e: PlayerEvent, now: Double) {
        if handleReal(e, now: now) { return }
        switch e {
        case let .started(id, t):
            guard let clip = clips[id] else { return }
            let seconds = Double(clip.samples.count) / Double(max(1, clip.sampleRate))
            _ = state.apply(playback: .started(classIndex: clip.classIndex, seconds: seconds, firstSampleAt: t), now: now)
            trace(clip: clip, firstSampleAt: t)
        case .finished(let id):
            guard let clip = clips.removeValue(forKey: id) else { return }
            perform(state.apply(playback: .finished(classIndex: clip.classIndex), now: now))
        case .interrupted(let id):
            clips[id] = nil
        case let .unavailable(id, reason):
            guard let clip = clips.removeValue(forKey: id) else { return }
            let name = state.context.classNames.indices.contains(clip.classIndex)
                ? state.context.classNames[clip.classIndex] : "class\(clip.classIndex)"
            let folder = state.context.auditionsFolder
            let channel = self.channel
            // Writing (with fsync) off the UI thread keeps keys responsive.
            DispatchQueue.global(qos: .utility).async {
                do {
                    let url = try AuditionFile.write(clip.samples, sampleRate: clip.sampleRate, className: name, folder: folder)
                    channel.send(.auditionWritten(.wroteFile(classIndex: clip.classIndex, path: Format.path(url), reason: reason)))
                } catch {
                    channel.send(.auditionWritten(.failed("\(reason), and \(error)")))
                }
            }
        }
    }

    /// Player events of real clips; false when `e` is about a generated clip.
    private func handleReal(_ e: PlayerEvent, now: Double) -> Bool {
        switch e {
        case let .started(id, t):
            guard let clip = realClips[id] else { return false }
            let seconds = Double(clip.samples.count) / Double(max(1, clip.sampleRate))
            _ = state.apply(playback: .started(classIndex: clip.classIndex, seconds: seconds, firstSampleAt: t,
                                               realFile: clip.file.lastPathComponent), now: now)
        case .finished(let id):
            guard let clip = realClips.removeValue(forKey: id) else { return false }
            perform(state.apply(playback: .finished(classIndex: clip.classIndex), now: now))
        case .interrupted(let id):
            guard realClips.removeValue(forKey: id) != nil else { return false }
        case let .unavailable(id, reason):
            guard let clip = realClips.removeValue(forKey: id) else { return false }
            // Nothing to write: the clip is a file already.
            perform(state.apply(playback: .failed("\(reason); the real clip is \(Format.path(clip.file))"), now: now))
        }
        return true
    }

    private func trace(clip: SynthesizedClip, firstSampleAt t: Double) {
        guard options.tracePath != nil, let latency = state.lastAuditionLatency else { return }
        let arrival = clipArrival[clip.classIndex] ?? t
        let keyTime = t - latency
        traceLine(String(format: "audition class=%d key_to_first_sample_ms=%.1f key_to_clip_ms=%.1f clip_to_first_sample_ms=%.1f samples=%d rate=%d step=%d\n",
                         clip.classIndex, latency * 1000, (arrival - keyTime) * 1000, (t - arrival) * 1000,
                         clip.samples.count, clip.sampleRate, state.step))
    }

    /// Appends one line to the trace file (CGAN_TUI_TRACE), creating it on first use.
    private func traceLine(_ line: String) {
        guard let path = options.tracePath else { return }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: path) else { return }
        h.seekToEndOfFile()
        h.write(Data(line.utf8))
        try? h.close()
    }
}

/// Watches standard input without reading it (ncurses reads, on the UI thread): posts
/// `.inputReady` when bytes are waiting and waits until the loop has read them; posts `.tick`
/// every 100 ms otherwise, so a resize (which ncurses turns into KEY_RESIZE on its next read)
/// and the clock show up promptly.
private func watchInput(channel: EventChannel<UIEvent>, consumed: DispatchSemaphore, stop: StopFlag) {
    var hungUp = false
    while !stop.isSet {
        var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let n = poll(&fds, 1, 100)
        if stop.isSet { return }
        if n > 0, fds.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0, fds.revents & Int16(POLLIN) == 0 {
            if !hungUp { hungUp = true; channel.send(.signal(SIGHUP)) }   // the terminal went away
            usleep(100_000)
        } else if n > 0 {
            channel.send(.inputReady(at: ALSAPlayer.monotonicNow()))
            _ = consumed.wait(timeout: .now() + 0.5)
        } else {
            channel.send(.tick)
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP become events (quit: save, then exit 128+n). Made outside any
/// actor: a handler written at top level would be inferred @MainActor and trap on the global
/// queue. No SIGWINCH source: it would hide KEY_RESIZE from ncurses.
private nonisolated func installSignalSources(channel: EventChannel<UIEvent>) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { channel.send(.signal(sig)) }
        source.resume()
        return source
    }
}
