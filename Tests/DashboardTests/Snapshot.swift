import Foundation
import Testing
@testable import Dashboard

/// Compares a rendered buffer with `Snapshots/<name>.txt` (characters) and, when `styles` is
/// set, `Snapshots/<name>.styles.txt` (colour and attribute runs per row). With
/// SNAPSHOT_RECORD=1 the files are (re)written instead; a missing file is written and the
/// test fails, so a new snapshot is always looked at once before it guards anything.
func assertSnapshot(_ buffer: CellBuffer, _ name: String, styles: Bool = true,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    var layers = [("txt", buffer.text())]
    if styles { layers.append(("styles.txt", buffer.styleText())) }
    let record = ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] == "1"
    for (ext, actual) in layers {
        let url = dir.appendingPathComponent("\(name).\(ext)")
        let stored = try? String(contentsOf: url, encoding: .utf8)
        if record || stored == nil {
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            if !record { Issue.record("recorded new snapshot \(url.lastPathComponent): check it, then rerun", sourceLocation: sourceLocation) }
            continue
        }
        if stored != actual {
            let diff = firstDifference(stored!, actual)
            Issue.record("snapshot \(url.lastPathComponent) differs (SNAPSHOT_RECORD=1 re-records):\n\(diff)\n--- actual ---\n\(actual)",
                         sourceLocation: sourceLocation)
        }
    }
}

private func firstDifference(_ a: String, _ b: String) -> String {
    let la = a.split(separator: "\n", omittingEmptySubsequences: false)
    let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0 ..< max(la.count, lb.count) {
        let x = i < la.count ? String(la[i]) : "<none>"
        let y = i < lb.count ? String(lb[i]) : "<none>"
        if x != y { return "line \(i + 1):\n  stored: \(x)\n  actual: \(y)" }
    }
    return "(same lines)"
}
