import CCPU

/// The vector extensions this CPU and OS offer, read with cpuid (the one file that imports CCPU).
public struct CPUFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(CPU_AVX512F))
    public static let avx512dq = CPUFeatures(rawValue: UInt32(CPU_AVX512DQ))
    public static let avx512cd = CPUFeatures(rawValue: UInt32(CPU_AVX512CD))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(CPU_AVX512BW))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(CPU_AVX512VL))
    public static let avx512bf16 = CPUFeatures(rawValue: UInt32(CPU_AVX512BF16))
    /// Not a feature: the vendor, which decides between OpenBLAS's Haswell and Zen kernels.
    public static let amd = CPUFeatures(rawValue: UInt32(CPU_VENDOR_AMD))

    /// What OpenBLAS's SkylakeX kernels need.
    public static let avx512: CPUFeatures = [.avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl]

    public static let current = CPUFeatures(rawValue: cpu_features())
}

/// The widest instruction set the numeric code uses: the CPU's best, or less when the user caps
/// it with `CGAN_TUI_MAX_ISA=avx2|baseline` (to compare kernels, or to avoid a faulty one).
public enum ISALevel: Int, Comparable, Sendable, CaseIterable {
    case baseline, avx2, avx512

    public static func < (a: ISALevel, b: ISALevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The C kernels' `isa` argument (CWinograd, CKernels): 0 portable, 1 AVX2, 2 AVX-512, each
    /// capped again by the CPU inside the kernel.
    public var kernelFlag: Int32 { Int32(rawValue) }

    /// The best level `features` support, at most `cap`.
    public static func best(_ features: CPUFeatures, cap: ISALevel = .avx512) -> ISALevel {
        let own: ISALevel = features.isSuperset(of: CPUFeatures.avx512.union([.avx2, .fma])) ? .avx512
            : features.isSuperset(of: [.avx2, .fma]) ? .avx2 : .baseline
        return min(own, cap)
    }

    /// `CGAN_TUI_MAX_ISA` read from `environment`: nil when unset, an error line when unknown.
    public static func cap(_ environment: [String: String]) -> Result<ISALevel?, ISACapError> {
        guard let v = environment["CGAN_TUI_MAX_ISA"], !v.isEmpty else { return .success(nil) }
        guard let level = allCases.first(where: { $0.name == v.lowercased() }) else { return .failure(ISACapError(value: v)) }
        return .success(level)
    }
}

public struct ISACapError: Error, Equatable, CustomStringConvertible {
    public let value: String
    public var description: String { "CGAN_TUI_MAX_ISA must be avx512, avx2 or baseline (got '\(value)')" }
}
