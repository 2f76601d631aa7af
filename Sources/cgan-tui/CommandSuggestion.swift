import ArgumentParser
import Foundation

/// `cgan-tui generat x`: a word where a subcommand belongs that is none (and, at the top, no
/// existing dataset folder either) but is close to one gets "did you mean 'cgan-tui generate'?"
/// instead of training on a folder called `generat`. Options are left to ArgumentParser, which
/// already suggests the nearest option name.
enum CommandSuggestion {
    static func message(for arguments: [String], root: ParsableCommand.Type = CGANTUI.self) -> String? {
        var command = root
        var path = [root.configuration.commandName ?? "cgan-tui"]
        for word in arguments {
            if word.hasPrefix("-") { return nil }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { $0.configuration.commandName == word }) {
                command = next
                path.append(word)
                continue
            }
            let atTop = ObjectIdentifier(command) == ObjectIdentifier(root)
            if word == "help" || (atTop && FileManager.default.fileExists(atPath: word)) { return nil }
            let names = subcommands.compactMap { $0.configuration.commandName } + (atTop ? ["help"] : [])
            guard let near = nearest(word, names) else { return nil }
            let what = atTop ? "a subcommand or a dataset folder" : "a subcommand of \(path.joined(separator: " "))"
            return "'\(word)' is not \(what); did you mean '\((path + [near]).joined(separator: " "))'?"
        }
        return nil
    }

    /// The one name the word is a misspelling of (at most 2 edits, fewer than half its letters)
    /// or the start of (3 letters or more); nil when none or several fit equally.
    static func nearest(_ word: String, _ names: [String]) -> String? {
        let prefixed = names.filter { word.count >= 3 && $0.hasPrefix(word) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = names.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= 2 && $0.1 * 2 < $0.0.count }
        guard let best = scored.map(\.1).min() else { return nil }
        let closest = scored.filter { $0.1 == best }
        return closest.count == 1 ? closest[0].0 : nil
    }

    /// Edits (insert, delete, substitute, swap two neighbours) that turn a into b.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0 ... a.count { d[i][0] = i }
        for j in 0 ... b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
