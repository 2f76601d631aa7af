import Foundation
import Support

/// `metrics.csv`: one row per optimizer step, appended as training goes. A resumed run keeps
/// the rows up to its checkpoint's step and continues the same file (rows written after the
/// checkpoint by a run that was killed are dropped, since those steps are trained again).
final class MetricsLog {
    static let header = "epoch,step,loss_d,loss_g,seconds,samples_per_s"
    private let handle: FileHandle
    let url: URL

    init(url: URL, keepStepsUpTo lastStep: Int) throws {
        self.url = url
        var text = Self.header + "\n"
        if lastStep > 0, let old = try? String(contentsOf: url, encoding: .utf8) {
            for line in old.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",")
                if fields.count >= 2, let step = Int(fields[1]), step <= lastStep { text += line + "\n" }
            }
        }
        try AtomicFile.write(Data(text.utf8), to: url)
        do { handle = try FileHandle(forWritingTo: url) } catch {
            throw UserError("cannot write \(url.path)")
        }
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    func append(_ r: StepReport) throws {
        let line = "\(r.epoch),\(r.step),\(r.lossD),\(r.lossG),\(String(format: "%.4f", r.seconds)),\(String(format: "%.2f", r.samplesPerSecond))\n"
        do { try handle.write(contentsOf: Data(line.utf8)) } catch {
            throw UserError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
