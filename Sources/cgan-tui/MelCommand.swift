import ArgumentParser

struct MelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mel", abstract: "Write the log-mel spectrogram of one audio file as .npy (and PNG).")

    func run() throws {
        throw ValidationError("'mel' is not implemented yet")
    }
}
