import Foundation
import GAN
import Quality

/// The front end without the dashboard. On a terminal: one progress line redrawn in place
/// (epoch, bar, losses, rate, ETA). On a pipe or file: plain lines a log keeps, one per epoch
/// and one every `logEvery` steps. Warnings and errors go to stderr either way.
final class HeadlessProgress {
    struct Outcome {
        var error: String?
        var lastCheckpoint: URL?
        var epoch = 0
        var step = 0
        var epochsDone = 0
    }

    private let interactive: Bool
    private let logEvery: Int
    private let totalEpochs: Int
    private let stepsPerEpoch: Int
    private let startEpoch: Int
    private let startStep: Int
    private var lastDraw = DispatchTime(uptimeNanoseconds: 0)
    private var barShown = false
    private var trainStart: DispatchTime?
    private var rateEMA: Double?    // seconds per step, smoothed
    private var quality: (epoch: Int, report: QualityReport)?
    private var collapsed: [String] = []
    private(set) var outcome = Outcome()

    init(interactive: Bool, logEvery: Int, totalEpochs: Int, stepsPerEpoch: Int, startEpoch: Int, startStep: Int) {
        self.interactive = interactive; self.logEvery = logEvery; self.totalEpochs = totalEpochs
        self.stepsPerEpoch = stepsPerEpoch; self.startEpoch = startEpoch; self.startStep = startStep
    }

    /// Reads events until the trainer finishes.
    func run(_ trainer: Trainer) -> Outcome {
        while true {
            guard let event = trainer.events.receive(timeout: 0.25) else { continue }
            if handle(event) { break }
        }
        clearBar()
        return outcome
    }

    /// Returns true on `.finished`.
    func handle(_ event: TrainingEvent) -> Bool {
        switch event {
        case .stepFinished(let r):
            if trainStart == nil { trainStart = .now() }
            rateEMA = rateEMA.map { 0.9 * $0 + 0.1 * r.seconds } ?? r.seconds
            outcome.epoch = r.epoch; outcome.step = r.step
            if interactive {
                drawBar(r)
            } else if logEvery > 0, r.step % logEvery == 0, r.stepInEpoch != r.stepsPerEpoch {
                line(String(format: "  step %d (epoch %d, %d/%d)  loss_d %.4f  loss_g %.4f  %.1f samples/s",
                            r.step, r.epoch, r.stepInEpoch, r.stepsPerEpoch, r.lossD, r.lossG, r.samplesPerSecond))
            }
        case .epochFinished(let epoch, let d, let g, let seconds):
            outcome.epochsDone = epoch
            let text = String(format: "epoch %d/%d  step %d  loss_d %.4f  loss_g %.4f  %.1f s",
                              epoch, totalEpochs, outcome.step, d, g, seconds)
                + (quality?.epoch == epoch ? Self.qualityText(quality!.report) : "") + etaText(afterEpoch: epoch)
            if interactive { clearBar() }
            line(text)
        case .qualityScored(let epoch, let report):
            quality = (epoch, report)
            let newly = report.collapsedClasses.filter { !collapsed.contains($0) }
            collapsed = report.collapsedClasses
            if !newly.isEmpty {
                if interactive { clearBar() }
                printWarning("epoch \(epoch): mode collapse in \(newly.joined(separator: ", ")): "
                             + "the generated spectrograms of the class are nearly identical (diversity below "
                             + String(format: "%.2f", QualityEvaluator.collapseThreshold) + " of the real clips' spread)")
            }
        case .checkpointSaved(let url):
            outcome.lastCheckpoint = url
        case .message(let text):
            if interactive { clearBar() }
            line(text)
        case .error(let text):
            outcome.error = text
        case .finished:
            return true
        case .stateChanged, .samplesReady, .epochOutputsWritten, .clipSynthesized, .bestCheckpointSaved:
            break
        }
        return false
    }

    /// `  fidelity 0.62 (ceiling 0.94)`, and the collapsed classes if any.
    static func qualityText(_ r: QualityReport) -> String {
        let ceiling = r.ceiling.map { String(format: "%.2f", $0) } ?? "n/a"
        let collapsed = r.collapsedClasses.isEmpty ? "" : "  collapsed: " + r.collapsedClasses.joined(separator: ", ")
        return String(format: "  fidelity %.2f (ceiling %@)", r.fidelity, ceiling) + collapsed
    }

    private func etaText(afterEpoch epoch: Int) -> String {
        guard let spp = rateEMA, epoch < totalEpochs else { return "" }
        let remaining = Double((totalEpochs - epoch) * stepsPerEpoch) * spp
        return "  ETA " + Self.duration(remaining)
    }

    private func drawBar(_ r: StepReport) {
        let now = DispatchTime.now()
        // Redraw at most 10 times a second; a terminal is not a log.
        guard now.uptimeNanoseconds - lastDraw.uptimeNanoseconds > 100_000_000 || r.stepInEpoch == r.stepsPerEpoch else { return }
        lastDraw = now
        let doneSteps = (r.epoch - 1) * stepsPerEpoch + r.stepInEpoch
        let total = totalEpochs * stepsPerEpoch
        let fraction = min(1, Double(doneSteps) / Double(max(total, 1)))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let remaining = Double(total - doneSteps) * (rateEMA ?? 0)
        let text = String(format: "epoch %d/%d [%@] %3.0f%%  D %.3f  G %.3f  %.1f samples/s  ETA %@",
                          r.epoch, totalEpochs, bar, fraction * 100, r.lossD, r.lossG, r.samplesPerSecond,
                          Self.duration(remaining))
        write("\r" + text + "\u{1B}[K")
        barShown = true
    }

    private func clearBar() {
        if barShown { write("\r\u{1B}[K"); barShown = false }
    }

    private func line(_ text: String) { write(text + "\n") }

    /// A closed stdout raises SIGPIPE, which `StopSignals` turns into a stop; the line is lost.
    private func write(_ text: String) {
        Console.write(text, to: STDOUT_FILENO)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
