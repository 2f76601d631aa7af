// swift-tools-version: 6.0
import PackageDescription

// Numeric modules are optimised even in debug builds: unoptimised Swift is 10-50x slower on
// the convolution and FFT loops, which would make the reference tests and the demo crawl.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

func systemLibrary(_ name: String, _ pkg: String, _ apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkg, providers: [.apt([apt])])
}

let package = Package(
    name: "cgan-tui",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cgan-tui", targets: ["cgan-tui"]),
        .executable(name: "cgan-fuzz", targets: ["cgan-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin C modules: a module map and a header each.
        systemLibrary("CNcursesW", "ncursesw", "libncurses-dev"),
        systemLibrary("COpenBLAS", "openblas", "libopenblas-dev"),
        systemLibrary("CSndFile", "sndfile", "libsndfile1-dev"),
        systemLibrary("CFFTW", "fftw3f", "libfftw3-dev"),
        systemLibrary("CALSA", "alsa", "libasound2-dev"),
        systemLibrary("CSoxr", "soxr", "libsoxr-dev"),
        systemLibrary("CPNG", "libpng", "libpng-dev"),

        // The engine's own C kernels (Winograd transforms: AVX-512 / AVX2 chosen at run time); optimised in debug builds too.
        .target(name: "CWinograd", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // The per-element passes (BatchNorm, activations, Adam): AVX-512 / AVX2 / portable chosen at run time.
        .target(name: "CKernels", dependencies: ["CWinograd"], cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // cpuid: the CPU's vector extensions, which choose OpenBLAS's kernels at start-up.
        .target(name: "CCPU"),

        // Domain modules. Each C module is imported by exactly one Swift file.
        .target(name: "Support", swiftSettings: optimisedInDebug),
        .target(name: "BLAS", dependencies: ["COpenBLAS", "CCPU"], swiftSettings: optimisedInDebug),
        .target(name: "Audio",
                dependencies: ["Support", "BLAS", "CSndFile", "CFFTW", "CSoxr", "CPNG", "CKernels"],
                swiftSettings: optimisedInDebug),
        .target(name: "Engine", dependencies: ["Support", "BLAS", "CWinograd", "CKernels"], swiftSettings: optimisedInDebug),
        // Run quality: a small classifier fitted on the real spectrograms scores generated ones.
        .target(name: "Quality", dependencies: ["Support"], swiftSettings: optimisedInDebug),
        .target(name: "GAN", dependencies: ["Support", "Engine", "Audio", "Quality"], swiftSettings: optimisedInDebug),
        .target(name: "Playback", dependencies: ["Support", "CALSA"]),
        .target(name: "Dashboard", dependencies: ["Support", "GAN", "Quality", "Playback", "CNcursesW"],
                swiftSettings: optimisedInDebug),   // rendering and diffing 5000 cells per frame
        // Fuzz targets for the parsers of outside bytes (scripts/fuzz.sh builds them with libFuzzer).
        .executableTarget(name: "cgan-fuzz", dependencies: ["Support", "Engine", "Audio", "GAN"]),
        .executableTarget(
            name: "cgan-tui",
            dependencies: [
                "Support", "BLAS", "Audio", "Engine", "GAN", "Quality", "Playback", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimisedInDebug),

        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "Support", "BLAS", "CKernels"],
                    exclude: ["Fixtures"], swiftSettings: optimisedInDebug),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "BLAS", "Support"],
                    exclude: ["Fixtures"], swiftSettings: optimisedInDebug),
        .testTarget(name: "QualityTests", dependencies: ["Quality", "Support"],
                    exclude: ["Fixtures"], swiftSettings: optimisedInDebug),
        .testTarget(name: "GANTests", dependencies: ["GAN", "Quality", "Engine", "Audio", "Support"],
                    exclude: ["Fixtures"], swiftSettings: optimisedInDebug),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "GAN", "Quality", "Playback", "Support"],
                    exclude: ["Snapshots"]),
        .testTarget(name: "CLITests", dependencies: ["Support"]),
    ]
)
