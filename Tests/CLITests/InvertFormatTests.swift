import Foundation
import Testing

/// `invert --out` writes the format its extension names, and refuses an extension it cannot
/// write before doing any work, leaving nothing behind. Before the fix every name got a WAV.
@Suite struct InvertFormatTests {
    @Test func outputFormatFollowsTheExtension() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let data = try cli.makeDataset()
        let clip = data.appendingPathComponent("low/low_0.wav").path
        let mel = try cli.run(["mel", clip, "--npy", "x.npy", "--n-mels", "16", "--frames", "32"])
        #expect(mel.status == 0, "\(mel.stderr)")
        // The first bytes each container starts with; an MP3 with no tag starts with an MPEG
        // frame's 11-bit sync (0xFF, then 3 more set bits).
        let magic: [String: (Data) -> Bool] = [
            "back.wav": { $0.starts(with: Data("RIFF".utf8)) }, "BACK.WAV": { $0.starts(with: Data("RIFF".utf8)) },
            "back.flac": { $0.starts(with: Data("fLaC".utf8)) }, "back.ogg": { $0.starts(with: Data("OggS".utf8)) },
            "back.aiff": { $0.starts(with: Data("FORM".utf8)) }, "back.aif": { $0.starts(with: Data("FORM".utf8)) },
            "back.mp3": { $0.count > 2 && $0[$0.startIndex] == 0xFF && $0[$0.startIndex + 1] & 0xE0 == 0xE0 }]
        for (name, isFormat) in magic.sorted(by: { $0.key < $1.key }) {
            let r = try cli.run(["invert", "x.npy", "--out", name, "--iterations", "2"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let bytes = (try? Data(contentsOf: cli.path(name))) ?? Data()
            #expect(isFormat(bytes), "\(name) starts with \(Array(bytes.prefix(4)))")
        }
        // Each decodes back (through `mel`, i.e. libsndfile) to a non-silent spectrogram.
        for name in ["back.flac", "back.ogg", "back.aiff", "back.mp3"] {
            let r = try cli.run(["mel", name, "--npy", "\(name).npy", "--n-mels", "16", "--frames", "32"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
        for name in ["back.m4a", "back.txt", "back", "back.wv"] {
            let r = try cli.run(["invert", "x.npy", "--out", name, "--iterations", "2"])
            #expect(r.status == 2, "\(name): \(r.status)")
            #expect(r.stderr.contains("--out \(name)") && r.stderr.contains(".flac"), "\(name): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.path(name).path))
        }
    }
}
