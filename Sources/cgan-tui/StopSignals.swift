import Dispatch
import Foundation
import GAN
import Synchronization

/// SIGINT / SIGTERM while training: the first asks the trainer to stop after the current step
/// and save a checkpoint (the front end then exits 130 / 143); a second one exits at once.
/// Checkpoints are written atomically, so exiting mid-save never damages the previous one.
///
/// The sources are made in a `nonisolated` function on their own queue: a handler written at
/// the top level of the main file would be inferred `@MainActor` and trap when it runs here,
/// and the main thread is busy reading trainer events anyway.
final class StopSignals: Sendable {
    private let queue = DispatchQueue(label: "cgan-tui.signals")
    private let state = Mutex<(count: Int, signal: Int32)>((0, 0))
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    /// The signal that asked to stop (SIGINT or SIGTERM), if any.
    var received: Int32? { state.withLock { $0.count > 0 ? $0.signal : nil } }
    /// The exit status for the received signal: 128 + its number.
    var exitStatus: Int32? { received.map { 128 + $0 } }

    nonisolated init(onFirst: @escaping @Sendable (Int32) -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [self] in
                let count = state.withLock { s -> Int in
                    if s.count == 0 { s.signal = sig }
                    s.count += 1
                    return s.count
                }
                if count == 1 {
                    onFirst(sig)
                } else {
                    FileHandle.standardError.write(Data("\ncgan-tui: stopped at once; the previous checkpoint is intact\n".utf8))
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Back to the default dispositions (after training, so a late Ctrl-C just ends the process).
    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
