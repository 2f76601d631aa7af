import Foundation
import Testing

/// `cgan-tui bench audio --folder DIR --json` on a tiny folder of real WAV files at three rates.
@Suite struct BenchAudioTests {
    /// The last stdout line is one JSON object with the figures scripts read, measured on the
    /// folder given: its clip count and length are the files written here.
    @Test func jsonOnTheLastLineDescribesTheFolder() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let folder = cli.path("drums")
        for (name, rate, seconds) in [("kick/a.wav", 22050, 0.5), ("kick/b.wav", 44100, 0.25), ("snare/c.wav", 48000, 1.0)] {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let n = Int(seconds * Double(rate))
            try CLI.wav((0 ..< n).map { Float(0.5 * sin(Double($0) * 0.03)) }, sampleRate: rate).write(to: url)
        }
        let r = try cli.run(["bench", "audio", "--folder", folder.path, "--json", "--repeats", "1", "--iterations", "2"], timeout: 300)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let object = try BenchTorchTests.lastJSON(r.stdout)
        for key in ["extraction_x_1thread", "extraction_x_2threads", "synthesis_ms", "cached_reload_s_per_1000"] {
            let value = object[key] as? Double
            #expect(value.map { $0 > 0 && $0.isFinite } == true, "\(key): \(String(describing: object[key]))")
        }
        #expect(object["clips"] as? Int == 3)
        #expect(abs((object["audio_seconds"] as? Double ?? 0) - 1.75) < 1e-6)
        #expect((object["resampler"] as? String)?.hasPrefix("libsoxr") == true, "\(object)")
        #expect(object["folder"] as? String == folder.path)
        // The human-readable lines come first, the JSON object only last.
        #expect(r.stdout.contains("extraction (decode+resample+log-mel)"))
    }

    @Test func missingFolderIsOneLine() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(["bench", "audio", "--folder", cli.path("nope").path, "--json"])
        #expect(r.status == 2, "stdout: \(r.stdout)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("nope"), "stderr: \(r.stderr)")
    }
}
