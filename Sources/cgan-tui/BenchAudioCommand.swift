import ArgumentParser

struct BenchAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audio", abstract: "Spectrogram extraction (audio-seconds per compute-second) and synthesis time.")

    func run() throws {
        print("bench audio: not implemented yet")
    }
}
