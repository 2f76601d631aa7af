/// A growable block of floats with reference semantics: layers keep their outputs and
/// gradients in these so a training step allocates nothing once shapes are known.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var count: Int
    private var capacity: Int

    public init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = Self.allocate(capacity)
        pointer.initialize(repeating: 0, count: capacity)
        self.count = count
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Storage on a 64-byte boundary (a cache line, one AVX-512 vector): malloc returns large
    /// blocks 16 bytes past a page, so every 64-byte vector store of a kernel split across two
    /// lines (the F(4x4) input transform, 128 planes, L2-resident: 9.0-9.5 ns per tile, aligned 5.8).
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// Sets the element count. Contents are kept up to the old count (when `preserve`),
    /// otherwise undefined; new storage is zeroed.
    public func resize(_ newCount: Int, preserve: Bool = false) {
        if newCount > capacity {
            // Growing while preserving (ParameterStore.add) doubles, so building a model is linear.
            let newCapacity = preserve ? max(newCount, capacity * 2) : newCount
            // Only the part in use is written: untouched capacity costs no resident memory.
            let p = Self.allocate(newCapacity)
            if preserve { p.initialize(from: pointer, count: count) }
            (p + (preserve ? count : 0)).initialize(repeating: 0, count: newCount - (preserve ? count : 0))
            pointer.deallocate()
            pointer = p
            capacity = newCapacity
        }
        count = newCount
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from values: [Float]) {
        resize(values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
