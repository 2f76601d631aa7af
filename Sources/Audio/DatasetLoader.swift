import BLAS
import Foundation
import Support
import Synchronization

public struct SpectrogramDataset: Sendable {
    public var classes: [String]
    public var config: SpectrogramConfig
    public var spectrograms: ClipSpectrograms // one nMels x frames log-mel per clip
    public var labels: [Int]                  // class index per clip
    public var clipCounts: [Int]              // per class
    public var skipped: [(path: String, reason: String)]
    public var totalSeconds: Double           // full duration of the usable clips
    /// Clips whose spectrogram came from the cache (the rest were decoded now).
    public var cachedClips = 0

    public init(classes: [String], config: SpectrogramConfig, spectrograms: ClipSpectrograms, labels: [Int],
                clipCounts: [Int], skipped: [(path: String, reason: String)], totalSeconds: Double) {
        self.classes = classes
        self.config = config
        self.spectrograms = spectrograms
        self.labels = labels
        self.clipCounts = clipCounts
        self.skipped = skipped
        self.totalSeconds = totalSeconds
    }
}

/// A dataset folder's classes and files, before decoding.
public struct DatasetLayout: Sendable {
    public var classRoot: URL                 // DATASET or DATASET/train
    public var classes: [String]              // sorted sub-folder names
    public var files: [[URL]]                 // per class, sorted, every regular non-hidden file below it
    /// Entries left out, with why (names that are not UTF-8, broken links, link loops).
    public var skipped: [(path: String, reason: String)] = []
}

public enum DatasetLoader {
    /// The spectrogram cache folder: `$XDG_CACHE_HOME/cgan-tui`, else `$HOME/.cache/cgan-tui`
    /// when HOME is an existing folder. A HOME that does not exist (Debian gives root
    /// `HOME=/nonexistent`) is never created: the cache goes to `$TMPDIR/cgan-tui-cache-<uid>`
    /// instead, and `note` says so. Nil when no usable folder is found (no cache, only slower).
    public static func defaultCacheDirectory(environment env: [String: String] = ProcessInfo.processInfo.environment)
        -> (url: URL, note: String?)? {
        let fm = FileManager.default
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            return (URL(fileURLWithPath: xdg).appendingPathComponent("cgan-tui"), nil)
        }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        var isDir: ObjCBool = false
        if let home, fm.fileExists(atPath: home, isDirectory: &isDir), isDir.boolValue {
            return (URL(fileURLWithPath: home).appendingPathComponent(".cache/cgan-tui"), nil)
        }
        // A folder of our own in the shared temporary folder: made 0700, and only used if it
        // is a real folder owned by us (not a link someone else planted).
        let tmp = URL(fileURLWithPath: env["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
            .appendingPathComponent("cgan-tui-cache-\(getuid())")
        mkdir(tmp.path, 0o700)
        var st = stat()
        guard lstat(tmp.path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid() else { return nil }
        let why = home.map { "HOME (\($0)) does not exist" } ?? "HOME is not set"
        return (tmp, "\(why): caching spectrograms in \(tmp.path) instead")
    }

    /// `DATASET/<class>/...`, or the seed's `DATASET/train/<class>/...`.
    public static func scan(_ root: URL) throws -> DatasetLayout {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir) else {
            throw UserError("dataset folder not found: \(root.path)")
        }
        guard isDir.boolValue else { throw UserError("dataset is not a folder: \(root.path)") }
        var classRoot = root.standardizedFileURL
        var skipped: [(path: String, reason: String)] = []
        var classes = try subfolders(classRoot, skipped: &skipped)
        // The seed's layout: DATASET/train/<class>. Use it when train/ holds class folders
        // (a lone class folder named "train" holding clips stays a class).
        var inner: [(path: String, reason: String)] = []
        if classes.contains("train"), let names = try? subfolders(classRoot.appendingPathComponent("train"), skipped: &inner), !names.isEmpty {
            classRoot = classRoot.appendingPathComponent("train")
            classes = names
            skipped = inner
        }
        guard !classes.isEmpty else {
            throw UserError("no class folders in \(root.path) (expected \(root.path)/<class>/<clips>)")
        }
        let files = classes.map { listFiles(classRoot.appendingPathComponent($0), skipped: &skipped) }
        return DatasetLayout(classRoot: classRoot, classes: classes, files: files, skipped: skipped)
    }

    /// Class folders: non-hidden folders, symbolic links to folders included.
    private static func subfolders(_ url: URL, skipped: inout [(path: String, reason: String)]) throws -> [String] {
        guard let entries = DirectoryListing(url, skipped: &skipped) else {
            throw UserError("cannot read dataset folder \(url.path): \(String(cString: strerror(errno)))")
        }
        return entries.items.filter { $0.isFolder }.map(\.name).sorted()
    }

    /// Every regular non-hidden file below `folder`, following symbolic links (a folder of
    /// linked samples is common); a folder reached twice (a link loop) is listed once.
    private static func listFiles(_ folder: URL, skipped: inout [(path: String, reason: String)]) -> [URL] {
        var out: [URL] = []
        var seen = Set<DirectoryListing.FileID>()
        func walk(_ dir: URL, _ id: DirectoryListing.FileID?) {
            if let id, !seen.insert(id).inserted {
                skipped.append((dir.path, "folder already listed through another path (a symbolic link loop?)"))
                return
            }
            guard let listing = DirectoryListing(dir, skipped: &skipped) else {
                skipped.append((dir.path, "cannot read folder (\(String(cString: strerror(errno))))"))
                return
            }
            for item in listing.items {
                if item.isFolder { walk(item.url, item.id) } else if item.isRegularFile { out.append(item.url) } else {
                    skipped.append((item.url.path, "not a regular file"))
                }
            }
        }
        walk(folder, DirectoryListing.id(of: folder))
        return out.sorted { $0.path < $1.path }
    }

    /// Throws UserError for a missing folder, no class folders, no usable clips.
    /// Files are decoded on `threads` threads; unusable files are listed in `skipped`.
    /// `progress(done, total)` is called from the worker threads after each file.
    /// With `cacheDirectory` (e.g. the run's output folder, or `defaultCacheDirectory()`),
    /// spectrograms are reused across runs.
    public static func load(_ root: URL, config: SpectrogramConfig, cacheDirectory: URL?,
                            threads: Int, isa: ISALevel = .avx512,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SpectrogramDataset {
        try load(root, config: config, cacheDirectory: cacheDirectory, threads: threads,
                 resampler: AudioIO.resamplerQuality, isa: isa, progress: progress)
    }

    /// The same with a chosen libsoxr recipe (part of the cache key) and the widest instructions
    /// the transform's C kernels may use (`isa`; every level gives the same bits).
    public static func load(_ root: URL, config: SpectrogramConfig, cacheDirectory: URL?, threads: Int,
                            resampler: ResamplerQuality, isa: ISALevel = .avx512,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SpectrogramDataset {
        try config.validate()
        let layout = try scan(root)
        let jobs: [(label: Int, url: URL)] = layout.files.enumerated().flatMap { c, urls in urls.map { (c, $0) } }
        // A cache folder that cannot be created only costs time: carry on without it.
        let cache: SpectrogramCache? = cacheDirectory.flatMap { dir in
            (try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true))
                .map { SpectrogramCache(directory: dir, config: config, resampler: resampler) }
        }
        let extractor = LogMelExtractor(config: config, isa: isa)
        let results = Mutex<[Int: Outcome]>([:])
        let next = Mutex(0)
        let workers = max(1, min(threads, jobs.count))
        let total = jobs.count
        runInParallel(workers) {
            let handle = ResamplerHandle()
            while true {
                let i = next.withLock { v -> Int in defer { v += 1 }; return v }
                if i >= total { break }
                let outcome = loadClip(jobs[i].url, extractor: extractor, cache: cache, resampler: resampler, handle: handle)
                let done = results.withLock { r -> Int in r[i] = outcome; return r.count }
                progress?(done, total)
            }
        }
        let outcomes = results.withLock { $0 }

        var dataset = SpectrogramDataset(classes: layout.classes, config: config,
                                         spectrograms: ClipSpectrograms(nMels: config.nMels, frames: config.frames), labels: [],
                                         clipCounts: Array(repeating: 0, count: layout.classes.count),
                                         skipped: layout.skipped, totalSeconds: 0)
        for (i, job) in jobs.enumerated() {
            switch outcomes[i]! {
            case .clip(let spectrogram, let seconds, let cached):
                dataset.spectrograms.append(spectrogram)
                dataset.labels.append(job.label)
                dataset.clipCounts[job.label] += 1
                dataset.totalSeconds += seconds
                if cached { dataset.cachedClips += 1 }
            case .skipped(let reason):
                dataset.skipped.append((job.url.path, reason))
            }
        }
        guard !dataset.spectrograms.isEmpty else {
            let detail = jobs.isEmpty ? "the class folders are empty" : (jobs.count == 1 ? "its one file was skipped: " : "all \(jobs.count) files were skipped, e.g. ") + "\(dataset.skipped[0].path): \(dataset.skipped[0].reason)"
            throw UserError("no usable audio clips in \(root.path) (\(detail))")
        }
        return dataset
    }

    /// Runs `body` on `workers` threads at once (this one and workers - 1 new ones) and waits.
    /// Not DispatchQueue.concurrentPerform: on Linux, libdispatch's pool adds its workers
    /// only when it sees idle CPUs, and on a busy machine the second file-worker started late
    /// or never (measured: 8% of the work on the second thread).
    static func runInParallel(_ workers: Int, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        for _ in 1 ..< max(workers, 1) {
            let thread = Thread { body(); done.signal() }
            thread.stackSize = 8 << 20
            thread.start()
        }
        body()
        for _ in 1 ..< max(workers, 1) { done.wait() }
    }

    enum Outcome: Sendable {
        case clip(ClipSpectrograms.Stored, seconds: Double, cached: Bool)
        case skipped(String)
    }

    static func loadClip(_ url: URL, extractor: LogMelExtractor, cache: SpectrogramCache?, resampler: ResamplerQuality,
                         handle: ResamplerHandle) -> Outcome {
        let config = extractor.config
        let path = url.path
        let stamp = SpectrogramCache.stamp(path)
        if let cache, let stamp, let entry = cache.read(path, stamp) {
            return .clip(.init(values: entry.logMel, validFrames: entry.validFrames), seconds: entry.seconds, cached: true)
        }
        do {
            let clip = try AudioIO.decode(url, sampleRate: config.sampleRate, maxOutput: config.samplesNeeded, quality: resampler,
                                      resampler: handle)
            let logMel = extractor.logMelOfSignal(clip.samples)
            try LogMelExtractor.requireFinite(logMel.values)
            if let cache, let stamp {
                cache.write(path, stamp, .init(logMel: logMel.values, validFrames: logMel.validFrames, seconds: clip.seconds))
            }
            return .clip(logMel, seconds: clip.seconds, cached: false)
        } catch {
            return .skipped(error.description)
        }
    }
}
