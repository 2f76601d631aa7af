import ArgumentParser

/// `cgan-tui --help` (also `-h`, `help`): training is what `cgan-tui` does with no subcommand,
/// so its help leads with the training usage and option groups, then lists the subcommands
/// (ArgumentParser's own root help shows only the list) and ends with examples.
enum RootHelp {
    static func isRequest(_ arguments: [String]) -> Bool {
        arguments.count == 1 && ["--help", "-h", "-help", "help"].contains(arguments[0])
    }

    static let examples = """
    EXAMPLES:
      cgan-tui                                      train on the demo dataset (assets/demo)
      cgan-tui path/to/drums --epochs 50            train on your sounds: one folder per class
      cgan-tui --resume runs/drums-20261201-093000  continue a stopped run where it stopped
      cgan-tui generate runs/drums --class kick     kick clips from the run's latest checkpoint
      cgan-tui eval runs/drums                      how well the run learned each class
    """

    static func text(columns: Int? = nil) -> String {
        let train = CGANTUI.helpMessage(for: TrainCommand.self, columns: columns)
        let root = CGANTUI.helpMessage(columns: columns)
        // Train's sections start after its USAGE block; the root's list starts at SUBCOMMANDS.
        var sections = train
        if let usage = train.range(of: "USAGE: "), let gap = train.range(of: "\n\n", range: usage.upperBound ..< train.endIndex) {
            sections = String(train[gap.upperBound...])
        }
        let subcommands = root.range(of: "SUBCOMMANDS:").map { String(root[$0.lowerBound...]) } ?? ""
        let overview = CGANTUI.configuration.abstract
        return """
        OVERVIEW: \(overview)

        USAGE: cgan-tui [<dataset>] [<options>]       train (the default subcommand)
               cgan-tui <subcommand> [<arguments>]
               cgan-tui --version

        \(sections.trimmingTrailingNewlines())

        \(subcommands.trimmingTrailingNewlines())

        \(examples)

        """
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
