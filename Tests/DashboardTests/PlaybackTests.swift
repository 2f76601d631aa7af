import Foundation
import Testing
import Playback
import Synchronization

/// ALSA for real: the `null` PCM, a `file` PCM that writes what reached ALSA to a WAV, and a
/// device that does not exist. Serialized: ALSA's error handler and stderr are process-wide.
@Suite(.serialized) struct PlaybackTests {
    final class Recorder: Sendable {
        let events = Mutex<[PlayerEvent]>([])
        let done = DispatchSemaphore(value: 0)
        func record(_ e: PlayerEvent) {
            events.withLock { $0.append(e) }
            switch e {
            case .finished, .unavailable, .interrupted: done.signal()
            case .started: break
            }
        }
        func waitForEnd(_ seconds: Double = 10) -> Bool { done.wait(timeout: .now() + seconds) == .success }
    }

    /// 0.5 s of a 440 Hz sine at 0.5 amplitude, 22.05 kHz.
    static let tone: [Float] = (0 ..< 11025).map { 0.5 * sin(2 * .pi * 440 * Float($0) / 22050) }

    @Test func nullDevicePlaysToTheEnd() {
        let r = Recorder()
        let player = ALSAPlayer(device: "null") { r.record($0) }
        defer { player.shutdown() }
        let before = ALSAPlayer.monotonicNow()
        let id = player.play(Self.tone, sampleRate: 22050)
        #expect(r.waitForEnd())
        let events = r.events.withLock { $0 }
        #expect(events.count == 2)
        guard case let .started(sid, t) = events.first else { Issue.record("no start: \(events)"); return }
        #expect(sid == id && t >= before)
        #expect(events.last == .finished(id: id))
    }

    @Test func filePCMReceivesExactlyTheSamples() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-alsa-\(getpid()).wav").path
        defer { unlink(path) }
        let r = Recorder()
        let player = ALSAPlayer(device: "file:FILE=\(path),FORMAT=wav") { r.record($0) }
        defer { player.shutdown() }
        let id = player.play(Self.tone, sampleRate: 22050)
        #expect(r.waitForEnd())
        #expect(r.events.withLock { $0.last } == .finished(id: id))
        let wav = try WAVReader.read(path)
        #expect(wav.sampleRate == 22050 && wav.channels == 1 && wav.bitsPerSample == 16)
        #expect(wav.samples.count == Self.tone.count)
        // 16-bit quantisation: each sample within half a step (1/32767) of the original, plus rounding slack.
        let maxErr = zip(wav.samples, Self.tone).map { abs($0 - $1) }.max()!
        #expect(maxErr < 1.0 / 32767 + 1e-6)
        let rms = (wav.samples.map { $0 * $0 }.reduce(0, +) / Float(wav.samples.count)).squareRoot()
        #expect(abs(rms - 0.5 / Float(2).squareRoot()) < 0.01)   // a 0.5-amplitude sine: rms 0.354, not silence
    }

    /// A file PCM records what is played: every clip, one after another, in one WAV that is
    /// complete when the player shuts down (ALSA truncates the file on each open, so the player
    /// keeps a file PCM open instead of reopening it per clip).
    @Test func filePCMKeepsEveryClip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-alsa-all-\(getpid()).wav").path
        defer { unlink(path) }
        let r = Recorder()
        let player = ALSAPlayer(device: "file:FILE=\(path),FORMAT=wav") { r.record($0) }
        let quiet = (0 ..< 5000).map { 0.25 * sin(2 * .pi * 110 * Float($0) / 22050) }
        let first = player.play(Self.tone, sampleRate: 22050)
        #expect(r.waitForEnd())
        let second = player.play(quiet, sampleRate: 22050)
        #expect(r.waitForEnd())
        // Another rate cannot go into the same WAV: reported, and the recording so far is kept.
        let third = player.play(quiet, sampleRate: 16000)
        #expect(r.waitForEnd())
        player.shutdown()
        let events = r.events.withLock { $0 }
        #expect(events.contains(.finished(id: first)) && events.contains(.finished(id: second)), "\(events)")
        #expect(events.last == .unavailable(id: third, reason: "audio device file:FILE=\(path),FORMAT=wav records at 22050 Hz, this clip is 16000 Hz"),
                "\(events)")
        let wav = try WAVReader.read(path)
        #expect(wav.sampleRate == 22050 && wav.samples.count == Self.tone.count + quiet.count)
        let played = Self.tone + quiet
        let maxErr = zip(wav.samples, played).map { abs($0 - $1) }.max() ?? 1
        #expect(maxErr < 1.0 / 32767 + 1e-6)
    }

    @Test func missingDeviceIsReportedQuietly() throws {
        let r = Recorder()
        // Capture fd 2 while ALSA tries the device: its "ALSA lib ..." lines must not appear.
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-stderr-\(getpid()).txt").path
        defer { unlink(capture) }
        let saved = dup(2)
        let fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(fd, 2); close(fd)
        let player = ALSAPlayer(device: "hw:CARD=cgan_no_such_card") { r.record($0) }
        let id = player.play(Self.tone, sampleRate: 22050)
        let ended = r.waitForEnd()
        player.shutdown()
        dup2(saved, 2); close(saved)
        #expect(ended)
        guard case let .unavailable(uid, reason) = r.events.withLock({ $0.last }) else {
            Issue.record("expected unavailable, got \(r.events.withLock { $0 })"); return
        }
        #expect(uid == id)
        // The device and ALSA's reason, as the message line says them ("...; wrote FILE instead").
        #expect(reason == "audio device hw:CARD=cgan_no_such_card failed: No such device")
        let stderrText = try String(contentsOfFile: capture, encoding: .utf8)
        #expect(!stderrText.contains("ALSA lib"), "ALSA wrote to stderr: \(stderrText)")
    }

    @Test func newRequestStopsTheClipPlaying() {
        let r = Recorder()
        let player = ALSAPlayer(device: "null") { r.record($0) }
        defer { player.shutdown() }
        // The null PCM does not pace, so the first clip is made long (10 min at 22.05 kHz,
        // 13 M samples, 13 k chunks): it is still being written when the second request comes.
        let long = [Float](repeating: 0.25, count: 22050 * 60 * 10)
        let first = player.play(long, sampleRate: 22050)
        #expect(Self.waitUntil { r.events.withLock { $0.contains { if case .started(first, _) = $0 { true } else { false } } } })
        let second = player.play(Self.tone, sampleRate: 22050)
        #expect(Self.waitUntil { r.events.withLock { $0.contains(.finished(id: second)) } })
        let events = r.events.withLock { $0 }
        #expect(events.contains(.interrupted(id: first)), "\(events)")
        #expect(!events.contains(.finished(id: first)))
        // Order: the first clip stops before the second starts.
        let stop = events.firstIndex(of: .interrupted(id: first))!
        let start = events.firstIndex { if case .started(second, _) = $0 { true } else { false } }!
        #expect(stop < start)
    }

    static func waitUntil(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end { if condition() { return true }; usleep(2000) }
        return condition()
    }

    @Test func auditionFileIsNumberedWAV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-auditions-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try AuditionFile.write(Self.tone, sampleRate: 22050, className: "snare drum", folder: dir)
        let b = try AuditionFile.write(Self.tone, sampleRate: 22050, className: "snare drum", folder: dir)
        #expect(a.lastPathComponent == "snare_drum_0001.wav")
        #expect(b.lastPathComponent == "snare_drum_0002.wav")
        let wav = try WAVReader.read(b.path)
        #expect(wav.samples.count == Self.tone.count && wav.sampleRate == 22050)
        #expect(abs(wav.samples[100] - Self.tone[100]) < 1.0 / 32767 + 1e-6)
    }
}

/// A minimal reader for the 16-bit PCM WAV files the tests check (the ALSA file PCM and the
/// audition fallback write them); walks the chunks rather than assuming a 44-byte header.
enum WAVReader {
    struct WAV { var sampleRate: Int; var channels: Int; var bitsPerSample: Int; var samples: [Float] }

    static func read(_ path: String) throws -> WAV {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 | Int(d[o + 2]) << 16 | Int(d[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 }
        guard d.count >= 12, String(bytes: d[0 ..< 4], encoding: .ascii) == "RIFF",
              String(bytes: d[8 ..< 12], encoding: .ascii) == "WAVE" else { throw WAVError("not a WAV: \(path)") }
        var o = 12
        var rate = 0, channels = 0, bits = 0
        while o + 8 <= d.count {
            let id = String(bytes: d[o ..< o + 4], encoding: .ascii) ?? ""
            var size = u32(o + 4)
            if id == "fmt " {
                channels = u16(o + 10); rate = u32(o + 12); bits = u16(o + 22)
            } else if id == "data" {
                // A writer that never finalised the header leaves 0 or 0xffffffff: take the rest.
                if size == 0 || o + 8 + size > d.count { size = d.count - o - 8 }
                guard bits == 16 else { throw WAVError("expected 16-bit, found \(bits)") }
                let samples = stride(from: o + 8, to: o + 8 + size - 1, by: 2).map { Float(Int16(bitPattern: UInt16(u16($0)))) / 32767 }
                return WAV(sampleRate: rate, channels: channels, bitsPerSample: bits, samples: samples)
            }
            o += 8 + size + (size & 1)
        }
        throw WAVError("no data chunk in \(path)")
    }

    struct WAVError: Error, CustomStringConvertible { var description: String; init(_ s: String) { description = s } }
}
