import Foundation
import GAN
import Quality
import Support

/// A key as the dashboard understands it (the terminal decodes escape sequences).
public enum Key: Equatable, Sendable {
    case up, down, enter, escape, ctrlC
    case char(Character)
    case other
}

/// What the UI loop must do after the state changed: talk to the trainer, play, or leave.
public enum DashboardAction: Equatable, Sendable {
    case send(TrainerCommand)
    case play(SynthesizedClip)
    /// Decode a real clip of the dataset (off the UI thread); it comes back through `apply(realClip:)`.
    case loadReal(classIndex: Int, URL)
    case playReal(RealClip)
    case stopPlayback
    case quit(status: Int32)
}

/// What happened to a clip handed to the player.
public enum PlaybackReport: Equatable, Sendable {
    /// `firstSampleAt`: monotonic time of the first sample given to ALSA; `realFile`: the
    /// dataset file's name when the clip is a real one.
    case started(classIndex: Int, seconds: Double, firstSampleAt: Double, realFile: String? = nil)
    case finished(classIndex: Int)
    case wroteFile(classIndex: Int, path: String, reason: String)          // the device failed (reason): the clip went to auditions/
    case failed(String)
}

public struct StatusMessage: Equatable, Sendable {
    public enum Kind: Sendable { case info, success, error }
    public var text: String
    public var kind: Kind
    public var at: Double
    /// Routine news (epoch files, trainer chatter) that any other message may replace.
    public var routine = false
}

/// The whole dashboard as data. Events from the trainer, keys and playback reports go in;
/// actions come out; widgets render from it. No terminal, no clocks: `now` is passed in.
public struct AppState: Sendable {
    public let context: DashboardContext
    public var trainingState: TrainingState = .loading
    public var epoch = 0
    public var step = 0
    public var stepInEpoch = 0
    public var stepsPerEpoch: Int
    public var stepsPerSecond: Double?
    public var samplesPerSecond: Double?
    public var startedAt: Double
    public var now: Double
    public var lossD = LossHistory()
    public var lossG = LossHistory()
    /// The latest epoch's quality scores and the overall fidelity of every scored epoch.
    public var quality: QualityReport?
    public var qualityEpoch = 0
    public var fidelity = LossHistory()
    /// The latest spectrogram per class and where it came from ("epoch 3 · step 120").
    public var spectrograms: [Int: GeneratedSpectrogram] = [:]
    public var spectrogramOrigin: [Int: String] = [:]
    public var selected = 0
    public var message: StatusMessage?
    public var showHelp = false
    /// The overlay listing the files skipped while reading the dataset (`w`).
    public var showSkipped = false
    public var finished = false
    public var lastCheckpoint: URL?
    /// The trainer's error, when training failed.
    public var lastError: String?
    /// Set when the user asked to leave: the exit status once the trainer has saved and finished.
    public var quitStatus: Int32?
    /// Latency of the last audition, key press to the first sample handed to ALSA (seconds).
    public var lastAuditionLatency: Double?

    // Audition bookkeeping.
    var pendingRequests: [(classIndex: Int, keyTime: Double?)] = []
    var auditionAll = false
    var auditionQueue: [Int] = []
    var heldClips: [SynthesizedClip] = []
    var playing: (classIndex: Int, keyTime: Double?)?
    /// Which real clip of each class `r` plays next (a different one each press).
    var nextReal: [Int: Int] = [:]
    /// A/B: what is left to play, real ("A") and generated ("B") in turn, for the selected class.
    var abQueue: [ABStep] = []
    var abActive = false
    /// The class whose real clip is being decoded (a later request replaces it).
    var pendingReal: Int?
    enum ABStep: Equatable { case real, generated }
    /// The clock stops while paused and once training stops.
    var pausedSince: Double?
    var pausedTotal = 0.0
    var stoppedAt: Double?

    public init(context: DashboardContext, now: Double) {
        self.context = context
        stepsPerEpoch = context.stepsPerEpoch
        startedAt = now
        self.now = now
    }

    public var className: String {
        context.classNames.indices.contains(selected) ? context.classNames[selected] : "?"
    }

    /// Training time: the clock stands still while paused and after training stopped.
    public var elapsed: Double {
        let end = stoppedAt ?? now
        return max(0, end - startedAt - pausedTotal - (pausedSince.map { max(0, end - $0) } ?? 0))
    }

    /// Training is over (finished, not failed), or there is none (`listen`): the dashboard is a
    /// player of the final generator or the checkpoint.
    public var listening: Bool { context.listenOnly || finished && trainingState != .failed }

    /// What the header says the run is doing: "FINISHED · listening" once it is a player.
    public var stateLabel: String {
        if context.listenOnly { return "LISTENING" }
        if listening { return "FINISHED · listening" }
        return displayedState.rawValue.uppercased()
    }

    /// Seconds left for the requested epochs at the current rate; nil before the rate is known.
    public var eta: Double? {
        guard let rate = stepsPerSecond, rate > 0, context.totalEpochs > 0, stepsPerEpoch > 0 else { return nil }
        let done = max(0, epoch - 1) * stepsPerEpoch + stepInEpoch
        let remaining = max(0, context.totalEpochs * stepsPerEpoch - done)
        return Double(remaining) / rate
    }

    /// The state the header shows: "saving" while a quit waits for its checkpoint.
    public var displayedState: TrainingState {
        quitStatus != nil && !finished ? .saving : trainingState
    }

    mutating func say(_ text: String, _ kind: StatusMessage.Kind = .info, quiet: Bool = false) {
        // Routine news does not hide what the user just asked for or was told: not for 4
        // seconds, and not while the clip it announced is being made or played (up to 30 s, so
        // a clip that never comes cannot silence the line for good).
        if quiet, let m = message, !m.routine,
           now - m.at < 4 || (playing != nil || !pendingRequests.isEmpty) && now - m.at < 30 { return }
        message = StatusMessage(text: text, kind: kind, at: now, routine: quiet)
    }

    private var playingPrefix: String { "playing " }

    // MARK: - Trainer events

    public mutating func apply(_ event: TrainingEvent, now: Double) -> [DashboardAction] {
        self.now = now
        switch event {
        case .stateChanged(let s):
            if s == .paused, pausedSince == nil { pausedSince = now }
            if s != .paused, let p = pausedSince { pausedTotal += now - p; pausedSince = nil }
            if s == .stopped || s == .failed, stoppedAt == nil { stoppedAt = now }
            trainingState = s
            if s == .paused { say("training paused: p resumes") }
            if s == .running, message?.text.hasPrefix("training paused") == true { say("training resumed") }
        case .stepFinished(let r):
            epoch = r.epoch; step = r.step; stepInEpoch = r.stepInEpoch; stepsPerEpoch = r.stepsPerEpoch
            lossD.append(r.lossD); lossG.append(r.lossG)
            if r.seconds > 0 {
                // Exponential moving average over ~10 steps: steady numbers that still follow a change.
                let rate = 1 / r.seconds
                stepsPerSecond = stepsPerSecond.map { 0.9 * $0 + 0.1 * rate } ?? rate
                samplesPerSecond = samplesPerSecond.map { 0.9 * $0 + 0.1 * r.samplesPerSecond } ?? r.samplesPerSecond
            }
            if trainingState == .loading { trainingState = .running }
        case let .epochFinished(e, d, g, seconds):
            var text = String(format: "epoch %d done in %@: mean D %.3f, G %.3f", e, Format.duration(seconds), d, g)
            if let q = quality, qualityEpoch == e {
                text += String(format: " · fidelity %.2f", q.fidelity) + (q.ceiling.map { String(format: " (ceiling %.2f)", $0) } ?? "")
            }
            say(text, quiet: true)
        case let .qualityScored(e, report):
            let before = quality?.collapsedClasses ?? []
            quality = report; qualityEpoch = e
            fidelity.append(Float(report.fidelity))
            let newly = report.collapsedClasses.filter { !before.contains($0) }
            if !newly.isEmpty {
                say("mode collapse at epoch \(e) in \(newly.joined(separator: ", ")): near-identical samples", .error)
            }
        case let .samplesReady(e, s, specs):
            if context.listenOnly { epoch = e; step = s }    // the checkpoint's, as no step reports come
            for spec in specs {
                spectrograms[spec.classIndex] = spec
                spectrogramOrigin[spec.classIndex] = "epoch \(e) · step \(s)"
            }
        case let .epochOutputsWritten(e, png, _):
            say("epoch \(e): wrote \(Format.path(png))", quiet: true)
        case .clipSynthesized(let clip):
            return clipArrived(clip)
        case .checkpointSaved(let url):
            lastCheckpoint = url
            say("checkpoint saved to \(Format.path(url))", .success)
        case let .bestCheckpointSaved(e, url):
            // Routine: it happens at many epoch ends and must not hide what the user asked for.
            say("epoch \(e) is the best so far: saved \(Format.path(url))", quiet: true)
        case .message(let text):
            say(text, quiet: true)
        case .error(let text):
            trainingState = .failed
            lastError = text
            say(text, .error)
        case .finished:
            finished = true
            if stoppedAt == nil { stoppedAt = now }
            if trainingState != .failed { trainingState = .stopped }
            if let status = quitStatus { return [.quit(status: status)] }
            if trainingState != .failed, !context.listenOnly {
                say("training finished at epoch \(epoch): Enter plays the final generator, r a real clip", .success)
            }
        }
        return []
    }

    // MARK: - Keys

    public mutating func apply(key: Key, now: Double) -> [DashboardAction] {
        self.now = now
        // A key that closes an overlay only closes it (as in less, htop, vim); Ctrl-C still quits.
        if showHelp || showSkipped, key != .ctrlC {
            showHelp = false; showSkipped = false
            return []
        }
        showHelp = false; showSkipped = false
        let n = context.classNames.count
        switch key {
        case .up, .char("k"):
            if selected > 0 { selected -= 1 }
        case .down, .char("j"):
            if selected < n - 1 { selected += 1 }
        case .char(let c) where c.isNumber && c != "0":
            if let d = c.wholeNumberValue, d >= 1, d <= n { selected = d - 1 }
        case .enter, .char(" "):
            guard canAudition() else { break }
            stopAuditions()
            return [.stopPlayback] + request(selected, keyTime: now)
        case .char("a"):
            guard canAudition(), n > 0 else { break }
            stopAuditions()
            auditionAll = true
            auditionQueue = Array(1 ..< n)
            let actions = [.stopPlayback] + request(0, keyTime: now)
            say("auditioning all \(counted(n, "class")) in turn")
            return actions
        case .char("r"):
            guard quitStatus == nil else { break }
            stopAuditions()
            return [.stopPlayback] + requestReal(selected)
        case .char("b"):
            guard canAudition() else { break }
            if !abQueue.isEmpty {
                stopAuditions()
                say("A/B stopped")
                return [.stopPlayback]
            }
            stopAuditions()
            abQueue = Array(repeating: [ABStep.real, .generated], count: Self.abRounds).flatMap { $0 }
            abActive = true
            say("A/B: \(Self.abRounds) rounds of a real \(className) then a generated one (b stops)")
            return [.stopPlayback] + nextAB()
        case .char("w"):
            if context.skippedFiles.isEmpty { say("no files were skipped while reading the dataset") } else { showSkipped = true }
        case .char("n"):
            guard quitStatus == nil, trainingState != .failed else { break }
            say("new latent vector (a new random voice): heatmaps and auditions change from the next samples")
            return [.send(.newLatent)]
        case .char("p"):
            guard !finished, quitStatus == nil else {
                if listening { say("training has finished: nothing to pause; Enter plays, q quits") }
                break
            }
            if trainingState == .paused {
                say("resuming")
                return [.send(.resume)]
            }
            say("pausing after this step")
            return [.send(.pause)]
        case .char("s"):
            guard !finished, quitStatus == nil else {
                if listening { say("training has finished: nothing new to save; Enter plays, q quits") }
                break
            }
            say("keeping a snapshot of this state in checkpoints/")
            return [.send(.saveNow)]
        case .char("?"):
            showHelp = true
        case .char("q"), .char("Q"):
            return quit(status: 0)
        case .ctrlC:   // what SIGINT gives headless: 128 + 2, after the same save
            return quit(status: 130)
        default:
            break
        }
        return []
    }

    /// A request to leave (key, Ctrl-C or a signal): save first unless the trainer is done;
    /// a second request leaves at once without a new checkpoint.
    public mutating func quit(status: Int32) -> [DashboardAction] {
        if finished { return [.stopPlayback, .quit(status: quitStatus ?? status)] }
        if let first = quitStatus {
            return [.stopPlayback, .send(.abandon), .quit(status: first)]
        }
        quitStatus = status
        playing = nil; heldClips = []; auditionAll = false; auditionQueue = []
        say("saving a checkpoint before quitting (press q again to leave without it)")
        return [.stopPlayback, .send(.stop)]
    }

    private mutating func canAudition() -> Bool {
        if trainingState == .failed {
            say("training failed: no generator to audition", .error)
            return false
        }
        if quitStatus != nil { return false }
        return true
    }

    /// Forgets queued and held auditions (a new request replaces them).
    private mutating func stopAuditions() {
        auditionAll = false; auditionQueue = []; heldClips = []; playing = nil; abQueue = []; abActive = false
        pendingReal = nil
    }

    mutating func request(_ classIndex: Int, keyTime: Double?) -> [DashboardAction] {
        pendingRequests.append((classIndex, keyTime))
        say("synthesizing \(context.classNames[classIndex])\(Format.ellipsis)")
        return [.send(.synthesize(classIndex: classIndex))]
    }

    // MARK: - Auditions

    private mutating func clipArrived(_ clip: SynthesizedClip) -> [DashboardAction] {
        spectrograms[clip.classIndex] = clip.spectrogram
        spectrogramOrigin[clip.classIndex] = "audition · step \(step)"
        let idx = pendingRequests.firstIndex { $0.classIndex == clip.classIndex }
        let keyTime = idx.map { pendingRequests.remove(at: $0).keyTime } ?? nil
        var actions: [DashboardAction] = []
        if auditionAll, let next = auditionQueue.first {
            auditionQueue.removeFirst()
            actions += request(next, keyTime: nil)   // synthesise the next while this one plays
        }
        if auditionAll, playing != nil {
            heldClips.append(clip)
        } else {
            actions.append(startPlaying(clip, keyTime: keyTime))
        }
        return actions
    }

    private mutating func startPlaying(_ clip: SynthesizedClip, keyTime: Double?) -> DashboardAction {
        playing = (clip.classIndex, keyTime)
        // While every class plays in turn, the panel follows the clip the message names.
        if auditionAll { selected = clip.classIndex }
        return .play(clip)
    }

    public mutating func apply(playback report: PlaybackReport, now: Double) -> [DashboardAction] {
        self.now = now
        switch report {
        case let .started(k, seconds, firstSampleAt, realFile):
            if let realFile {
                say((abActive ? "A/B: " : "") + "\(playingPrefix)real \(name(k)): \(realFile), \(String(format: "%.1f", seconds)) s")
                return []
            }
            var text = (abActive ? "A/B: " : "") + "\(playingPrefix)\(abActive ? "generated " : "")\(name(k)), \(String(format: "%.1f", seconds)) s"
            if let p = playing, p.classIndex == k, let t = p.keyTime {
                lastAuditionLatency = firstSampleAt - t
                text += String(format: " (%.0f ms from key to sound)", (firstSampleAt - t) * 1000)
            }
            say(text)
            return []
        case .finished(let k):
            if playing?.classIndex == k { playing = nil }
            if !abQueue.isEmpty, playing == nil { return nextAB() }
        case let .wroteFile(_, path, reason):
            playing = nil
            say("\(reason); wrote \(path) instead")
            abQueue = []; abActive = false     // with no device A/B would only write files as fast as it can
        case .failed(let text):
            playing = nil
            abQueue = []; abActive = false
            say(text, .error)
        }
        if !heldClips.isEmpty {
            let clip = heldClips.removeFirst()
            return [startPlaying(clip, keyTime: nil)]
        }
        if auditionAll, auditionQueue.isEmpty, pendingRequests.isEmpty, playing == nil {
            auditionAll = false
        }
        return []
    }

    func name(_ k: Int) -> String {
        context.classNames.indices.contains(k) ? context.classNames[k] : "class \(k)"
    }
}

/// Number and time formats shared by the widgets.
enum Format {
    static let ellipsis = "..."

    /// 75 -> "01:15", 3725 -> "1:02:05".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded(.down))
        if s >= 86400 * 10 { return ">10 days" }
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
        return String(format: "%02d:%02d", s / 60, s % 60)
    }

    /// A loss value in 5 characters or so.
    static func loss(_ v: Float?) -> String {
        guard let v else { return "-" }
        if abs(v) >= 100 { return String(format: "%.0f", v) }
        if abs(v) >= 10 { return String(format: "%.2f", v) }
        return String(format: "%.3f", v)
    }

    static func rate(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }

    /// A path relative to the working directory when it is inside it.
    static func path(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let p = url.standardizedFileURL.path
        return p.hasPrefix(cwd + "/") ? String(p.dropFirst(cwd.count + 1)) : p
    }
}
