import Foundation

/// A clip of the dataset itself, decoded for listening next to the generated ones.
public struct RealClip: Equatable, Sendable {
    public var classIndex: Int
    public var file: URL
    public var samples: [Float]
    public var sampleRate: Int
    public init(classIndex: Int, file: URL, samples: [Float], sampleRate: Int) {
        self.classIndex = classIndex; self.file = file; self.samples = samples; self.sampleRate = sampleRate
    }
}

/// `r` (a real clip of the selected class, the next one each press) and `b` (A/B: real and
/// generated in turn, a few rounds).
extension AppState {
    /// A/B plays this many pairs, then stops: bounded, so a device that plays faster than real
    /// time (ALSA's `file:` PCM) cannot loop forever.
    static let abRounds = 3

    /// Asks for the next real clip of class `k` to be decoded.
    mutating func requestReal(_ k: Int) -> [DashboardAction] {
        let files = context.realClips.indices.contains(k) ? context.realClips[k] : []
        guard !files.isEmpty else {
            say("no real clips of \(name(k)) to play", .error)
            abQueue = []; abActive = false
            return []
        }
        let i = (nextReal[k] ?? 0) % files.count
        nextReal[k] = i + 1
        pendingReal = k
        say("loading real \(name(k)): \(files[i].lastPathComponent) (\(i + 1) of \(files.count))\(Format.ellipsis)")
        return [.loadReal(classIndex: k, files[i])]
    }

    /// The next step of an A/B run, or nothing when it is over.
    mutating func nextAB() -> [DashboardAction] {
        guard !abQueue.isEmpty else {
            if abActive { abActive = false }
            return []
        }
        switch abQueue.removeFirst() {
        case .real: return requestReal(selected)
        case .generated: return request(selected, keyTime: nil)
        }
    }

    /// A decoded real clip: played when it is still the one asked for.
    public mutating func apply(realClip: RealClip, now: Double) -> [DashboardAction] {
        self.now = now
        guard pendingReal == realClip.classIndex, quitStatus == nil else { return [] }
        pendingReal = nil
        playing = (realClip.classIndex, nil)
        return [.playReal(realClip)]
    }
}
