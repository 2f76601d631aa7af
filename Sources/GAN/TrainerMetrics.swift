import Foundation
import Quality
import Support

/// `metrics.csv`: one row per optimizer step, appended as training goes. The last step of each
/// epoch also carries the epoch's quality scores (`fidelity,diversity,frechet` and one
/// `fidelity_<class>` per class); other rows leave those columns empty. A resumed run keeps
/// the rows up to its checkpoint's step and continues the same file (rows written after the
/// checkpoint by a run that was killed are dropped, since those steps are trained again).
final class MetricsLog {
    static let stepColumns = "epoch,step,loss_d,loss_g,seconds,samples_per_s"
    private let handle: FileHandle
    let url: URL
    let header: String
    private let classCount: Int

    init(url: URL, classes: [String], keepStepsUpTo lastStep: Int) throws {
        self.url = url
        header = Self.header(classes: classes)
        classCount = classes.count
        let columns = header.split(separator: ",").count
        var text = header + "\n"
        if lastStep > 0, let old = try? String(contentsOf: url, encoding: .utf8) {
            for line in old.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count >= 2, let step = Int(fields[1]), step <= lastStep else { continue }
                // Rows from before the quality columns existed get them, empty.
                text += line + String(repeating: ",", count: max(0, columns - fields.count)) + "\n"
            }
        }
        try AtomicFile.write(Data(text.utf8), to: url)
        do { handle = try FileHandle(forWritingTo: url) } catch {
            throw UserError("cannot write \(url.path)")
        }
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    static func header(classes: [String]) -> String {
        ([stepColumns, "fidelity,diversity,frechet"] + classColumns(classes)).joined(separator: ",")
    }

    /// `fidelity_<class>` with the folder name made CSV-safe: letters, digits, `_`, `-` and
    /// `.` kept, anything else (commas, quotes, spaces) as `_`; a clash gets `_2`, `_3`...
    static func classColumns(_ classes: [String]) -> [String] {
        var used = Set<String>()
        return classes.map { name in
            let safe = String(name.map { $0.isLetter || $0.isNumber || "_-.".contains($0) ? $0 : "_" })
            let base = "fidelity_" + (safe.isEmpty ? "_" : safe)
            var column = base, n = 2
            while used.contains(column) { column = "\(base)_\(n)"; n += 1 }
            used.insert(column)
            return column
        }
    }

    func append(_ r: StepReport, quality q: QualityReport? = nil) throws {
        var line = "\(r.epoch),\(r.step),\(r.lossD),\(r.lossG),\(String(format: "%.4f", r.seconds)),\(String(format: "%.2f", r.samplesPerSecond))"
        if let q {
            let fields: [Double?] = [q.fidelity, q.diversity, q.frechet] + q.classFidelity.map { $0 }
            line += fields.map { "," + ($0.map { String(format: "%.4f", $0) } ?? "") }.joined()
        } else {
            line += String(repeating: ",", count: 3 + classCount)
        }
        do { try handle.write(contentsOf: Data((line + "\n").utf8)) } catch {
            throw UserError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
