import ArgumentParser
import BLAS
import Engine
import Foundation
import GAN
import Support

/// `cgan-tui bench train [--json] [--torch]`: sgemm speed, then the original script's training
/// step at batch 16, 128 x 512, with its analytic FLOP count, achieved GFLOP/s and the ratio to
/// sgemm. With `--torch`, PyTorch is then timed on the same step, batch and threads by
/// `scripts/torch_step_bench.py`; no figure measured elsewhere is ever compared with ours.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "sgemm GFLOP/s and one training step: samples/s, achieved GFLOP/s, peak RSS.",
        discussion: """
        The step is the original PyTorch script's (128 x 512 log-mel, 4 classes). With --torch, \
        PyTorch times the same step with the same batch size, threads and steps in the same run, \
        and the ratio between the two is printed.

        Example:
          cgan-tui bench train --steps 8 --batch-size 16 --torch
        """)

    @Flag(help: "End with one JSON object on the last line (train_samples_per_s, train_gflops, sgemm_gflops, peak_rss_mb, ...)")
    var json = false

    @Option(help: "Timed training steps (after one warm-up step)")
    var steps = 4

    @Option(name: .customLong("batch-size"), help: "Clips per step")
    var batch = 16

    @Option(help: "Compute threads (default: one per core)")
    var threads: Int?

    @Option(help: "Spectrogram frames (the model's width; a dataset's window, e.g. 192, is what its training runs; --torch times 512 only)")
    var frames = 512

    @Flag(help: "After our own timing, time PyTorch on the same step (python3 --torch-script, same threads, steps and batch) and print the ratio. Skipped with a one-line reason when python3, the script or PyTorch is missing")
    var torch = false

    @Option(help: ArgumentHelp("The PyTorch benchmark script run by --torch (relative to the current folder)", valueName: "path"))
    var torchScript = "scripts/torch_step_bench.py"

    @Option(help: "Strided convolutions: winograd (the default: 4x4 tiles for forward and input-gradient products on AVX-512, else 2x2), winograd-2x2 or winograd-4x4 (those tiles wherever the sides allow, to compare) or im2col (im2col + sgemm everywhere)")
    var convolution: ComputeSettings.Convolution = .winograd

    func run() throws {
        guard steps >= 1, batch >= 2 else { throw UserError("--steps must be >= 1 and --batch-size >= 2") }
        guard frames >= 32, frames <= 4096, frames % 32 == 0 else { throw UserError("--frames must be a multiple of 32 from 32 to 4096") }
        guard !torch || frames == 512 else { throw UserError("--torch compares at 512 frames only") }
        try ComputeThreads.check(threads)
        let compute = ComputeThreads.settings(threads: threads ?? 0, convolution: convolution)
        let threads = compute.threads
        print("\(BLASKernels.description.line), \(counted(threads, "thread"))")
        if compute.convolution != .im2col {
            let tiles = WinogradConv.largeTiles(compute) ? "4x4 output tiles, F(4x4, 2x2)" : "2x2 output tiles, F(2x2, 2x2)"
            print(PackedGemm.applies(compute)
                  ? "Winograd: \(tiles) where layers are large enough; every product 32 tiles wide or more on the packed kernel (AVX-512), narrower ones on OpenBLAS"
                  : "Winograd products: \(tiles), OpenBLAS (the packed kernel needs AVX-512)")
        }
        BLAS.nativeThreads = threads
        let sgemmBest = Self.sgemmGFLOPs(m: 1024, n: 1024, k: 1024)
        print(String(format: "sgemm 1024^3: %.1f GFLOP/s (best of several, %@)", sgemmBest, counted(threads, "thread") as NSString))

        let config = ModelConfig(numClasses: 4, frames: frames)
        let gan = ConditionalGAN(config: config, seed: 1, settings: compute)
        let rssModel = Self.currentRSSMegabytes()

        var rng = SplitMix64(seed: 2)
        let n = batch, size = config.nMels * config.frames
        let real = (0 ..< n * size).map { _ in rng.nextUniform() * 4 }
        let labels = (0 ..< n).map { $0 % config.numClasses }
        let z = rng.normals(n * config.latentDim)
        _ = gan.trainStep(real: real, labels: labels, z: z)   // warm-up: buffers sized, pages touched
        let rssWarm = Self.currentRSSMegabytes()
        // The machine may be shared: each step is paired with an sgemm measurement taken just
        // before it (mean of 5 runs, OpenBLAS on the same number of threads), and the ratio is
        // the median of the pairs, so a change of load between the two hardly moves it.
        var times: [Double] = [], sgemms: [Double] = [], ratios: [Double] = []
        var losses = (Float(0), Float(0))
        var phases: [String: [Double]] = [:]
        var cpuTotal = 0.0
        let faults0 = Self.minorFaults()
        let flops = gan.trainStepFLOPs(batch: n), performed = gan.trainStepPerformedFLOPs(batch: n)
        for _ in 0 ..< steps {
            BLAS.nativeThreads = threads
            let g = Self.sgemmGFLOPs(m: 1024, n: 1024, k: 1024, reps: 5, mean: true)
            Self.letOpenBLASThreadsSleep()
            GemmProfile.reset(); SectionProfile.reset()
            let cpu0 = Self.cpuSeconds()
            let t0 = DispatchTime.now().uptimeNanoseconds
            losses = gan.trainStep(real: real, labels: labels, z: z)
            let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            cpuTotal += Self.cpuSeconds() - cpu0
            times.append(t); sgemms.append(g); ratios.append(flops / t / 1e9 / g)
            for (p, t) in gan.lastStepPhases { phases[p, default: []].append(t) }
        }
        if GemmProfile.enabled {   // CGAN_GEMM_PROFILE=1: the last step's products by shape, and its parallel sections
            print("sgemm calls of the last step (thread CPU time):")
            for line in GemmProfile.report() { print(line) }
            let (inside, waiting) = SectionProfile.totals, wall = times.last!
            print(String(format: "parallel sections of the last step (%.1f ms wall): %.1f ms inside them, of which %.1f ms one worker waited for the other; %.1f ms outside any (one core)",
                         wall * 1e3, inside * 1e3, waiting * 1e3, max(0, wall - inside) * 1e3))
            for line in SectionProfile.report() { print(line) }
        }
        let cpuPerStep = cpuTotal / Double(steps)
        let faultsPerStep = Double(Self.minorFaults() - faults0) / Double(steps)
        let sgemm = sgemms.sorted()[steps / 2], ratio = ratios.sorted()[steps / 2]
        let rss = Self.peakRSSMegabytes()   // before the shape benchmarks below allocate their own arrays
        let median = times.sorted()[times.count / 2], best = times.min()!
        let samplesPerSecond = Double(n) / median
        let gflops = flops / median / 1e9
        print(String(format: "train step (batch %d, %dx%d, %d classes): %.3f s median of %d -> %.1f samples/s (losses %.3f / %.3f)",
                     n, config.nMels, config.frames, config.numClasses, median, steps, samplesPerSecond, losses.0, losses.1))
        print(String(format: "  %.1f GFLOP per step as direct convolution (analytic, matrix products) -> %.1f GFLOP/s", flops / 1e9, gflops))
        print(String(format: "  achieved / sgemm 1024^3: %.0f%% of the best sgemm (%.1f GFLOP/s); %.0f%% as the median of %d step/sgemm pairs measured back to back (sgemm median %.1f GFLOP/s)",
                     100 * gflops / sgemmBest, sgemmBest, 100 * ratio, steps, sgemm))
        if performed < flops {
            // Winograd layers do 9/16 of the direct multiplications: the GFLOP/s above count work
            // the step avoided. These count only what its matrix products did.
            print(String(format: "  performed: %.1f GFLOP per step (Winograd products at 9/16 or 25/64) -> %.1f GFLOP/s = %.0f%% of the best sgemm",
                         performed / 1e9, performed / median / 1e9, 100 * performed / median / 1e9 / sgemmBest))
        }
        print(String(format: "  fastest step %.3f s -> %.1f samples/s, %.1f GFLOP/s (load average %@)",
                     best, Double(n) / best, flops / best / 1e9, Self.loadAverage() as NSString))
        print(String(format: "  resident: %.0f MB after building the model, %.0f MB after the first step; %.0f page faults per step",
                     rssModel, rssWarm, faultsPerStep))
        print(String(format: "  peak RSS %.0f MB; process CPU time %.2f s per step (%.1f GFLOP per CPU-second)", rss, cpuPerStep, flops / cpuPerStep / 1e9))
        print("  phases (median s):", gan.lastStepPhases.map { p in
            String(format: "%@ %.3f", p.phase as NSString, phases[p.phase]!.sorted()[steps / 2]) }.joined(separator: ", "))
        // The model's largest distinct products, each timed alone.
        var seen = Set<String>()
        BLAS.nativeThreads = threads
        let packed = PackedGemm.applies(gan.settings)
        print("sgemm at the model's shapes (batch \(batch), best of several): im2col products whole, \(counted(threads, "thread"));")
        print("  Winograd products as each chunk's gemm, 1 thread (each worker runs its own chunks)"
              + (packed ? "; fwd and dX ones run on the packed kernel, timed beside OpenBLAS" : ""))
        for s in gan.trainStepGemms(batch: batch).sorted(by: { $0.flops > $1.flops }) where s.flops > 1e8 {
            let shape = s.winogradGemm ?? [s.m, s.n, s.k]
            guard seen.insert("\(shape)").inserted, seen.count <= 14 else { continue }
            BLAS.nativeThreads = s.winograd ? 1 : threads
            let own = packed && s.winograd && !s.label.hasSuffix("dW")
                ? String(format: ", packed kernel %6.1f GFLOP/s", Self.packedGFLOPs(m: shape[0], n: shape[1], k: shape[2], isa: gan.settings)) : ""
            print(String(format: "  %-16@ %@ m %6d n %6d k %6d: %6.1f GFLOP/s%@", s.label as NSString,
                         (s.winograd ? "Winograd" : "im2col  ") as NSString, shape[0], shape[1], shape[2],
                         Self.sgemmGFLOPs(m: shape[0], n: shape[1], k: shape[2]), own as NSString))
        }
        BLAS.nativeThreads = threads
        // PyTorch last, once all of our own work is done and OpenBLAS's threads sleep, so the
        // two never compete for the cores.
        var torchResult: TorchBench.Measurement?
        var oursAfterTorch: Double?
        if torch {
            Self.letOpenBLASThreadsSleep()
            switch Self.runTorchScript(torchScript, threads: threads, steps: steps, batch: n) {
            case .success(let m):
                torchResult = m
                print(TorchBench.summary(m, oursSamplesPerSecond: samplesPerSecond))
                // This machine's speed drifts between minutes: time our step again right after
                // PyTorch, so the two are bracketed, and give the ratio to the mean of both.
                var again: [Double] = []
                for _ in 0 ..< steps {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = gan.trainStep(real: real, labels: labels, z: z)
                    again.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
                let after = Double(n) / again.sorted()[again.count / 2]
                oursAfterTorch = after
                print(String(format: "  cgan-tui again after PyTorch: %.1f samples/s (before: %.1f); bracketed ratio %.2fx",
                             after, samplesPerSecond, (samplesPerSecond + after) / 2 / m.bestSamplesPerSecond))
            case .failure(let skipped):
                print("PyTorch comparison skipped: \(skipped.reason)")
            }
        }
        if json {
            var object: [String: Any] = [
                "train_samples_per_s": samplesPerSecond, "train_gflops": gflops, "sgemm_gflops": sgemmBest,
                "peak_rss_mb": rss, "train_step_seconds": median, "train_gflop_per_step": flops / 1e9,
                "ratio_to_sgemm": gflops / sgemmBest, "ratio_to_sgemm_paired": ratio, "sgemm_gflops_paired": sgemm, "train_samples_per_s_best": Double(n) / best,
                "train_gflops_best": flops / best / 1e9, "train_gflop_per_step_performed": performed / 1e9,
                "train_gflops_performed": performed / median / 1e9, "convolution": convolution.rawValue, "cpu_seconds_per_step": cpuPerStep, "batch": n, "threads": threads, "openblas_core": BLAS.coreName, "openblas_kernels": BLASKernels.description.line,
            ]
            if let m = torchResult {
                object["torch_samples_per_s"] = m.bestSamplesPerSecond
                object["speedup_vs_torch"] = samplesPerSecond / m.bestSamplesPerSecond
                if let after = oursAfterTorch {
                    object["train_samples_per_s_after_torch"] = after
                    object["speedup_vs_torch_bracketed"] = (samplesPerSecond + after) / 2 / m.bestSamplesPerSecond
                }
                object["torch_best_format"] = m.bestFormat
                object["torch_version"] = m.torchVersion
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Runs `python3 SCRIPT --json --threads T --steps S --batch-size B`, echoing its human-readable
    /// lines, and reads the JSON object on its last stdout line.
    static func runTorchScript(_ script: String, threads: Int, steps: Int, batch: Int) -> Result<TorchBench.Measurement, TorchBench.Skipped> {
        let fm = FileManager.default
        let scriptURL = URL(fileURLWithPath: script)
        guard fm.fileExists(atPath: scriptURL.path) else {
            return .failure(TorchBench.Skipped("script not found: \(script) (--torch-script; the default is relative to the current folder)"))
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard let python = path.split(separator: ":").map({ URL(fileURLWithPath: String($0)).appendingPathComponent("python3") })
            .first(where: { fm.isExecutableFile(atPath: $0.path) }) else {
            return .failure(TorchBench.Skipped("python3 not found on PATH"))
        }
        let arguments = [scriptURL.path, "--json", "--threads", "\(threads)", "--steps", "\(steps)", "--batch-size", "\(batch)"]
        print("PyTorch: running \(python.path) \(arguments.map(shellQuoted).joined(separator: " "))")
        fflush(nil)
        let p = Process()
        p.executableURL = python
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        let out = Pipe()
        p.standardOutput = out
        // stderr goes to a file rather than a second pipe, so neither stream can fill up and
        // block the script while we read the other.
        let errURL = fm.temporaryDirectory.appendingPathComponent("cgan-tui-torch-\(ProcessInfo.processInfo.processIdentifier).err")
        guard fm.createFile(atPath: errURL.path, contents: nil), let errHandle = try? FileHandle(forWritingTo: errURL) else {
            return .failure(TorchBench.Skipped("cannot create \(errURL.path) for the script's stderr"))
        }
        defer { try? fm.removeItem(at: errURL) }
        p.standardError = errHandle
        do { try p.run() } catch {
            try? errHandle.close()
            return .failure(TorchBench.Skipped("cannot run \(python.path): \(error.localizedDescription)"))
        }
        // Its human-readable lines are shown as they come (the JSON object is not).
        var data = Data(), shown = 0
        while true {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
            while let newline = data[shown...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: data[shown ..< newline], as: UTF8.self)
                shown = newline + 1
                if !line.hasPrefix("{") { print("  torch: \(line)"); fflush(nil) }
            }
        }
        p.waitUntilExit()
        try? errHandle.close()
        let stdout = String(decoding: data, as: UTF8.self)
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        if p.terminationReason == .uncaughtSignal {
            return .failure(TorchBench.Skipped("the script was killed by signal \(p.terminationStatus)"))
        }
        return TorchBench.interpret(status: p.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Best (or mean) of several runs of C = A B (row-major), after a warm-up.
    static func sgemmGFLOPs(m: Int, n: Int, k: Int, reps fixedReps: Int? = nil, mean: Bool = false) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let reps = fixedReps ?? max(2, min(20, Int(4e10 / flops)))
        var best = Double.infinity, total = 0.0
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
            if r > 0 { best = min(best, t); total += t }
        }
        return mean ? flops * Double(reps) / total / 1e9 : flops / best / 1e9
    }

    /// The packed kernel (PackedGemm) at one Winograd product's shape, A packed once (best of several).
    static func packedGFLOPs(m: Int, n: Int, k: Int, isa settings: ComputeSettings) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var packed = [Float](repeating: 0, count: PackedGemm.packedCount(matrices: 1, m: m, k: k))
        var c = [Float](repeating: 0, count: m * n)
        packed.withUnsafeMutableBufferPointer { PackedGemm.pack(a, matrices: 1, matrixStride: 0, m: m, k: k, lda: k, into: $0.baseAddress!, workers: 1, isa: settings.isaFlag) }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        var best = Double.infinity
        for r in 0 ... max(2, min(20, Int(4e10 / flops))) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            c.withUnsafeMutableBufferPointer { cp in
                PackedGemm.multiply(packed, matrix: 0, m: m, n: n, k: k, b: b, ldb: n, c: cp.baseAddress!, ldc: n, isa: settings.isaFlag)
            }
            if r > 0 { best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
        }
        return flops / best / 1e9
    }

    /// After a multi-threaded sgemm, OpenBLAS's pool threads keep polling with sched_yield for
    /// about 2^28 cycles (~0.1 s here) before they sleep. A training step never wakes them (the
    /// engine calls OpenBLAS single-threaded), so the bench waits them out before timing a step;
    /// otherwise their polling takes CPU time from the step's workers.
    static func letOpenBLASThreadsSleep() {
        BLAS.nativeThreads = 1
        Thread.sleep(forTimeInterval: 0.3)
    }

    static func minorFaults() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_minflt
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

extension ComputeSettings.Convolution: ExpressibleByArgument {}
