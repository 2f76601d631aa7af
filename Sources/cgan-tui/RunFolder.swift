import Foundation
import GAN
import Support

/// What the train command checks and holds in a run folder: one run per folder (a lock for
/// as long as it trains), no run written over another, a run without a checkpoint restarted,
/// a damaged `latest` answered with the newest checkpoint that loads.
extension TrainCommand {
    /// Creates the run folder and locks it for the whole run (another cgan-tui asked to write
    /// there exits 2 naming this one's PID); then removes temporary files of ours there that
    /// no writer will finish (killed checkpoint writes leave 100 MB each). A file system that
    /// cannot lock (some network mounts) gets a warning and no lock: refusing to train there
    /// would be worse.
    static func lockRunFolder(_ layout: RunLayout, plan: Plan) throws -> FileLock? {
        do { try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true) } catch {
            throw UserError("cannot create output folder \(layout.root.path): \(RunLayout.reason(error))")
        }
        var lock: FileLock?
        do { lock = try FileLock(layout.lock) } catch FileLock.Failure.held(let pid) {
            throw UserError(inUse(layout.root, pid ?? 0))
        } catch FileLock.Failure.cannot(let why) {
            printWarning("cannot lock \(layout.lock.path) (\(why)); training without a lock: make sure no other cgan-tui writes there")
        }
        // A run may have finished there between the first check and the lock.
        if !plan.continuesItsFolder { try checkHoldsNoRun(layout.root, shown: layout.root.path, probingLock: false) }
        let folders = [layout.root, layout.checkpoints, layout.plots, layout.audio, layout.root.appendingPathComponent("auditions")]
        // Without a lock only files of writers that are gone are known to be stale.
        let removed = AtomicFile.removeStaleTemporaries(in: folders, olderThan: lock?.acquired ?? .distantPast)
        if removed.files > 0 {
            say("cgan-tui: removed \(removed.files) unfinished temporary file\(removed.files == 1 ? "" : "s") "
                + String(format: "(%.1f MB)", Double(removed.bytes) / 1e6) + " left by an interrupted run")
        }
        return lock
    }

    static func inUse(_ folder: URL, _ pid: pid_t) -> String {
        "\(folder.path) is in use by another cgan-tui" + (pid > 0 ? " (PID \(pid))" : "")
            + "; wait for it to finish or choose another --out"
    }

    /// Throws when `folder` holds a run (or, unless we hold its lock ourselves, one is training
    /// there): a new run must not write over it.
    static func checkHoldsNoRun(_ folder: URL, shown: String, probingLock: Bool = true) throws {
        let layout = RunLayout(root: folder), fm = FileManager.default
        if probingLock, let pid = FileLock.currentHolder(layout.lock) { throw UserError(inUse(folder, pid)) }
        let q = shellQuoted(shown)
        if fm.fileExists(atPath: layout.latestCheckpoint.path) {
            throw UserError("\(shown) already holds a run; continue it with --resume \(q) or choose another --out")
        }
        if fm.fileExists(atPath: layout.config.path) {
            throw UserError("\(shown) already holds a run with no checkpoint yet; start it again with --resume \(q) or choose another --out")
        }
    }

    /// The saved config of a run folder that has no checkpoint at all (stopped or killed before
    /// its first one), which `--resume` then starts again from epoch 1; nil otherwise.
    static func runToRestart(_ path: String) throws -> RunConfig? {
        let layout = RunLayout(root: URL(fileURLWithPath: path)), fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue,
              !fm.fileExists(atPath: layout.latestCheckpoint.path), fm.fileExists(atPath: layout.config.path),
              newestGoodCheckpoint(layout, besides: layout.latestCheckpoint) == nil else { return nil }
        return try RunConfig.read(layout.config)
    }

    /// "; the newest checkpoint that can be resumed is ...: resume from it with ..." when there is one.
    static func otherCheckpointHint(_ layout: RunLayout, besides bad: URL) -> String {
        guard let good = newestGoodCheckpoint(layout, besides: bad) else { return "" }
        let path = relativePathOf(good.url)
        return "; the newest checkpoint that can be resumed is \(path) (epoch \(good.epoch)): resume from it with cgan-tui --resume \(shellQuoted(path))"
    }

    /// The most recently written checkpoint of the run, other than `bad`, that loads and can be
    /// resumed (it holds the optimizer state: numbered checkpoints hold weights only).
    static func newestGoodCheckpoint(_ layout: RunLayout, besides bad: URL) -> (url: URL, epoch: Int)? {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: layout.checkpoints.path) else { return nil }
        let candidates = names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
            .map { layout.checkpoints.appendingPathComponent($0) }
            .filter { $0.standardizedFileURL != bad.standardizedFileURL }
            .map { (url: $0, time: (try? fm.attributesOfItem(atPath: $0.path)[.modificationDate] as? Date) ?? .distantPast) }
            .sorted { $0.time > $1.time }
        for c in candidates {
            if let (gan, meta) = try? ConditionalGAN.load(from: c.url), meta.step == 0 || gan.step == meta.step {
                return (c.url, meta.epoch)
            }
        }
        return nil
    }

    static func sameFolder(_ a: URL, _ b: URL) -> Bool {
        func real(_ u: URL) -> String { u.resolvingSymlinksInPath().standardizedFileURL.path }
        return real(a) == real(b)
    }

    static func relativePathOf(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let p = url.standardizedFileURL.path
        return p.hasPrefix(cwd) ? String(p.dropFirst(cwd.count)) : p
    }
}
