import BLAS
import Foundation
import Synchronization

/// Opt-in timing of the engine's parallel sections, with `GemmProfile` (`CGAN_GEMM_PROFILE=1
/// cgan-tui bench train`): per call site, how long its sections took and how long the workers
/// that finished first waited for the last one. With the step's wall time this says how much of
/// it ran on one core only (outside every section) and how much was lost to imbalance. Off, it
/// costs one branch per section.
public enum SectionProfile {
    public static var enabled: Bool { GemmProfile.enabled }
    private static let table = Mutex<[String: (sections: Int, seconds: Double, waiting: Double)]>([:])

    static func add(_ site: String, seconds: Double, waiting: Double) {
        table.withLock { t in
            var e = t[site] ?? (0, 0, 0)
            e.sections += 1; e.seconds += seconds; e.waiting += waiting
            t[site] = e
        }
    }

    public static func reset() { table.withLock { $0 = [:] } }

    /// Seconds inside sections and seconds waited, over everything since `reset`.
    public static var totals: (seconds: Double, waiting: Double) {
        table.withLock { $0.values.reduce((0, 0)) { ($0.0 + $1.seconds, $0.1 + $1.waiting) } }
    }

    /// One line per call site, most waiting first (at most `limit`).
    public static func report(limit: Int = 8) -> [String] {
        table.withLock { $0 }.sorted { $0.value.waiting > $1.value.waiting }.prefix(limit).map { site, v in
            String(format: "%8.1f ms in %3d sections, %6.1f ms waiting for the slower worker  %@",
                   v.seconds * 1e3, v.sections, v.waiting * 1e3, site as NSString)
        }
    }

    /// Runs `run(finished)` (which calls `finished()` as each worker ends) and records the section.
    @inline(__always)
    static func timed(_ site: @autoclosure () -> String, _ run: (_ finished: @Sendable () -> Void) -> Void) {
        guard enabled else { run({}); return }
        let start = DispatchTime.now().uptimeNanoseconds
        let ends = Mutex<[UInt64]>([])
        run { let t = DispatchTime.now().uptimeNanoseconds; ends.withLock { $0.append(t) } }
        let e = ends.withLock { $0 }
        guard let last = e.max(), let first = e.min() else { return }
        add(site(), seconds: Double(last - start) * 1e-9, waiting: Double(last - first) * 1e-9)
    }
}
