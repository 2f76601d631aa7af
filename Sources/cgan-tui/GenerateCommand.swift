import ArgumentParser

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate clips from a checkpoint.")

    func run() throws {
        throw ValidationError("'generate' is not implemented yet")
    }
}
