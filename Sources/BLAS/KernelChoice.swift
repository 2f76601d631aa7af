/// Which OpenBLAS kernels to run. OpenBLAS 0.3.21 picks its kernels by CPU model when it loads
/// and falls back to SSE3 ("Prescott", 4-6x slower sgemm) on models it does not know, so
/// cgan-tui decides by the CPU's features instead and, when OpenBLAS picked something else, asks
/// for it with `OPENBLAS_CORETYPE` (which OpenBLAS reads only when it loads: the caller restarts
/// the process). A value the user set always wins. Pure: environment and names in, decision out.
public enum KernelChoice {
    /// Set with `OPENBLAS_CORETYPE` by cgan-tui itself: "<core>:<what OpenBLAS detected>". Tells
    /// the restarted process that the variable is ours, and never to restart again.
    public static let markerVariable = "CGAN_TUI_CORETYPE_SET"

    /// The kernels wanted at `level` (and why), and the core types that are as good (OpenBLAS's
    /// own pick stays when it is one of them). nil: OpenBLAS's own choice stays.
    public struct Wanted: Equatable, Sendable {
        public var core: String, reason: String, accepted: [String]
    }

    public static func wanted(level: ISALevel, features: CPUFeatures) -> Wanted? {
        let capped = level < ISALevel.best(features) ? ", capped by CGAN_TUI_MAX_ISA" : ""
        switch level {
        case .avx512:
            // Cooperlake's sgemm is SkylakeX's; it adds bf16 kernels we do not call.
            let bf16 = features.contains(.avx512bf16)
            return Wanted(core: bf16 ? "Cooperlake" : "SkylakeX", reason: bf16 ? "AVX-512 with BF16" : "AVX-512",
                          accepted: ["SkylakeX", "Cooperlake", "SapphireRapids"])
        case .avx2:
            // OpenBLAS's own pick for AVX2 parts of each vendor.
            return Wanted(core: features.contains(.amd) ? "Zen" : "Haswell", reason: "AVX2+FMA" + capped,
                          accepted: ["Haswell", "Zen"])
        case .baseline:
            return capped.isEmpty ? nil : Wanted(core: "Prescott", reason: "baseline x86-64" + capped, accepted: ["Prescott"])
        }
    }

    /// What to do at start-up, before anything else runs.
    public enum StartUp: Equatable, Sendable {
        case keep
        /// Restart with these variables set.
        case restart(coreType: String, marker: String)
    }

    public static func startUp(environment: [String: String], detected: String, level: ISALevel,
                               features: CPUFeatures) -> StartUp {
        if environment[markerVariable] != nil || !(environment["OPENBLAS_CORETYPE"] ?? "").isEmpty { return .keep }
        guard let w = wanted(level: level, features: features), !w.accepted.contains(where: { same($0, detected) }) else {
            return .keep
        }
        return .restart(coreType: w.core, marker: "\(w.core):\(detected)")
    }

    /// One line for people: which kernels run (`running`, from OpenBLAS) and why.
    /// e.g. "OpenBLAS SkylakeX kernels (chosen for AVX-512; OpenBLAS detected Prescott)".
    public static func describe(environment: [String: String], running: String, level: ISALevel,
                                features: CPUFeatures) -> (line: String, short: String) {
        let set = environment["OPENBLAS_CORETYPE"] ?? ""
        let marker = environment[markerVariable]?.split(separator: ":", maxSplits: 1).map(String.init) ?? []
        let w = wanted(level: level, features: features)
        let why: (String, String)
        if !set.isEmpty, marker.count == 2, marker[0] == set {
            let reason = w?.reason ?? "this CPU"
            why = same(running, set)
                ? ("chosen for \(reason); OpenBLAS detected \(marker[1])", "chosen for \(reason)")
                : ("\(set) chosen for \(reason) was refused by this OpenBLAS", "\(set) refused")
        } else if !set.isEmpty {
            why = ("OPENBLAS_CORETYPE set by you", "OPENBLAS_CORETYPE set by you")
        } else if let w {
            why = w.accepted.contains(where: { same($0, running) })
                ? ("OpenBLAS's own choice, right for \(w.reason)", "OpenBLAS's choice, \(w.reason)")
                : ("OpenBLAS's own choice; \(w.core) for \(w.reason) could not be set", "OpenBLAS's choice")
        } else {
            why = ("OpenBLAS's own choice; the CPU has neither AVX2+FMA nor AVX-512", "OpenBLAS's choice")
        }
        return ("OpenBLAS \(running) kernels (\(why.0))", "\(running) kernels (\(why.1))")
    }

    static func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }
}
