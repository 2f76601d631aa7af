import ArgumentParser

/// `cgan-tui bench` prints every figure for people; `bench audio` and `bench train` run one part.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this machine: extraction, synthesis, sgemm and training speed.",
        discussion: """
        With no subcommand, runs `bench audio` then `bench train` with their defaults.

        Example:
          cgan-tui bench train --torch
        """,
        subcommands: [BenchAudioCommand.self, BenchTrainCommand.self, BenchFFTCommand.self])

    func run() throws {
        try BenchAudioCommand.parse([]).run()
        try BenchTrainCommand.parse([]).run()
    }
}
