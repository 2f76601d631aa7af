import BLAS
import Foundation
import Testing

/// The start-up kernel choice as a function of features, OpenBLAS's own pick and the environment,
/// and the cpuid reading against the kernel's own /proc/cpuinfo flags.
@Suite struct KernelChoiceTests {
    static let intelAVX512: CPUFeatures = CPUFeatures.avx512.union([.avx2, .fma])
    static let amdAVX2: CPUFeatures = [.avx2, .fma, .amd]

    func startUp(_ env: [String: String] = [:], detected: String, _ f: CPUFeatures, cap: ISALevel = .avx512) -> KernelChoice.StartUp {
        KernelChoice.startUp(environment: env, detected: detected, level: ISALevel.best(f, cap: cap), features: f)
    }

    /// The Xeon (family 6 model 207): OpenBLAS 0.3.21 does not know it and runs Prescott.
    @Test func unknownAVX512ModelGetsSkylakeX() {
        #expect(startUp(detected: "Prescott", Self.intelAVX512) == .restart(coreType: "SkylakeX", marker: "SkylakeX:Prescott"))
        #expect(startUp(detected: "Prescott", Self.intelAVX512.union(.avx512bf16))
                == .restart(coreType: "Cooperlake", marker: "Cooperlake:Prescott"))
        #expect(startUp(detected: "Haswell", Self.intelAVX512) == .restart(coreType: "SkylakeX", marker: "SkylakeX:Haswell"))
    }

    @Test func avx2PicksTheVendorsKernels() {
        #expect(startUp(detected: "Prescott", Self.amdAVX2) == .restart(coreType: "Zen", marker: "Zen:Prescott"))
        #expect(startUp(detected: "Nehalem", [.avx2, .fma]) == .restart(coreType: "Haswell", marker: "Haswell:Nehalem"))
        // AVX2 without FMA (no such OpenBLAS kernel family), or no AVX2: OpenBLAS's own choice stays.
        #expect(startUp(detected: "Sandybridge", [.avx2]) == .keep)
        #expect(startUp(detected: "Prescott", []) == .keep)
    }

    @Test func aGoodOwnChoiceStays() {
        #expect(startUp(detected: "Cooperlake", Self.intelAVX512) == .keep)
        #expect(startUp(detected: "SKYLAKEX", Self.intelAVX512.union(.avx512bf16)) == .keep)
        #expect(startUp(detected: "Haswell", Self.amdAVX2) == .keep)
    }

    @Test func theUsersValueWinsAndThereIsNoSecondRestart() {
        #expect(startUp(["OPENBLAS_CORETYPE": "Prescott"], detected: "Prescott", Self.intelAVX512) == .keep)
        #expect(startUp([KernelChoice.markerVariable: "SkylakeX:Prescott"], detected: "Prescott", Self.intelAVX512) == .keep)
        // OpenBLAS treats an empty value as unset (checked with 0.3.21); so do we.
        #expect(startUp(["OPENBLAS_CORETYPE": ""], detected: "Prescott", Self.intelAVX512) != .keep)
    }

    @Test func theCapLowersTheChoice() {
        #expect(startUp(detected: "Cooperlake", Self.intelAVX512, cap: .avx2) == .restart(coreType: "Haswell", marker: "Haswell:Cooperlake"))
        #expect(startUp(detected: "Cooperlake", Self.intelAVX512, cap: .baseline) == .restart(coreType: "Prescott", marker: "Prescott:Cooperlake"))
        #expect(ISALevel.cap(["CGAN_TUI_MAX_ISA": "AVX2"]) == .success(.avx2))
        #expect(ISALevel.cap([:]) == .success(nil))
        #expect(throws: ISACapError.self) { try ISALevel.cap(["CGAN_TUI_MAX_ISA": "sse9"]).get() }
    }

    @Test func theLineSaysWhy() {
        func line(_ env: [String: String], _ running: String, _ f: CPUFeatures = Self.intelAVX512) -> String {
            KernelChoice.describe(environment: env, running: running, level: ISALevel.best(f), features: f).line
        }
        let ours = ["OPENBLAS_CORETYPE": "SkylakeX", KernelChoice.markerVariable: "SkylakeX:Prescott"]
        #expect(line(ours, "SkylakeX") == "OpenBLAS SkylakeX kernels (chosen for AVX-512; OpenBLAS detected Prescott)")
        #expect(line(ours, "Prescott") == "OpenBLAS Prescott kernels (SkylakeX chosen for AVX-512 was refused by this OpenBLAS)")
        #expect(line(["OPENBLAS_CORETYPE": "Haswell"], "Haswell") == "OpenBLAS Haswell kernels (OPENBLAS_CORETYPE set by you)")
        // The user's value with a stale marker from a parent cgan-tui: still the user's.
        #expect(line(["OPENBLAS_CORETYPE": "Haswell", KernelChoice.markerVariable: "SkylakeX:Prescott"], "Haswell")
                == "OpenBLAS Haswell kernels (OPENBLAS_CORETYPE set by you)")
        #expect(line([:], "Cooperlake") == "OpenBLAS Cooperlake kernels (OpenBLAS's own choice, right for AVX-512)")
        #expect(line([:], "Prescott") == "OpenBLAS Prescott kernels (OpenBLAS's own choice; SkylakeX for AVX-512 could not be set)")
        #expect(line([:], "Nehalem", []) == "OpenBLAS Nehalem kernels (OpenBLAS's own choice; the CPU has neither AVX2+FMA nor AVX-512)")
    }

    /// cpuid against Linux's own reading of the same bits.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/cpuinfo")))
    func cpuidAgreesWithProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        let f = CPUFeatures.current
        for (name, bit) in [("avx2", CPUFeatures.avx2), ("fma", .fma), ("avx512f", .avx512f), ("avx512dq", .avx512dq),
                            ("avx512cd", .avx512cd), ("avx512bw", .avx512bw), ("avx512vl", .avx512vl),
                            ("avx512_bf16", .avx512bf16)] {
            #expect(f.contains(bit) == flags.contains(name), "\(name): cpuid \(f.contains(bit)), /proc/cpuinfo \(flags.contains(name))")
        }
        #expect(f.contains(.amd) == text.contains("AuthenticAMD"))
    }
}
