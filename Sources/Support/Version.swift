/// The program's version: `cgan-tui --version` prints it and every run's config.json records
/// it. One constant, raised by hand in the commit that changes what a release does (SwiftPM
/// has no build-time version stamp without a plugin, and a plugin would slow every build).
public enum CGANVersion {
    public static let string = "0.9.0"
}
