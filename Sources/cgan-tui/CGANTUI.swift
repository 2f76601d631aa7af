import ArgumentParser
import Foundation
import Support

@main
struct CGANTUI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan-tui",
        abstract: "Train a class-conditional GAN on a folder of labelled sounds, and hear it learn.",
        version: CGANVersion.string,
        subcommands: [TrainCommand.self, MelCommand.self, InvertCommand.self, GenerateCommand.self, EvalCommand.self, ListenCommand.self, ExportCommand.self,
                      BenchCommand.self],
        defaultSubcommand: TrainCommand.self)

    /// As ArgumentParser's, except that the top-level help leads with training (`RootHelp`), a
    /// misspelt subcommand gets a suggestion (`CommandSuggestion`), and a command line it
    /// cannot parse (`--epochs abc`, an unknown option) is bad input like any other:
    /// `cgan-tui: <one line>` and exit 2, not the usage text and exit 64.
    static func main() {
        BLASKernels.chooseAtStartUp()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if RootHelp.isRequest(arguments) {
            print(RootHelp.text(), terminator: "")
            return
        }
        if let hint = CommandSuggestion.message(for: arguments) {
            printError(hint)
            Foundation.exit(2)
        }
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
