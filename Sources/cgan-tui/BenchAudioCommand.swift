import ArgumentParser
import Audio
import Foundation
import Support

/// Extraction speed (decode + resample + log-mel, through the dataset loader with no cache)
/// in audio-seconds per compute-second on one thread and on `--threads` (runs alternating), and
/// synthesis time of one full clip. Each figure is the best of `--repeats` runs. Wall-clock figures are what
/// a user waits; CPU-time figures (getrusage) are less disturbed by other processes on a
/// shared machine, so both are printed, with the load average at the start. With `--json` the
/// last stdout line is one JSON object (scripts read `extraction_x_1thread`,
/// `extraction_x_2threads`, `synthesis_ms`, `cached_reload_s_per_1000`).
struct BenchAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio", abstract: "Spectrogram extraction (audio-seconds per compute-second) and synthesis time.",
        discussion: """
        Example:
          cgan-tui bench audio --folder ~/drums --json
        """)

    @Option(help: "Folder of audio (class sub-folders); default: synthetic 22.05/44.1/48 kHz WAVs in a temporary folder")
    var folder: String?

    @Flag(help: "End with one JSON object on the last line (extraction_x_1thread, extraction_x_2threads, synthesis_ms, cached_reload_s_per_1000, ...)")
    var json = false

    @Option(help: "Synthetic files per sample rate")
    var filesPerRate = 20

    @Option(help: "Seconds per synthetic file (at most 5.9 s, so every sample is transformed)")
    var seconds = 5.0

    @Option(help: "Threads for the parallel extraction figure (extraction_x_2threads in --json)")
    var threads = 2

    @Option(help: "Griffin-Lim iterations for the synthesis figure")
    var iterations = 32

    @Option(help: "libsoxr recipe for the extraction figures: \(ResamplerQuality.choices)")
    var resampler = AudioIO.resamplerQuality

    /// 5: each extraction run over a few hundred clips lasts 0.1-0.3 s, and with 3 the two-thread
    /// figure still caught a stolen vCPU now and then (its ratio to one thread 1.4-2.1).
    @Option(help: "Runs per figure; the best is reported")
    var repeats = 5

    func run() throws {
        try reportingUserErrors {
            guard threads >= 1, threads <= 256, repeats >= 1, iterations >= 1 else {
                throw UserError("--threads must be 1-256, --repeats and --iterations at least 1")
            }
            let config = SpectrogramConfig()
            var root: URL
            var temporary: URL? = nil
            if let folder {
                root = URL(fileURLWithPath: folder)
            } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-bench-audio-\(getpid())")
                try? FileManager.default.removeItem(at: dir)
                temporary = dir
                root = dir
                try makeSyntheticFolder(dir)
            }
            defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

            let extractor = LogMelExtractor(config: config, isa: BLASKernels.level)     // makes the FFTW plans once
            _ = extractor.logMel([Float](repeating: 0, count: 4096))
            let env = ProcessInfo.processInfo.environment
            print("bench audio: OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "(unset)"), resampler: \(resampler.identity), best of \(repeats)")

            let load = BenchTrainCommand.loadAverage()
            print("  \(Self.cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average at start: \(load)")
            var audioSeconds = 0.0, clips = 0, skipped = 0
            // One thread and `threads` alternate, so a change of machine speed between minutes
            // (this VM drifts 10-20%) weighs on both figures alike instead of on their ratio.
            let counts = [1, threads]
            var bestWall = [Double](repeating: .infinity, count: 2), bestCPU = bestWall
            for _ in 0 ..< repeats {
                for (i, threadCount) in counts.enumerated() {
                    let c0 = cpuSeconds(), t0 = DispatchTime.now().uptimeNanoseconds
                    let d = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: threadCount, resampler: resampler, isa: BLASKernels.level)
                    bestWall[i] = min(bestWall[i], Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
                    bestCPU[i] = min(bestCPU[i], cpuSeconds() - c0)
                    audioSeconds = d.totalSeconds
                    clips = d.spectrograms.count
                    skipped = d.skipped.count
                }
            }
            let extraction = counts.indices.map { i in (threads: counts[i], wall: audioSeconds / bestWall[i], cpu: audioSeconds / bestCPU[i]) }
            for (i, e) in extraction.enumerated() {
                print(String(format: "  extraction (decode+resample+log-mel), %@: %5.0fx real time (wall), %5.0fx per CPU-second  (%@, %.0f s of audio, %.3f s wall, %.3f s CPU)",
                             counted(e.threads, "thread").padding(toLength: 9, withPad: " ", startingAt: 0) as NSString,
                             e.wall, e.cpu, counted(clips, "clip") as NSString, audioSeconds, bestWall[i], bestCPU[i]))
            }

            // The transform alone (STFT + mel + log1p on samples in memory), to separate it from
            // decoding and resampling.
            let fiveSeconds = (0 ..< 5 * config.sampleRate).map { i in Float(sin(Double(i) * 0.05) * 0.5) }
            var bestLogMel = Double.infinity
            for _ in 0 ..< repeats {
                let c0 = cpuSeconds()
                for _ in 0 ..< 20 { _ = extractor.logMel(fiveSeconds) }
                bestLogMel = min(bestLogMel, cpuSeconds() - c0)
            }
            print(String(format: "  log-mel alone (samples in memory, 1 thread): %5.0fx per CPU-second", 100 / bestLogMel))

            // A second load of a cached dataset (the training restart case).
            let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-bench-cache-\(getpid())")
            defer { try? FileManager.default.removeItem(at: cacheDir) }
            _ = try DatasetLoader.load(root, config: config, cacheDirectory: cacheDir, threads: threads, resampler: resampler, isa: BLASKernels.level)
            var bestCached = Double.infinity, cachedClips = 0
            for _ in 0 ..< repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                cachedClips = try DatasetLoader.load(root, config: config, cacheDirectory: cacheDir, threads: threads, resampler: resampler, isa: BLASKernels.level).cachedClips
                bestCached = min(bestCached, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            }
            print(String(format: "  cached reload, %@: %@ in %.3f s (%.2f s per 1000 clips)",
                         counted(threads, "thread") as NSString, counted(cachedClips, "clip") as NSString, bestCached, bestCached / Double(max(cachedClips, 1)) * 1000))

            let clip = (0 ..< config.synthesisLength).map { i -> Float in
                let t = Float(i) / Float(config.sampleRate)
                return 0.5 * sin(2 * .pi * 220 * t * (1 + t)) + 0.2 * sin(2 * .pi * 3000 * t)
            }
            let logMel = extractor.logMel(clip)
            let synth = Synthesizer(config: config, isa: BLASKernels.level)
            _ = synth.waveform(logMel: logMel, iterations: 1)
            var synthWall = Double.infinity, synthCPU = Double.infinity
            for r in 0 ..< max(repeats, 5) {
                let c0 = cpuSeconds(), t0 = DispatchTime.now().uptimeNanoseconds
                _ = synth.waveform(logMel: logMel, iterations: iterations, seed: UInt64(r))
                synthWall = min(synthWall, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-6)
                synthCPU = min(synthCPU, (cpuSeconds() - c0) * 1e3)
            }
            print(String(format: "  synthesis of one %dx%d clip (%.1f s, %d Griffin-Lim iterations, 1 thread): %.1f ms wall, %.1f ms CPU",
                         config.nMels, config.frames, Double(config.synthesisLength) / Double(config.sampleRate), iterations, synthWall, synthCPU))
            if json {
                let object: [String: Any] = [
                    "extraction_x_1thread": extraction[0].wall, "extraction_x_2threads": extraction[1].wall,
                    "extraction_x_1thread_cpu": extraction[0].cpu, "extraction_x_2threads_cpu": extraction[1].cpu,
                    "threads": threads, "synthesis_ms": synthWall, "synthesis_cpu_ms": synthCPU,
                    "synthesis_iterations": iterations, "cached_reload_s_per_1000": bestCached / Double(max(cachedClips, 1)) * 1000,
                    "log_mel_x_1thread_cpu": 100 / bestLogMel, "clips": clips, "skipped_files": skipped,
                    "audio_seconds": audioSeconds, "folder": folder ?? "(synthetic)", "resampler": resampler.identity,
                    "cpu_model": Self.cpuModel(), "load_average_at_start": load, "repeats": repeats,
                    "openblas_coretype": env["OPENBLAS_CORETYPE"] ?? "(unset)",
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// /proc/cpuinfo's first "model name" (the figures mean little without it).
    static func cpuModel() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }

    /// User + system CPU time of this process.
    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
    }

    /// `dir/<rate>/clip_NN.wav`: 16-bit WAVs, half mono and half stereo, tones + noise.
    func makeSyntheticFolder(_ dir: URL) throws {
        guard seconds > 0, seconds <= 5.9, filesPerRate >= 1 else {
            throw UserError("--seconds must be in (0, 5.9] and --files-per-rate at least 1")
        }
        var rng = SplitMix64(seed: 1)
        for rate in [22050, 44100, 48000] {
            let sub = dir.appendingPathComponent("\(rate)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for f in 0 ..< filesPerRate {
                let channels = f % 2 + 1
                let n = Int(seconds * Double(rate))
                var x = [Float](repeating: 0, count: n * channels)
                let f0 = 100 + 50 * Double(f)
                for i in 0 ..< n {
                    let t = Double(i) / Double(rate)
                    let v = Float(0.3 * sin(2 * .pi * f0 * t) + 0.2 * sin(2 * .pi * f0 * 7.1 * t))
                    for c in 0 ..< channels { x[i * channels + c] = v + 0.05 * (rng.nextUniform() - 0.5) }
                }
                try AudioIO.write(x, channels: channels, sampleRate: rate, format: .wav16,
                                  to: sub.appendingPathComponent(String(format: "clip_%02d.wav", f)))
            }
        }
    }
}
