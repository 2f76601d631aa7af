import CALSA
import Foundation
import Synchronization

/// What happened to a clip handed to `ALSAPlayer.play`. Reported on the player's thread.
public enum PlayerEvent: Sendable, Equatable {
    /// The device opened and the first samples were handed to ALSA at `firstSampleAt`
    /// (monotonic seconds, `DispatchTime.now().uptimeNanoseconds / 1e9`).
    case started(id: Int, firstSampleAt: Double)
    /// Every sample was played (or written, for a file PCM) and the device closed.
    case finished(id: Int)
    /// A newer request (or `stop`) cut this clip short.
    case interrupted(id: Int)
    /// The device did not open or failed while playing; `reason` is one line for a person that
    /// names the device and ALSA's error ("audio device hw:9 failed: No such device").
    case unavailable(id: Int, reason: String)
}

/// Plays mono Float clips through ALSA on its own thread. One clip at a time: a new request
/// stops the one playing. ALSA's own stderr diagnostics are silenced (they would wreck a
/// full-screen terminal); failures come back as `.unavailable` so the caller can, for
/// example, write the clip to a file instead. The only file that imports CALSA.
public final class ALSAPlayer: Sendable {
    public let device: String
    private let onEvent: @Sendable (PlayerEvent) -> Void

    private struct Request: Sendable { var id: Int; var samples: [Float]; var sampleRate: Int }
    private struct Mailbox: Sendable {
        var next: Request?
        var cancelCurrent = false
        var shuttingDown = false
        var lastID = 0
    }
    private let mailbox = Mutex(Mailbox())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Frames per `snd_pcm_writei`: ~46 ms at 22.05 kHz, so a new request cuts in quickly.
    static let chunkFrames = 1024

    public init(device: String = "default", onEvent: @escaping @Sendable (PlayerEvent) -> Void) {
        self.device = device
        self.onEvent = onEvent
        ALSAPlayer.silenceDiagnostics()
        let thread = Thread { [self] in self.run() }
        thread.name = "cgan-tui.playback"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// ALSA prints "ALSA lib ..." lines to stderr by default; route them to a no-op handler.
    public static func silenceDiagnostics() { cgan_alsa_silence_errors() }

    /// Queues a clip, stopping the one playing. Returns the clip's id for the events.
    @discardableResult
    public func play(_ samples: [Float], sampleRate: Int) -> Int {
        let id = mailbox.withLock { m -> Int in
            m.lastID += 1
            m.next = Request(id: m.lastID, samples: samples, sampleRate: sampleRate)
            m.cancelCurrent = true
            return m.lastID
        }
        wake.signal()
        return id
    }

    /// Stops the clip playing (if any) and drops a queued one.
    public func stop() {
        mailbox.withLock { $0.next = nil; $0.cancelCurrent = true }
        wake.signal()
    }

    /// Stops playback and waits for the thread to end. Call once, before exit.
    public func shutdown() {
        mailbox.withLock { $0.next = nil; $0.cancelCurrent = true; $0.shuttingDown = true }
        wake.signal()
        done.wait()
    }

    /// A file PCM (`file:FILE=...`, or a `type file` PCM in the ALSA configuration) stays open from
    /// its first clip to `shutdown`: ALSA truncates the file each time it opens it, and everything
    /// played must be kept, one clip after another in one WAV. Lives on the player thread only.
    private struct Recording { var pcm: OpaquePointer; var sampleRate: Int }

    private func run() {
        var recording: Recording?
        while true {
            wake.wait()
            let (request, quit) = mailbox.withLock { m -> (Request?, Bool) in
                let r = m.next
                m.next = nil
                m.cancelCurrent = false
                return (r, m.shuttingDown)
            }
            if quit { break }
            if let request { playNow(request, recording: &recording) }
        }
        // Closing a file PCM writes the WAV header's final sizes.
        if let recording { snd_pcm_close(recording.pcm) }
        done.signal()
    }

    private var cancelled: Bool { mailbox.withLock { $0.cancelCurrent || $0.shuttingDown } }

    private func playNow(_ r: Request, recording: inout Recording?) {
        guard let pcm = open(for: r, recording: &recording) else { return }
        defer { if recording?.pcm != pcm { snd_pcm_close(pcm) } }
        // Converted one chunk at a time, so the first samples reach ALSA without waiting for
        // the whole clip.
        var chunk = [Int16](repeating: 0, count: ALSAPlayer.chunkFrames)
        var offset = 0
        var started = false
        while offset < r.samples.count {
            if cancelled {
                snd_pcm_drop(pcm)
                onEvent(.interrupted(id: r.id))
                return
            }
            let n = min(ALSAPlayer.chunkFrames, r.samples.count - offset)
            for i in 0 ..< n {
                let s = r.samples[offset + i]
                chunk[i] = Int16(((s.isFinite ? max(-1, min(1, s)) : 0) * 32767).rounded())
            }
            if !started {
                started = true
                onEvent(.started(id: r.id, firstSampleAt: ALSAPlayer.monotonicNow()))
            }
            var done = 0
            while done < n {
                let written = chunk.withUnsafeBufferPointer { snd_pcm_writei(pcm, $0.baseAddress! + done, snd_pcm_uframes_t(n - done)) }
                if written < 0 {
                    // An underrun (-EPIPE) or a suspend: recover and retry the rest of the chunk.
                    if snd_pcm_recover(pcm, Int32(written), 1) < 0 {
                        onEvent(.unavailable(id: r.id, reason: "audio device \(device) failed: \(ALSAPlayer.describe(Int32(written)))"))
                        return
                    }
                    continue
                }
                done += Int(written)
            }
            offset += n
        }
        if cancelled {
            snd_pcm_drop(pcm)
            onEvent(.interrupted(id: r.id))
            return
        }
        snd_pcm_drain(pcm)
        onEvent(.finished(id: r.id))
    }

    /// The device ready for the clip: the recording kept open, or the device opened and set up.
    /// Nil after reporting why not, in one line that names the device and ALSA's reason.
    private func open(for r: Request, recording: inout Recording?) -> OpaquePointer? {
        if let kept = recording {
            guard kept.sampleRate == r.sampleRate else {
                onEvent(.unavailable(id: r.id, reason: "audio device \(device) records at \(kept.sampleRate) Hz, this clip is \(r.sampleRate) Hz"))
                return nil
            }
            // The last clip's drain or drop left it set up but not prepared.
            let rc = snd_pcm_prepare(kept.pcm)
            guard rc >= 0 else {
                onEvent(.unavailable(id: r.id, reason: "audio device \(device) failed: \(ALSAPlayer.describe(rc))"))
                return nil
            }
            return kept.pcm
        }
        var opened: OpaquePointer?
        var rc = snd_pcm_open(&opened, device, SND_PCM_STREAM_PLAYBACK, 0)
        guard rc >= 0, let pcm = opened else {
            onEvent(.unavailable(id: r.id, reason: "audio device \(device) failed: \(ALSAPlayer.describe(rc))"))
            return nil
        }
        // 16-bit: every device and the file PCM's WAV writer take it; `soft_resample` lets the
        // plug layer convert the rate; 100 ms of buffer keeps a new request snappy.
        rc = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1,
                                UInt32(max(1, r.sampleRate)), 1, 100_000)
        guard rc >= 0 else {
            snd_pcm_close(pcm)
            onEvent(.unavailable(id: r.id, reason: "audio device \(device) refused 16-bit mono at \(r.sampleRate) Hz: \(ALSAPlayer.describe(rc))"))
            return nil
        }
        if snd_pcm_type(pcm) == SND_PCM_TYPE_FILE { recording = Recording(pcm: pcm, sampleRate: r.sampleRate) }
        return pcm
    }

    static func describe(_ rc: Int32) -> String {
        guard let s = snd_strerror(rc) else { return "error \(rc)" }
        return String(cString: s)
    }

    /// The clock `PlayerEvent.started` uses (the same one as `SynthesizedClip.requestedAt`).
    public static func monotonicNow() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
