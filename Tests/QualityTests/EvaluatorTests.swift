import Foundation
@testable import Quality
import Support
import Testing

/// The evaluator's behaviour on toy log-mel spectrograms of four classes a person tells apart
/// on sight: real clips score near the ceiling, repeated clips are flagged as collapsed,
/// clips conditioned on the wrong class score low.
@Suite struct EvaluatorTests {
    static let classes = ["kick", "hat", "snare", "chirp"]
    static let nMels = 32, frames = 32

    /// One toy clip: a kick (low bands, decaying), a hat (top bands, short), a snare
    /// (broadband burst), a chirp (a rising line); random level, onset, decay and noise.
    static func clip(_ c: Int, _ rng: inout SplitMix64) -> [Float] {
        let level = 1 + 2 * rng.nextUniform(), onset = Int(rng.next() % 6), decay = 0.08 + 0.15 * rng.nextUniform()
        var v = [Float](repeating: 0, count: nMels * frames)
        for m in 0 ..< nMels {
            let band = Float(m) / Float(nMels - 1)
            for f in 0 ..< frames {
                let t = Float(max(0, f - onset))
                let on: Float = f >= onset ? 1 : 0
                let power: Float = switch c {
                case 0: on * level * max(0, 1 - 3 * band) * exp(-decay * t)
                case 1: on * level * max(0, 3 * band - 2) * exp(-4 * decay * t)
                case 2: on * level * 0.6 * exp(-2 * decay * t)
                default: on * level * exp(-40 * pow(band - Float(f) / Float(frames), 2))
                }
                v[m * frames + f] = log1p(10 * power + 0.3 * rng.nextUniform())
            }
        }
        return v
    }

    static func dataset(perClass: Int, seed: UInt64) -> (clips: [[Float]], labels: [Int]) {
        var rng = SplitMix64(seed: seed)
        var clips: [[Float]] = [], labels: [Int] = []
        for c in classes.indices { for _ in 0 ..< perClass { clips.append(clip(c, &rng)); labels.append(c) } }
        return (clips, labels)
    }

    static func evaluator(perClass: Int = 20, seed: UInt64 = 1) -> QualityEvaluator {
        let d = dataset(perClass: perClass, seed: seed)
        return QualityEvaluator(spectrograms: d.clips, labels: d.labels, classNames: classes, nMels: nMels, frames: frames)
    }

    /// Scoring the real clips themselves: the classifier's training accuracy, the spread ratio
    /// exactly 1 and the distance 0 by construction; and new clips from the same process, as a
    /// perfect generator would make them: fidelity at the held-out ceiling, spread about 1.
    @Test func realClipsScoreNearTheCeiling() throws {
        let e = Self.evaluator()
        let ceiling = try #require(e.ceiling)
        #expect(ceiling >= 0.9, "the toy classes are easy: ceiling \(ceiling)")
        #expect(e.heldOut == [4, 4, 4, 4])

        let real = Self.dataset(perClass: 20, seed: 1)
        let same = e.score(real.clips, labels: real.labels)
        #expect(same.fidelity >= ceiling - 0.05)
        #expect(same.classDiversity.allSatisfy { abs($0! - 1) < 1e-12 })
        #expect(same.frechet < 1e-9)
        #expect(same.collapsed == [false, false, false, false])

        let fresh = Self.dataset(perClass: 16, seed: 2)
        let r = e.score(fresh.clips, labels: fresh.labels)
        #expect(abs(r.fidelity - ceiling) <= 0.1, "fidelity \(r.fidelity), ceiling \(ceiling)")
        // About 1, with the sampling noise of 16 and 20 clips (0.76-1.33 here): far from the
        // collapse threshold (0.2) either way.
        #expect(r.classDiversity.allSatisfy { (0.6 ... 1.5).contains($0!) }, "\(r.classDiversity)")
        #expect(r.collapsedClasses.isEmpty)
        #expect(r.samplesPerClass == [16, 16, 16, 16])
        #expect(r.selectionScore == r.fidelity)
    }

    /// A generator that emits one clip per class whatever the latent: perfect fidelity, no
    /// spread, every class flagged, and a selection score of 0.
    @Test func copiesOfOneClipPerClassAreCollapsed() {
        let e = Self.evaluator()
        let fresh = Self.dataset(perClass: 16, seed: 3)
        let copies = fresh.labels.map { fresh.clips[$0 * 16] }
        let r = e.score(copies, labels: fresh.labels)
        #expect(r.classDiversity.allSatisfy { $0! < 1e-12 })
        #expect(r.collapsed == [true, true, true, true] && r.collapsedClasses == Self.classes)
        #expect(r.fidelity > 0.7, "each copied clip is still a good example of its class")
        #expect(r.selectionScore == 0)
        // Same clips, no collapse: the Fréchet distance sees the missing spread too.
        #expect(r.frechet > e.score(fresh.clips, labels: fresh.labels).frechet * 2)
    }

    /// Clips conditioned on the wrong class: every one shifted to the next class scores near 0;
    /// labels shuffled at random score near chance (1/4).
    @Test func wrongLabelsGiveLowFidelity() {
        let e = Self.evaluator()
        let fresh = Self.dataset(perClass: 16, seed: 4)
        let shifted = e.score(fresh.clips, labels: fresh.labels.map { ($0 + 1) % 4 })
        #expect(shifted.fidelity <= 0.1, "\(shifted.classFidelity)")
        var rng = SplitMix64(seed: 9)
        let shuffled = e.score(fresh.clips, labels: fresh.labels.shuffled(using: &rng))
        #expect(shuffled.fidelity < 0.5, "\(shuffled.classFidelity)")
        let right = e.score(fresh.clips, labels: fresh.labels)
        #expect(right.fidelity > shuffled.fidelity + 0.4)
    }

    /// A class with a single clip: nothing to hold out and no spread to compare with, so its
    /// ceiling and diversity are unknown (never "collapsed"); the others are still measured.
    @Test func tooFewClipsSayWhatIsNotMeasurable() throws {
        var d = Self.dataset(perClass: 5, seed: 5)
        let keep = d.labels.indices.filter { d.labels[$0] != 1 || $0 == 5 }
        d = (keep.map { d.clips[$0] }, keep.map { d.labels[$0] })
        let e = QualityEvaluator(spectrograms: d.clips, labels: d.labels, classNames: Self.classes,
                                 nMels: Self.nMels, frames: Self.frames)
        #expect(e.heldOut == [1, 0, 1, 1])
        #expect(e.classCeiling[1] == nil && e.classCeiling[0] != nil)
        #expect(e.ceiling != nil)
        let r = e.score(d.clips, labels: d.labels)
        #expect(r.classDiversity[1] == nil && r.collapsed[1] == false)
        #expect(r.classDiversity[0] != nil)

        let one = QualityEvaluator(spectrograms: [d.clips[0], d.clips[5]], labels: [0, 1], classNames: ["a", "b"],
                                   nMels: Self.nMels, frames: Self.frames)
        #expect(one.ceiling == nil && one.classCeiling == [nil, nil])
    }

    @Test func heldOutShare() {
        #expect([1, 2, 3, 5, 8, 10, 20, 75].map(QualityEvaluator.heldOutCount) == [0, 1, 1, 1, 2, 2, 4, 15])
    }

    /// The same clips and seed give the same bits; another seed holds out other clips.
    @Test func deterministic() {
        let d = Self.dataset(perClass: 16, seed: 6)
        let a = Self.evaluator().score(d.clips, labels: d.labels), b = Self.evaluator().score(d.clips, labels: d.labels)
        #expect(a == b)
    }

    /// A silent clip has no envelope shape: a flat one, not a division by zero.
    @Test func silentClipFeatures() {
        let f = SpectrogramFeatures(nMels: 32, frames: 32)
        let v = f.extract([Float](repeating: 0, count: 32 * 32))
        #expect(v.count == 41)
        #expect(v.prefix(33).allSatisfy { $0 == 0 } && v.suffix(8).allSatisfy { $0 == 1.0 / 8 })
    }
}
