/// A dataset's log-mel spectrograms, one per clip, read as nMels x frames arrays but kept as
/// the frames each clip's own signal has (nMels x validFrames): past those, every value is
/// exactly 0 (zero power, log1p 0), so the padding is made when a clip is read, not stored.
/// One-shots are mostly padding in the seed's 512-frame window (300 drum recordings: 23% of the
/// padded size is their own frames), so the loaded set holds a fraction of the memory, and loading
/// skips the page faults of writing the zeros (one thread over those recordings: 1,390x -> 1,650x
/// real time).
public struct ClipSpectrograms: RandomAccessCollection, Sendable, Equatable {
    /// One clip: nMels x validFrames, row-major.
    public struct Stored: Sendable, Equatable {
        public var values: [Float]
        public var validFrames: Int

        public init(values: [Float], validFrames: Int) {
            self.values = values
            self.validFrames = validFrames
        }
    }

    public let nMels: Int
    public private(set) var frames: Int
    public private(set) var stored: [Stored] = []

    public init(nMels: Int, frames: Int) {
        precondition(nMels >= 1 && frames >= 1)
        self.nMels = nMels
        self.frames = frames
    }

    /// Full nMels x frames arrays (tests, and callers that built their own clips).
    public init(padded: [[Float]], nMels: Int, frames: Int) {
        self.init(nMels: nMels, frames: frames)
        for p in padded { append(Stored(values: p, validFrames: frames)) }
    }

    public mutating func append(_ clip: Stored) {
        precondition(clip.validFrames >= 0 && clip.validFrames <= frames && clip.values.count == nMels * clip.validFrames,
                     "a clip holds nMels x validFrames values, validFrames <= frames")
        stored.append(clip)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { stored.count }

    /// Clip i as nMels x frames, zeros after its own frames.
    public subscript(i: Int) -> [Float] {
        let clip = stored[i]
        if clip.validFrames == frames { return clip.values }
        return Self.padded(clip.values, nMels: nMels, valid: clip.validFrames, frames: frames)
    }

    /// The same clips in a window of their first `frames` frames.
    public func cropped(toFrames newFrames: Int) -> ClipSpectrograms {
        precondition(newFrames >= 1 && newFrames <= frames)
        var out = ClipSpectrograms(nMels: nMels, frames: newFrames)
        for clip in stored {
            let keep = Swift.min(clip.validFrames, newFrames)
            out.append(keep == clip.validFrames ? clip
                       : Stored(values: Self.leading(clip.values, nMels: nMels, frames: clip.validFrames, keep: keep), validFrames: keep))
        }
        return out
    }

    /// Equal when every clip reads back the same (however much padding each one stores).
    public static func == (a: ClipSpectrograms, b: ClipSpectrograms) -> Bool {
        a.nMels == b.nMels && a.frames == b.frames && a.elementsEqual(b)
    }

    /// Rows of `valid` values -> rows of `frames`, zeros after.
    static func padded(_ x: [Float], nMels: Int, valid: Int, frames: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: nMels * frames) { out, count in
            for m in 0 ..< nMels {
                let row = out.baseAddress! + m * frames
                if valid > 0 { x.withUnsafeBufferPointer { row.initialize(from: $0.baseAddress! + m * valid, count: valid) } }
                (row + valid).initialize(repeating: 0, count: frames - valid)
            }
            count = nMels * frames
        }
    }

    /// The first `keep` of each row of `frames` values.
    static func leading(_ x: [Float], nMels: Int, frames: Int, keep: Int) -> [Float] {
        if keep == frames { return x }
        var out = [Float]()
        out.reserveCapacity(nMels * keep)
        for m in 0 ..< nMels { out.append(contentsOf: x[m * frames ..< m * frames + keep]) }
        return out
    }
}
