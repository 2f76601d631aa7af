import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train on DATASET (dashboard in a terminal, headless otherwise).")

    func run() throws {
        throw ValidationError("'train' is not implemented yet")
    }
}
