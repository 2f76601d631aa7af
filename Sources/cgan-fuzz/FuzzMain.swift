import Audio
import Engine
import Foundation
import GAN
import Support

/// Fuzz targets for every parser of outside bytes. Built by `scripts/fuzz.sh` with libFuzzer
/// (`-DFUZZING`, coverage instrumentation, libclang_rt.fuzzer_no_main); the plain build replays
/// files instead, to reproduce a crash under the debugger:
///   cgan-fuzz TARGET FILE...     run TARGET's parser on each file (any build)
///   cgan-fuzz seeds DIR          write seed inputs to DIR/<target>/ (any build)
///   CGAN_FUZZ_TARGET=T cgan-fuzz [libFuzzer options] CORPUS   fuzz T (fuzzing build)
/// A parser may throw (that is a clean refusal); it must never trap, hang or read out of bounds.
enum FuzzTarget: String, CaseIterable {
    case safetensors, npy, cache, config

    /// The cache entry's key and shape (seeds use the same, so the fuzzer starts from a hit).
    static let cacheKey = "v1|/data/kick/a.wav|1234|5678|sr=22050 n_fft=1024 hop=256 n_mels=4 frames=8|best"
    static let cacheShape = (nMels: 4, frames: 8)

    func run(_ data: Data) {
        switch self {
        case .safetensors:
            // Structure, then the checkpoint's metadata, limits and shapes (and the model, if all fit).
            _ = try? ConditionalGAN.load(data: data, name: "fuzz")
        case .npy:
            _ = try? NPY.decode(data, name: "fuzz")
        case .cache:
            // The trailing checksum is set right, or the fuzzer would almost never get past it
            // to the fields it guards (a wrong checksum is one comparison: a plain miss).
            var fixed = data
            if fixed.count >= 16 {
                let body = fixed.count - 8
                let sum = fixed.withUnsafeBytes { SpectrogramCache.hash(UnsafeRawBufferPointer(rebasing: $0[0 ..< body])) }
                withUnsafeBytes(of: sum.littleEndian) { fixed.replaceSubrange(body ..< body + 8, with: $0) }
            }
            _ = SpectrogramCache.decode(fixed, key: Self.cacheKey, nMels: Self.cacheShape.nMels, maxFrames: Self.cacheShape.frames)
        case .config:
            _ = try? RunConfig.decode(data, name: "fuzz")
        }
    }

    /// Small valid inputs: the fuzzer mutates from files that pass, so it reaches the checks
    /// past the header. (scripts/fuzz.sh adds the repository's fixtures.)
    func seeds() throws -> [String: Data] {
        switch self {
        case .safetensors:
            let meta = CheckpointMetadata(classNames: ["kick", "snare"], nMels: 16, frames: 16, latentDim: 2)
            let gan = ConditionalGAN(config: ModelConfig(numClasses: 2, latentDim: 2, nMels: 16, frames: 16), seed: 1)
            // The smallest model's weights are 5 MB, far past what a fuzzer mutates well: its
            // real metadata over one small tensor reaches the limits and the shape checks.
            let file = try Safetensors.File(data: try gan.checkpointData(metadata: meta, includeOptimizerState: false), name: "seed")
            var small = Safetensors.Writer()
            small.metadata = file.metadata
            small.add("generator.fc.bias", shape: [4], floats: [0, 1, 2, 3])
            small.add("generator.net.10.step", shape: [], int64s: [3])
            return ["metadata.safetensors": small.encode()]
        case .npy:
            return ["2x3.npy": NPY.encode(NPY.Array(shape: [2, 3], values: [0, 1, 2, 3, 4, 5])),
                    "scalar.npy": NPY.encode(NPY.Array(shape: [], values: [7]))]
        case .cache:
            let shape = Self.cacheShape
            let entry = SpectrogramCache.Entry(logMel: (0 ..< shape.nMels * 5).map { Float($0) / 7 }, validFrames: 5, seconds: 0.06)
            return ["entry.mel": SpectrogramCache.encode(entry, key: Self.cacheKey, nMels: shape.nMels)]
        case .config:
            let config = RunConfig(dataset: "/data/drums", classes: ["kick", "snare"], options: TrainingOptions(),
                                   commandLine: ["cgan-tui", "/data/drums", "--epochs", "5"])
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            return ["config.json": try enc.encode(config)]
        }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target named by the environment (a global `let`: set once, read by the C callback).
let activeTarget = ProcessInfo.processInfo.environment["CGAN_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
#endif

@main struct FuzzMain {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.count == 2, args[0] == "seeds" {
            let root = URL(fileURLWithPath: args[1])
            for target in FuzzTarget.allCases {
                let dir = root.appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for (name, data) in try target.seeds() { try data.write(to: dir.appendingPathComponent(name)) }
            }
            return
        }
        #if FUZZING
        guard activeTarget != nil else {
            FileHandle.standardError.write(Data("cgan-fuzz: set CGAN_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
            exit(2)
        }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            activeTarget!.run(count == 0 ? Data() : Data(bytes: bytes!, count: count))
            return 0
        })
        #else
        guard args.count >= 2, let target = FuzzTarget(rawValue: args[0]) else {
            FileHandle.standardError.write(Data("usage: cgan-fuzz TARGET FILE... | cgan-fuzz seeds DIR (targets: \(FuzzTarget.allCases.map(\.rawValue)))\n".utf8))
            exit(2)
        }
        for path in args.dropFirst() { target.run(try Data(contentsOf: URL(fileURLWithPath: path))) }
        #endif
    }
}
