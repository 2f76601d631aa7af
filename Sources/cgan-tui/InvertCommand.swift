import ArgumentParser

struct InvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invert", abstract: "Turn a log-mel .npy back into a WAV.")

    func run() throws {
        throw ValidationError("'invert' is not implemented yet")
    }
}
