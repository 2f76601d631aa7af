import Foundation
import Testing

/// The OpenBLAS kernels the binary runs, as headless training reports them: chosen by the CPU's
/// features (expected here from /proc/cpuinfo, not from the code under test), the user's
/// OPENBLAS_CORETYPE always winning, and the restart that applies a choice invisible to the caller.
@Suite struct KernelChoiceCLITests {
    static let flags: Set<String> = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        return Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
    }()
    static let avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx2", "fma"].allSatisfy(flags.contains)
    static let avx2 = ["avx2", "fma"].allSatisfy(flags.contains)

    /// The kernels line of a one-epoch tiny run with `environment`.
    func kernelsLine(_ environment: [String: String]) throws -> String {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny, environment: environment)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return r.stdout.split(separator: "\n").first { $0.hasPrefix("cgan-tui: OpenBLAS ") }.map(String.init) ?? "(no kernels line) \(r.stdout)"
    }

    // OpenBLAS treats an empty OPENBLAS_CORETYPE as unset; "" keeps a value the test runner has out of the child.
    static let unset = ["OPENBLAS_CORETYPE": "", "CGAN_TUI_MAX_ISA": ""]

    @Test(.enabled(if: avx2, "the CPU has no AVX2+FMA: OpenBLAS's own choice stays"))
    func withoutTheVariableTheCPUsBestKernelsRun() throws {
        let line = try kernelsLine(Self.unset)
        let expected = Self.avx512 ? ["SkylakeX", "Cooperlake", "SapphireRapids"] : ["Haswell", "Zen"]
        #expect(expected.contains { line.hasPrefix("cgan-tui: OpenBLAS \($0) kernels (") }, "\(line)")
        #expect(line.contains("chosen for") || line.contains("OpenBLAS's own choice, right for"), "\(line)")
    }

    @Test func theUsersValueWins() throws {
        for env in [["OPENBLAS_CORETYPE": "Prescott"], ["OPENBLAS_CORETYPE": "Prescott", "CGAN_TUI_MAX_ISA": "avx2"]] {
            #expect(try kernelsLine(env) == "cgan-tui: OpenBLAS Prescott kernels (OPENBLAS_CORETYPE set by you)")
        }
    }

    /// An environment in which the binary must restart into other kernels than OpenBLAS picked, and
    /// its kernels line: on any AVX2 machine one of these differs from OpenBLAS's own pick (no cap:
    /// OpenBLAS fell back below the CPU; avx2: it picked AVX-512 kernels; baseline: AVX2 ones).
    func restarting() throws -> (environment: [String: String], line: String)? {
        for cap in ["", "avx2", "baseline"] {
            let env = ["OPENBLAS_CORETYPE": "", "CGAN_TUI_MAX_ISA": cap]
            let line = try kernelsLine(env)
            if line.contains("; OpenBLAS detected ") { return (env, line) }
        }
        return nil
    }

    /// The running kernels' name comes from the restarted OpenBLAS, so it differs from the detected one.
    @Test(.enabled(if: avx2)) func aChoiceOtherThanOpenBLASsRestartsIntoIt() throws {
        let (_, line) = try #require(try restarting(), "no environment made the binary restart")
        let running = line.split(separator: " ")[2], detected = line.split(separator: " ").last!.dropLast()
        #expect(line.hasPrefix("cgan-tui: OpenBLAS \(running) kernels (chosen for ") && running != detected, "\(line)")
    }

    @Test func aBadCapIsRefused() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(["--help"], environment: ["CGAN_TUI_MAX_ISA": "sse9"])
        #expect(r.status == 2 && r.stderr == "cgan-tui: CGAN_TUI_MAX_ISA must be avx512, avx2 or baseline (got 'sse9')\n", "\(r.status) \(r.stderr)")
    }

    /// The restart keeps the pid the caller started (its /proc environ is the restarted image's),
    /// and SIGINT sent to that pid still stops training with a saved checkpoint and exit 130.
    @Test(.enabled(if: avx2)) func theRestartIsInvisibleToTheCaller() throws {
        let (environment, _) = try #require(try restarting(), "no environment made the binary restart")
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let (p, out, _) = cli.makeProcess(["data", "--no-ui", "--epochs", "100000", "--log-every", "0", "--out", "run"] + CLI.tiny,
                                          environment: environment)
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, p.isRunning,
              ((try? String(contentsOf: cli.path("run/metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n").count < 3 {
            usleep(20_000)
        }
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(p.processIdentifier)/environ"))) ?? Data()
        let vars = Set(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        #expect(vars.contains { $0.hasPrefix("OPENBLAS_CORETYPE=") && $0 != "OPENBLAS_CORETYPE=" }
                    && vars.contains { $0.hasPrefix("CGAN_TUI_CORETYPE_SET=") },
                "the pid that was started runs the restarted image")
        p.interrupt()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 130, "status \(p.terminationStatus)")
        #expect(stdout.contains("checkpoint saved to run/checkpoints/latest.safetensors"), "\(stdout)")
    }
}
