import Engine
import Foundation
import Testing

/// Reference tensors written by scripts/torch_reference.py.
struct Fixture {
    let file: Safetensors.File

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        file = try Safetensors.File(contentsOf: url)
    }

    subscript(_ key: String) -> [Float] {
        do { return try file.floats(key) } catch { Issue.record("fixture: \(error)"); return [] }
    }

    func shape(_ key: String) -> [Int] { file.tensors[key]?.shape ?? [] }
}

/// (N, C, rest) <-> (C, N, rest): PyTorch's layout and the engine's channel-major one.
func nchwToCnhw(_ x: [Float], n: Int, c: Int) -> [Float] {
    let plane = x.count / (n * c)
    var y = [Float](repeating: 0, count: x.count)
    for b in 0 ..< n { for ch in 0 ..< c { for i in 0 ..< plane { y[(ch * n + b) * plane + i] = x[(b * c + ch) * plane + i] } } }
    return y
}

func cnhwToNchw(_ x: [Float], n: Int, c: Int) -> [Float] {
    let plane = x.count / (n * c)
    var y = [Float](repeating: 0, count: x.count)
    for b in 0 ..< n { for ch in 0 ..< c { for i in 0 ..< plane { y[(b * c + ch) * plane + i] = x[(ch * n + b) * plane + i] } } }
    return y
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return a.isEmpty ? 0 : m
}

/// Compares and prints the largest difference: |got - want| <= rtol * max(1, max|want|).
func expectClose(_ name: String, _ got: [Float], _ want: [Float], rtol: Float,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count else {
        Issue.record("\(name): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    let d = maxAbsDiff(got, want)
    let scale = max(1, want.map(abs).max() ?? 0)
    print("  \(name): max |diff| = \(d) (scale \(scale), n = \(got.count))")
    #expect(d <= rtol * scale, "\(name): max |diff| \(d) > \(rtol) * \(scale)", sourceLocation: sourceLocation)
}
