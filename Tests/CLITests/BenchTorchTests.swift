import Foundation
import Support
import Testing

/// `cgan-tui bench train --torch`: reading scripts/torch_step_bench.py's output (as a unit, with
/// sample text), and the command skipping the comparison with one line and exit 0 when it
/// cannot run. CI has neither Python nor PyTorch, so nothing here runs them.
@Suite struct BenchTorchTests {
    static let json = #"{"batch": 16, "best_format": "channels_last", "best_samples_per_s": 14.6, "channels_last_samples_per_s": 14.6, "cpu_capability": "AVX512", "nchw_samples_per_s": 13.1, "peak_rss_mb": 1430.5, "runs": [], "steps": 4, "threads": 2, "torch_version": "2.15.0"}"#

    @Test func readsTheLastLineAsTheMeasurement() throws {
        let stdout = "torch 2.15.0, AVX512 kernels\nthreads 2, nchw: median step 1.221 s of 4 -> 13.1 samples/s (fastest 13.4)\n"
            + "threads 2, channels_last: median step 1.096 s of 4 -> 14.6 samples/s (fastest 14.9)\npeak RSS 1431 MB\n" + Self.json + "\n"
        let m = try TorchBench.interpret(status: 0, stdout: stdout, stderr: "").get()
        #expect(m.torchVersion == "2.15.0" && m.cpuCapability == "AVX512" && m.threads == 2)
        #expect(m.nchwSamplesPerSecond == 13.1 && m.channelsLastSamplesPerSecond == 14.6)
        #expect(m.bestSamplesPerSecond == 14.6 && m.bestFormat == "channels_last" && m.peakRSSMegabytes == 1430.5)
        // 15.768 / 14.6 = 1.08 (up to rounding, which %.2f absorbs).
        #expect(TorchBench.summary(m, oursSamplesPerSecond: 15.768)
            == "PyTorch 2.15.0 measured in this run (2 threads, AVX512): 13.1 samples/s NCHW, 14.6 channels_last -> cgan-tui is 1.08x its best (channels_last)")
    }

    @Test func oneMemoryFormat() throws {
        let line = #"{"best_format": "nchw", "best_samples_per_s": 8.0, "channels_last_samples_per_s": null, "nchw_samples_per_s": 8.0, "threads": 1, "torch_version": "2.15.0"}"#
        let m = try TorchBench.interpret(status: 0, stdout: line, stderr: "").get()
        #expect(m.channelsLastSamplesPerSecond == nil && m.cpuCapability == nil)
        #expect(TorchBench.summary(m, oursSamplesPerSecond: 4)
            == "PyTorch 2.15.0 measured in this run (1 thread): 8.0 samples/s NCHW -> cgan-tui is 0.50x its speed")
    }

    @Test func reasonsForSkipping() {
        func reason(_ status: Int32, _ stdout: String, _ stderr: String = "") -> String? {
            if case .failure(let s) = TorchBench.interpret(status: status, stdout: stdout, stderr: stderr) { return s.reason }
            return nil
        }
        let noTorch = "Traceback (most recent call last):\n  File \"scripts/torch_step_bench.py\", line 22, in <module>\n    import torch\nModuleNotFoundError: No module named 'torch'\n"
        #expect(reason(1, "", noTorch) == "PyTorch failed to import (ModuleNotFoundError: No module named 'torch')")
        #expect(reason(2, "", "usage: torch_step_bench.py [-h]\ntorch_step_bench.py: error: unrecognized arguments: --bogus\n")
            == "the script exited with status 2 (torch_step_bench.py: error: unrecognized arguments: --bogus)")
        #expect(reason(0, "") == "the script printed nothing on stdout")
        #expect(reason(0, "torch 2.15.0, AVX512 kernels\npeak RSS 1431 MB\n")
            == "the script's last output line is not the expected JSON object (peak RSS 1431 MB)")
        // JSON, but without the best figure.
        #expect(reason(0, #"{"torch_version": "2.15.0", "threads": 2}"#)?.hasPrefix("the script's last output line is not the expected JSON object") == true)
        #expect(reason(0, Self.json) == nil)
    }

    /// The smallest bench (1 step of batch 2, 1 thread) takes a few seconds in a debug build.
    static let quick = ["bench", "train", "--steps", "1", "--batch-size", "2", "--threads", "1", "--json"]

    static func lastJSON(_ stdout: String) throws -> [String: Any] {
        let last = try #require(stdout.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    }

    @Test func missingScriptIsSkippedWithOneLine() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(Self.quick + ["--torch", "--torch-script", "/nonexistent/x.py"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let skipped = r.stdout.split(separator: "\n").filter { $0.hasPrefix("PyTorch comparison skipped:") }
        #expect(skipped == ["PyTorch comparison skipped: script not found: /nonexistent/x.py (--torch-script; the default is relative to the current folder)"])
        let object = try Self.lastJSON(r.stdout)
        #expect(object["train_samples_per_s"] is Double)
        #expect(object["torch_samples_per_s"] == nil && object["speedup_vs_torch"] == nil)
    }

    /// python3 missing from PATH: the default script path is not even needed to say so.
    @Test func missingPythonIsSkipped() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        try Data("print('never run')\n".utf8).write(to: cli.path("bench.py"))
        let r = try cli.run(Self.quick + ["--torch", "--torch-script", "bench.py"], environment: ["PATH": cli.path("empty").path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("\nPyTorch comparison skipped: python3 not found on PATH\n"))
    }

    /// Without --torch nothing is compared: no figure measured elsewhere (or at another batch
    /// size) is set against this run's.
    @Test func withoutTorchNothingIsCompared() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(Self.quick)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("train step (batch 2,"), "stdout: \(r.stdout)")
        #expect(!r.stdout.contains("PyTorch") && !r.stdout.contains(" vs ") && !r.stdout.contains("19 samples/s"), "stdout: \(r.stdout)")
        #expect(try Self.lastJSON(r.stdout)["torch_samples_per_s"] == nil)
    }

    /// One spelling per idea: the batch is --batch-size here as in training (no --batch alias).
    @Test func batchIsSpelledAsInTraining() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(["bench", "train", "--steps", "1", "--batch", "2"])
        #expect(r.status == 2 && r.stderr.contains("Unknown option '--batch'"), "status \(r.status), stderr: \(r.stderr)")
        let help = try cli.run(["help", "bench", "train"])
        #expect(help.stdout.contains("--batch-size <batch-size>"), "\(help.stdout)")
    }
}
