import ArgumentParser
import Foundation

@main
struct CGANTUI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan-tui",
        abstract: "Train a class-conditional GAN on a folder of labelled sounds, and hear it learn.",
        subcommands: [TrainCommand.self, MelCommand.self, InvertCommand.self, GenerateCommand.self, EvalCommand.self, ListenCommand.self,
                      BenchCommand.self],
        defaultSubcommand: TrainCommand.self)

    /// As ArgumentParser's, except that a command line it cannot parse (`--epochs abc`, an
    /// unknown option) is bad input like any other: `cgan-tui: <one line>` and exit 2, not
    /// the usage text and exit 64. Help and version requests are unchanged.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileHandle.standardError.write(Data("cgan-tui: \(text) (see cgan-tui help)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
