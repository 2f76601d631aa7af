import Foundation
import Synchronization

/// A many-producer, one-consumer queue of Sendable values: the trainer's Dispatch queue,
/// the key reader and the ticker post into it; the UI loop or the headless printer
/// receives. `receive(timeout:)` blocks without spinning.
public final class EventChannel<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    private let signal = DispatchSemaphore(value: 0)

    public init() {}

    public func send(_ element: Element) {
        items.withLock { $0.append(element) }
        signal.signal()
    }

    /// Waits up to `timeout` seconds for an element; nil on time-out.
    public func receive(timeout: Double) -> Element? {
        guard signal.wait(timeout: .now() + timeout) == .success else { return nil }
        return items.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    /// Everything queued now, without waiting.
    public func drain() -> [Element] {
        var out: [Element] = []
        while signal.wait(timeout: .now()) == .success {
            if let e = items.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { out.append(e) }
        }
        return out
    }
}
