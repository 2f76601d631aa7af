import ArgumentParser

@main
struct CGANTUI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan-tui",
        abstract: "Train a class-conditional GAN on a folder of labelled sounds, and hear it learn.",
        subcommands: [TrainCommand.self, MelCommand.self, InvertCommand.self, GenerateCommand.self,
                      BenchCommand.self],
        defaultSubcommand: TrainCommand.self)
}
