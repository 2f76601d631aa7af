import Foundation

/// What `scripts/torch_step_bench.py --json` reports, and how `cgan-tui bench train --torch`
/// reads it. Pure functions of the subprocess's exit status and output, so they are tested
/// without Python.
public enum TorchBench {
    /// The last stdout line of the script with `--json`.
    public struct Measurement: Sendable, Equatable, Decodable {
        public var torchVersion: String
        public var cpuCapability: String?
        public var threads: Int
        public var nchwSamplesPerSecond: Double?
        public var channelsLastSamplesPerSecond: Double?
        public var bestSamplesPerSecond: Double
        public var bestFormat: String
        public var peakRSSMegabytes: Double?

        enum CodingKeys: String, CodingKey {
            case torchVersion = "torch_version", cpuCapability = "cpu_capability", threads
            case nchwSamplesPerSecond = "nchw_samples_per_s", channelsLastSamplesPerSecond = "channels_last_samples_per_s"
            case bestSamplesPerSecond = "best_samples_per_s", bestFormat = "best_format", peakRSSMegabytes = "peak_rss_mb"
        }
    }

    /// Why the comparison was skipped, as one line for the user.
    public struct Skipped: Error, Sendable, Equatable {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
    }

    /// The script's measurement, or why there is none: a non-zero exit (PyTorch failing to
    /// import is named as such), or a last stdout line that is not the expected JSON object.
    public static func interpret(status: Int32, stdout: String, stderr: String) -> Result<Measurement, Skipped> {
        guard status == 0 else {
            let last = lastLine(stderr) ?? lastLine(stdout) ?? "no output"
            if stderr.contains("No module named 'torch'") || (stderr.contains("ImportError") && stderr.contains("torch")) {
                return .failure(Skipped("PyTorch failed to import (\(clipped(last)))"))
            }
            return .failure(Skipped("the script exited with status \(status) (\(clipped(last)))"))
        }
        guard let last = lastLine(stdout) else {
            return .failure(Skipped("the script printed nothing on stdout"))
        }
        guard let m = try? JSONDecoder().decode(Measurement.self, from: Data(last.utf8)),
              m.bestSamplesPerSecond.isFinite, m.bestSamplesPerSecond > 0 else {
            return .failure(Skipped("the script's last output line is not the expected JSON object (\(clipped(last)))"))
        }
        return .success(m)
    }

    /// `PyTorch 2.15.0 measured in this run (2 threads, AVX512): 13.1 samples/s NCHW, 14.6 channels_last -> cgan-tui is 1.08x its best`
    public static func summary(_ m: Measurement, oursSamplesPerSecond ours: Double) -> String {
        var measured: [(Double, String)] = []
        if let v = m.nchwSamplesPerSecond { measured.append((v, "NCHW")) }
        if let v = m.channelsLastSamplesPerSecond { measured.append((v, "channels_last")) }
        if measured.isEmpty { measured.append((m.bestSamplesPerSecond, m.bestFormat)) }
        let formats = measured.enumerated().map { i, f in
            String(format: "%.1f", f.0) + (i == 0 ? " samples/s " : " ") + f.1
        }
        let kernels = m.cpuCapability.map { ", \($0)" } ?? ""
        let best = formats.count > 1 ? "its best (\(m.bestFormat))" : "its speed"
        return "PyTorch \(m.torchVersion) measured in this run (\(m.threads) thread\(m.threads == 1 ? "" : "s")\(kernels)): "
            + formats.joined(separator: ", ")
            + String(format: " -> cgan-tui is %.2fx ", ours / m.bestSamplesPerSecond) + best
    }

    static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func clipped(_ line: String, to limit: Int = 160) -> String {
        line.count <= limit ? line : String(line.prefix(limit)) + "..."
    }
}
