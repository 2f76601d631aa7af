import ArgumentParser

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "sgemm GFLOP/s and one training step: samples/s, achieved GFLOP/s, peak RSS.")

    func run() throws {
        print("bench train: not implemented yet")
    }
}
