import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure this machine: extraction, synthesis, sgemm and training speed.")

    func run() throws {
        throw ValidationError("'bench' is not implemented yet")
    }
}
