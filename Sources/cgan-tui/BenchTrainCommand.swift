import ArgumentParser
import BLAS
import Engine
import Foundation
import GAN
import Support

/// `cgan-tui bench train [--json]`: sgemm speed, then the seed's training step at batch 16,
/// 128 x 512, with its analytic FLOP count, achieved GFLOP/s and the ratio to sgemm.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "sgemm GFLOP/s and one training step: samples/s, achieved GFLOP/s, peak RSS.")

    @Flag(help: "End with one JSON object on the last line (train_samples_per_s, train_gflops, sgemm_gflops, peak_rss_mb, ...).")
    var json = false

    @Option(help: "Timed training steps (after one warm-up step).")
    var steps = 4

    @Option(help: "Batch size.")
    var batch = 16

    func run() throws {
        guard steps >= 1, batch >= 2 else { throw UserError("--steps must be >= 1 and --batch >= 2") }
        let threads = BLAS.threads
        print("OpenBLAS \(BLAS.coreName) kernels, \(threads) thread(s); OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")")
        let sgemm = Self.sgemmGFLOPs(m: 1024, n: 1024, k: 1024)
        print(String(format: "sgemm 1024^3: %.1f GFLOP/s", sgemm))

        let config = ModelConfig(numClasses: 4)
        let gan = ConditionalGAN(config: config, seed: 1)
        let rssModel = Self.currentRSSMegabytes()

        var rng = SplitMix64(seed: 2)
        let n = batch, size = config.nMels * config.frames
        let real = (0 ..< n * size).map { _ in rng.nextUniform() * 4 }
        let labels = (0 ..< n).map { $0 % config.numClasses }
        let z = rng.normals(n * config.latentDim)
        _ = gan.trainStep(real: real, labels: labels, z: z)   // warm-up: buffers sized, pages touched
        let rssWarm = Self.currentRSSMegabytes()
        var times: [Double] = []
        var losses = (Float(0), Float(0))
        var phases: [String: [Double]] = [:]
        let cpu0 = Self.cpuSeconds()
        for _ in 0 ..< steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            losses = gan.trainStep(real: real, labels: labels, z: z)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            for (p, t) in gan.lastStepPhases { phases[p, default: []].append(t) }
        }
        let cpuPerStep = (Self.cpuSeconds() - cpu0) / Double(steps)
        let rss = Self.peakRSSMegabytes()   // before the shape benchmarks below allocate their own arrays
        let median = times.sorted()[times.count / 2], best = times.min()!
        let flops = gan.trainStepFLOPs(batch: n)
        let samplesPerSecond = Double(n) / median
        let gflops = flops / median / 1e9
        print(String(format: "train step (batch %d, %dx%d, %d classes): %.3f s median of %d -> %.1f samples/s (losses %.3f / %.3f)",
                     n, config.nMels, config.frames, config.numClasses, median, steps, samplesPerSecond, losses.0, losses.1))
        print(String(format: "  %.1f GFLOP per step (analytic, matrix products) -> %.1f GFLOP/s = %.0f%% of sgemm 1024^3",
                     flops / 1e9, gflops, 100 * gflops / sgemm))
        print(String(format: "  fastest step %.3f s -> %.1f samples/s, %.1f GFLOP/s = %.0f%% of sgemm (the machine is shared: load %@)",
                     best, Double(n) / best, flops / best / 1e9, 100 * flops / best / 1e9 / sgemm, Self.loadAverage() as NSString))
        print(String(format: "  vs PyTorch's 19 samples/s on this machine: %.2fx (median), %.2fx (fastest)", samplesPerSecond / 19, Double(n) / best / 19))
        print(String(format: "  resident: %.0f MB after building the model, %.0f MB after the first step", rssModel, rssWarm))
        print(String(format: "  peak RSS %.0f MB; process CPU time %.2f s per step (%.1f GFLOP per CPU-second)", rss, cpuPerStep, flops / cpuPerStep / 1e9))
        print("  phases (median s):", gan.lastStepPhases.map { p in
            String(format: "%@ %.3f", p.phase as NSString, phases[p.phase]!.sorted()[steps / 2]) }.joined(separator: ", "))
        // The model's largest distinct products, each timed alone.
        var seen = Set<String>()
        print("sgemm at the model's shapes (batch \(batch)):")
        for s in gan.trainStepGemms(batch: batch).sorted(by: { $0.flops > $1.flops }) where s.flops > 1e8 {
            let key = "\(s.m)x\(s.n)x\(s.k)"
            guard seen.insert(key).inserted, seen.count <= 12 else { continue }
            print(String(format: "  %-16@ m %6d n %6d k %6d: %6.1f GFLOP/s", s.label as NSString, s.m, s.n, s.k,
                         Self.sgemmGFLOPs(m: s.m, n: s.n, k: s.k)))
        }
        if json {
            let object: [String: Any] = [
                "train_samples_per_s": samplesPerSecond, "train_gflops": gflops, "sgemm_gflops": sgemm,
                "peak_rss_mb": rss, "train_step_seconds": median, "train_gflop_per_step": flops / 1e9,
                "ratio_to_sgemm": gflops / sgemm, "train_samples_per_s_best": Double(n) / best,
                "train_gflops_best": flops / best / 1e9, "cpu_seconds_per_step": cpuPerStep, "batch": n, "threads": threads, "openblas_core": BLAS.coreName,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Best of several runs of C = A B (row-major), after a warm-up.
    static func sgemmGFLOPs(m: Int, n: Int, k: Int) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let reps = max(2, min(20, Int(4e10 / flops)))
        var best = Double.infinity
        for r in 0 ... reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                   c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if r > 0 { best = min(best, t) }
        }
        return flops / best / 1e9
    }

    /// User + system CPU time of the whole process (all threads).
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func peakRSSMegabytes() -> Double { status("VmHWM:") }
    static func currentRSSMegabytes() -> Double { status("VmRSS:") }

    /// A memory line of /proc/self/status (VmHWM: peak resident set, VmRSS: current), in MB.
    static func status(_ key: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
