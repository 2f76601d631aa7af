import Audio
import Foundation
@testable import GAN
import Quality
import Support
import Testing

/// The trainer's quality tracking: each epoch's probe set scored (`.qualityScored` before the
/// epoch's `.epochFinished`), the scores in metrics.csv, best.safetensors kept, and a resumed
/// run that scores and chooses exactly as the uninterrupted one.
@Suite(.serialized) struct QualityTrackingTests {
    typealias Scratch = TrainerTests.Scratch

    /// The selection rule written out independently of `BestEpoch`: highest mean fidelity with
    /// collapsed classes as 0, equal scores to the lower Fréchet distance.
    static func expectedBest(_ reports: [(Int, QualityReport)]) -> Int? {
        func score(_ r: QualityReport) -> Double {
            zip(r.classFidelity, r.collapsed).map { $1 ? 0 : $0 }.reduce(0, +) / Double(r.classFidelity.count)
        }
        return reports.max { a, b in
            score(a.1) != score(b.1) ? score(a.1) < score(b.1) : a.1.frechet > b.1.frechet || (a.1.frechet == b.1.frechet && a.0 > b.0)
        }?.0
    }

    /// The epochs of `.bestCheckpointSaved` and the files of `.checkpointSaved`, in order.
    static func saves(_ events: [TrainingEvent]) -> (best: [Int], other: [URL]) {
        var best: [Int] = [], other: [URL] = []
        for e in events {
            switch e {
            case .bestCheckpointSaved(let n, _): best.append(n)
            case .checkpointSaved(let u): other.append(u)
            default: break
            }
        }
        return (best, other)
    }

    static func reports(_ events: [TrainingEvent]) -> [(Int, QualityReport)] {
        events.compactMap { e in if case .qualityScored(let n, let r) = e { return (n, r) }; return nil }
    }

    /// Three short epochs on the demo dataset (80 clips at 16 x 32, batch 16: 5 steps each).
    @Test func scoresEachEpochWritesTheColumnsAndKeepsTheBest() throws {
        let s = try Scratch()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let demo = try DatasetLoader.load(root.appendingPathComponent("assets/demo"), config: s.data.config,
                                          cacheDirectory: nil, threads: 1)
        s.options.epochs = 3
        s.options.batchSize = 16
        let trainer = try s.trainer("run", data: demo)
        trainer.qualitySamplesPerClass = 4
        trainer.start()
        let events = TrainerTests.collect(trainer)
        let reports = Self.reports(events)
        #expect(reports.map(\.0) == [1, 2, 3])
        for (_, r) in reports {
            #expect(r.classNames == ["chirp", "hat", "kick", "snare"] && r.samplesPerClass == [4, 4, 4, 4])
            #expect(r.classFidelity.allSatisfy { (0 ... 1).contains($0) } && r.frechet.isFinite && r.frechet >= 0)
            #expect(r.classCeiling.allSatisfy { $0 != nil }, "20 clips per class: 4 held out each")
        }
        // Each epoch's scores come just before its .epochFinished.
        let order = events.compactMap { e -> String? in
            switch e {
            case .qualityScored(let n, _): return "q\(n)"
            case .epochFinished(let n, _, _, _): return "e\(n)"
            default: return nil
            }
        }
        #expect(order == ["q1", "e1", "q2", "e2", "q3", "e3"])
        #expect(events.contains { if case .message(let m) = $0 { return m.hasPrefix("quality: classifier fitted on 80 real clips") }; return false })

        // metrics.csv: the quality columns filled on each epoch's last step (5, 10, 15) only.
        let lines = try String(contentsOf: trainer.layout.metrics, encoding: .utf8).split(separator: "\n")
        let header = "epoch,step,loss_d,loss_g,seconds,samples_per_s,fidelity,diversity,frechet,"
            + "fidelity_chirp,fidelity_hat,fidelity_kick,fidelity_snare"
        #expect(lines.first.map(String.init) == header)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 15 && rows.allSatisfy { $0.count == 13 })
        for row in rows {
            let step = Int(row[1])!
            if step % 5 == 0 {
                let r = reports[step / 5 - 1].1
                #expect(row[6] == String(format: "%.4f", r.fidelity) && row[8] == String(format: "%.4f", r.frechet))
                #expect(Array(row[9...]) == r.classFidelity.map { String(format: "%.4f", $0) })
            } else {
                #expect(row[6...].allSatisfy { $0.isEmpty }, "step \(step): \(row)")
            }
        }

        // best.safetensors: the epoch the rule picks, named in latest's metadata too.
        let want = try #require(Self.expectedBest(reports))
        let (best, bestMeta) = try ConditionalGAN.load(from: trainer.layout.bestCheckpoint)
        #expect(bestMeta.epoch == want && best.step == want * 5)
        #expect(bestMeta.best?.epoch == want)
        let (_, latestMeta) = try ConditionalGAN.load(from: trainer.layout.latestCheckpoint)
        #expect(latestMeta.best == bestMeta.best)
        let (bestSaves, otherSaves) = Self.saves(events)
        #expect(bestSaves.first == 1 && bestSaves.last == want && otherSaves.last == trainer.layout.latestCheckpoint)
        #expect(!otherSaves.contains(trainer.layout.bestCheckpoint), "best saves are announced as such")
    }

    /// 3 epochs straight vs 1, stop, resume to 3: the same scores every epoch (the probe's
    /// latents do not depend on where the run started) and the same best epoch, which the
    /// resumed run learns from the checkpoint it continues.
    @Test func resumedRunScoresAndChoosesAsTheStraightOne() throws {
        let s = try Scratch()
        s.options.epochs = 3
        let straight = try s.trainer("straight")
        straight.qualitySamplesPerClass = 4
        straight.start()
        let want = Self.reports(TrainerTests.collect(straight))
        s.options.epochs = 1
        let first = try s.trainer("split")
        first.qualitySamplesPerClass = 4
        first.start()
        var got = Self.reports(TrainerTests.collect(first))
        s.options.epochs = 3
        let loaded = try ConditionalGAN.load(from: first.layout.latestCheckpoint)
        #expect(loaded.1.best?.epoch == 1)
        let second = try s.trainer("split", resume: loaded)
        second.qualitySamplesPerClass = 4
        second.start()
        got += Self.reports(TrainerTests.collect(second))
        #expect(got.map(\.0) == want.map(\.0) && got.map(\.1) == want.map(\.1))
        let a = try ConditionalGAN.load(from: straight.layout.bestCheckpoint).1
        let b = try ConditionalGAN.load(from: second.layout.bestCheckpoint).1
        #expect(a.best == b.best && a.epoch == b.epoch)
        let quality = { (url: URL) in
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst(6).joined(separator: ",") }
        }
        #expect(try quality(straight.layout.metrics) == quality(second.layout.metrics))
    }

    @Test func noScoringWhenTurnedOff() throws {
        let s = try Scratch()
        s.options.epochs = 1
        let trainer = try s.trainer("run")
        trainer.qualitySamplesPerClass = 0
        trainer.start()
        let events = TrainerTests.collect(trainer)
        #expect(Self.reports(events).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: trainer.layout.bestCheckpoint.path))
    }
}

/// The best-epoch rule on hand-made reports.
@Suite struct BestEpochTests {
    static func report(_ fidelity: [Double], diversity: [Double?], frechet: Double) -> QualityReport {
        QualityReport(classNames: fidelity.indices.map { "c\($0)" }, samplesPerClass: fidelity.map { _ in 16 },
                      classFidelity: fidelity, classDiversity: diversity, frechet: frechet, ceiling: 1,
                      classCeiling: fidelity.map { _ in 1 }, collapseThreshold: 0.2)
    }

    @Test func higherScoreWinsEqualScoreGoesToTheLowerDistance() {
        let best = BestEpoch(epoch: 4, Self.report([0.75, 0.5], diversity: [1, 1], frechet: 3))
        #expect(best.score == 0.625)
        #expect(best.isBeaten(by: Self.report([0.8125, 0.5], diversity: [1, 1], frechet: 9)))
        #expect(!best.isBeaten(by: Self.report([0.6875, 0.5], diversity: [1, 1], frechet: 0.1)))
        #expect(best.isBeaten(by: Self.report([0.5, 0.75], diversity: [1, 1], frechet: 2.9)))
        #expect(!best.isBeaten(by: Self.report([0.5, 0.75], diversity: [1, 1], frechet: 3)))
    }

    /// A collapsed class counts as 0: perfect-looking copies lose to honest, varied samples.
    @Test func aCollapsedClassDoesNotWin() {
        let varied = BestEpoch(epoch: 2, Self.report([0.6, 0.6], diversity: [0.9, 1.1], frechet: 5))
        let collapsed = Self.report([1, 1], diversity: [0.05, 1], frechet: 1)
        #expect(collapsed.selectionScore == 0.5)
        #expect(!varied.isBeaten(by: collapsed))
        // Unknown diversity (a class with one real clip) is not a collapse.
        #expect(Self.report([1, 1], diversity: [nil, 1], frechet: 1).selectionScore == 1)
    }
}

/// metrics.csv's header and a resumed file written before the quality columns existed.
@Suite struct MetricsLogTests {
    @Test func classColumnsAreCSVSafeAndUnique() {
        #expect(MetricsLog.classColumns(["kick", "a,b", "a b", "\"q\"", "", "größe", "hi-hat.2"])
                == ["fidelity_kick", "fidelity_a_b", "fidelity_a_b_2", "fidelity__q_", "fidelity__", "fidelity_größe", "fidelity_hi-hat.2"])
    }

    @Test func oldRowsGetEmptyQualityColumnsOnResume() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try "epoch,step,loss_d,loss_g,seconds,samples_per_s\n1,1,0.5,0.7,0.1,10\n1,2,0.4,0.8,0.1,10\n2,3,0.3,0.9,0.1,10\n"
            .write(to: url, atomically: true, encoding: .utf8)
        do {
            let log = try MetricsLog(url: url, classes: ["a", "b"], keepStepsUpTo: 2)
            try log.append(StepReport(epoch: 2, step: 3, stepInEpoch: 1, stepsPerEpoch: 2, lossD: 1, lossG: 2, seconds: 0.5, samplesPerSecond: 8))
        }
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["epoch,step,loss_d,loss_g,seconds,samples_per_s,fidelity,diversity,frechet,fidelity_a,fidelity_b",
                          "1,1,0.5,0.7,0.1,10,,,,,", "1,2,0.4,0.8,0.1,10,,,,,", "2,3,1.0,2.0,0.5000,8.00,,,,,"])
    }
}
