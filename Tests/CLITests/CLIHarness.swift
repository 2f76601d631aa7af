import Foundation

/// Runs the real built binary (`.build/debug/cgan-tui`, found from this file's path) in a
/// scratch folder, and makes small datasets of WAV files for it.
struct CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = repoRoot.appendingPathComponent(".build/debug/cgan-tui")

    /// Tiny shapes keep each training run to about a second in a debug build.
    static let tiny = ["--n-mels", "16", "--frames", "32", "--batch-size", "4", "--latent-dim", "8", "--threads", "1"]

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var signalled: Bool
    }

    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("cgan-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: dir) }

    func path(_ relative: String) -> URL { dir.appendingPathComponent(relative) }

    func makeProcess(_ args: [String], executable: URL = CLI.binary, environment: [String: String] = [:]) -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = dir.appendingPathComponent("cache").path
        env.removeValue(forKey: "CGAN_TUI_DEMO")
        env.merge(environment) { _, new in new }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        return (p, out, err)
    }

    /// Runs to completion. stdout is a pipe, so training is headless with plain log lines.
    /// With `timeout`, a child still running after that many seconds is killed (SIGKILL): a test
    /// of something that used to hang fails instead of hanging the suite.
    @discardableResult
    func run(_ args: [String], executable: URL = CLI.binary, environment: [String: String] = [:],
             timeout: Double? = nil) throws -> Result {
        let (p, out, err) = makeProcess(args, executable: executable, environment: environment)
        try p.run()
        let finished = LockedData()
        defer { finished.set(Data([1])) }
        if let timeout {
            let pid = p.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if !finished.isSet { kill(pid, SIGKILL) }
            }
        }
        // Read both pipes before waiting so a chatty child never blocks on a full pipe.
        let errData = LockedData()
        let errThread = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errThread.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self),
                      signalled: p.terminationReason == .uncaughtSignal)
    }

    // MARK: - Datasets

    /// 16-bit mono PCM WAV bytes.
    static func wav(_ samples: [Float], sampleRate: Int = 22050) -> Data {
        riffWAV(samples, sampleRate: sampleRate, format: 1, bytesPerSample: 2) { s, u16, _ in
            u16(UInt16(bitPattern: Int16(max(-1, min(1, s)) * 32767)))
        }
    }

    /// 32-bit float mono WAV bytes (format 3), samples as given (no clipping: tests feed it
    /// values no real recording holds).
    static func floatWAV(_ samples: [Float], sampleRate: Int = 22050) -> Data {
        riffWAV(samples, sampleRate: sampleRate, format: 3, bytesPerSample: 4) { s, _, u32 in u32(s.bitPattern) }
    }

    /// A mono RIFF/WAVE file: the 44-byte header for `format` (1 PCM, 3 float) and
    /// `bytesPerSample`, then each sample as `encode` writes it (little-endian).
    private static func riffWAV(_ samples: [Float], sampleRate: Int, format: UInt16, bytesPerSample: Int,
                                encode: (Float, (UInt16) -> Void, (UInt32) -> Void) -> Void) -> Data {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let dataBytes = samples.count * bytesPerSample
        d.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + dataBytes))
        d.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(format); u16(1)
        u32(UInt32(sampleRate)); u32(UInt32(sampleRate * bytesPerSample)); u16(UInt16(bytesPerSample)); u16(UInt16(8 * bytesPerSample))
        d.append(contentsOf: Array("data".utf8)); u32(UInt32(dataBytes))
        for s in samples { encode(s, u16, u32) }
        return d
    }

    /// A tone (class 0), noise (class 1), ...: distinct, deterministic, 0.4 s each.
    static func clip(kind: Int, variant: Int, seconds: Double = 0.4) -> [Float] {
        let n = Int(22050 * seconds)
        var state = UInt64(variant &* 7919 &+ kind &* 104_729 &+ 1)
        return (0 ..< n).map { i in
            let t = Double(i) / 22050
            switch kind % 3 {
            case 0: return Float(0.6 * sin(2 * .pi * (220 + 20 * Double(variant)) * t))
            case 1:
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Double(Int64(bitPattern: state >> 1) % 1000) / 2000) * Float(exp(-t * 8))
            default: return Float(0.5 * sin(2 * .pi * (2000 + 2000 * t) * t))
            }
        }
    }

    /// DATASET/<class>/<class>_<k>.wav for each class name.
    func makeDataset(_ name: String = "data", classes: [String] = ["low", "noise"], clipsPerClass: Int = 4) throws -> URL {
        let root = path(name)
        for (c, cls) in classes.enumerated() {
            let folder = root.appendingPathComponent(cls)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for k in 0 ..< clipsPerClass {
                try CLI.wav(CLI.clip(kind: c, variant: k)).write(to: folder.appendingPathComponent("\(cls)_\(k).wav"))
            }
        }
        return root
    }

    /// Rows of metrics.csv without the timing columns (epoch, step, loss_d, loss_g).
    static func lossRows(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
}
