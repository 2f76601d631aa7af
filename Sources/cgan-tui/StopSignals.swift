import Foundation
import GAN
import Synchronization

/// SIGINT, SIGTERM, SIGHUP and a closed stdout (SIGPIPE) while training headless: the first
/// asks the trainer to stop after the current step and save a checkpoint (the command then
/// exits 128 + the signal: 130, 143, 129, 141); a second SIGINT/SIGTERM/SIGHUP exits at once.
/// Checkpoints are written atomically, so exiting mid-save never damages the previous one.
///
/// Installed first thing, before anything is printed or created, with plain `signal` handlers
/// that write the signal's number into a pipe (libdispatch's signal sources register late, on
/// their own thread, and a signal in between was lost). One thread reads the pipe and acts by
/// phase: while the clips load nothing has been written, so a stop exits at once; from the
/// moment the run folder is about to be written a stop is recorded, and handed to the trainer
/// before its first step.
final class StopSignals: Sendable {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

    private enum Phase {
        case loading
        case recording
        case training(Trainer)
        /// The dashboard installed its own handling; a signal that still reaches us stops quietly.
        case dashboard(Trainer)
    }
    private struct State {
        var phase = Phase.loading
        var first: Int32?
        var count = 0
        /// `cgan-tui --resume RUN`, for the message of a second signal.
        var resumeHint = ""
    }
    private let state = Mutex(State())

    /// The signal that asked to stop, if any.
    var received: Int32? { state.withLock { $0.first } }

    nonisolated init() {
        _ = signalPipe    // made before any handler can run
        Self.install()
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let n = read(signalPipe.read, &byte, 1)
                if n == 1 { handle(Int32(byte)) } else if n < 0 && errno != EINTR { return }
            }
        }
        thread.name = "cgan-tui.signals"
        thread.start()
    }

    /// The run folder is about to be written: stops are kept for the trainer from now on.
    func recordFromNowOn() { state.withLock { $0.phase = .recording } }

    /// Stops reach `trainer` from now on; one recorded earlier is sent at once, so it stops
    /// before its first step.
    func attach(_ trainer: Trainer, resumeHint: String) {
        let pending = state.withLock { s -> Bool in
            s.phase = .training(trainer)
            s.resumeHint = resumeHint
            return s.first != nil
        }
        if pending { trainer.send(.stop) }
    }

    /// The dashboard is about to install its own handling. False when a stop already arrived:
    /// stay headless, which reports it.
    func handOverToDashboard() -> Bool {
        state.withLock { s -> Bool in
            guard s.first == nil, case .training(let t) = s.phase else { return false }
            s.phase = .dashboard(t)
            return true
        }
    }

    /// The dashboard could not start: the run goes on headless under these handlers again.
    func takeBack() {
        state.withLock { s in
            if case .dashboard(let t) = s.phase { s.phase = .training(t) }
        }
        Self.install()
    }

    /// Our handler for each signal, except SIGHUP when it was ignored on entry (`nohup` asked
    /// for that). SIGINT is taken even when a script started us in the background with it
    /// ignored: `kill -INT` has always meant "stop and save" here. The signals are also
    /// unblocked: a parent's blocked mask is inherited (Foundation's `Process` started from a
    /// Dispatch thread passes SIGINT, SIGTERM and SIGHUP blocked), and a blocked signal never
    /// reaches a handler.
    private static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in handled {
            let previous = signal(sig, forwardSignal)
            if sig == SIGHUP, let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(sig, SIG_IGN)
                continue
            }
            sigaddset(&unblock, sig)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Back to the default dispositions (after training, so a late Ctrl-C just ends the
    /// process); SIGPIPE stays ignored so the last lines cannot kill it.
    func cancel() {
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
        signal(SIGPIPE, SIG_IGN)
    }

    private enum Action { case none, exitNow(Int32, String?), stop(Trainer, String?) }

    private func handle(_ sig: Int32) {
        let action = state.withLock { s -> Action in
            // Every later write to the closed stdout raises SIGPIPE again: not a second Ctrl-C.
            if sig == SIGPIPE, s.first != nil { return .none }
            s.count += 1
            if s.first == nil { s.first = sig }
            switch s.phase {
            case .loading:
                return .exitNow(sig, sig == SIGPIPE ? nil : "\(Self.name(sig)) before training began; nothing was written")
            case .recording:
                return .none
            case .training(let trainer):
                let hint = s.resumeHint
                if s.count == 1 {
                    let why = sig == SIGPIPE ? "stdout was closed" : Self.name(sig)
                    return .stop(trainer, "\(why): stopping after this step and saving a checkpoint"
                                          + (sig == SIGPIPE ? "" : " (Ctrl-C again to quit at once)"))
                }
                let latest = FileManager.default.fileExists(atPath: trainer.layout.latestCheckpoint.path)
                return .exitNow(s.first!, latest
                    ? "stopped at once; the last checkpoint is intact: \(hint) continues from it"
                    : "stopped at once, before the first checkpoint: \(hint) starts it again from epoch 1")
            case .dashboard(let trainer):
                return s.count == 1 && sig != SIGPIPE ? .stop(trainer, nil) : .none
            }
        }
        switch action {
        case .none: break
        case .stop(let trainer, let message):
            if let message { Console.write("\ncgan-tui: \(message)\n", to: STDERR_FILENO) }
            trainer.send(.stop)
        case .exitNow(let sig, let message):
            if let message { Console.write("\ncgan-tui: \(message)\n", to: STDERR_FILENO) }
            _exit(128 + sig)
        }
    }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: "interrupted"
        case SIGTERM: "terminated"
        case SIGHUP: "hung up"
        default: "signal \(sig)"
        }
    }
}

/// The pipe from the signal handler to the thread that acts on it.
private let signalPipe: (read: Int32, write: Int32) = {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { fatalError("cannot create the signal pipe: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    // A handler must never block: with 64 KB of signals unread, more are dropped.
    _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
    return (fds[0], fds[1])
}()

/// The handler: async-signal-safe, it only writes the signal's number into the pipe.
private func forwardSignal(_ sig: Int32) {
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipe.write, &byte, 1)
    errno = saved
}
