import Foundation
import Testing

/// Checkpoints that are damaged, from another shape or not safetensors at all: `generate` and
/// `--resume` both refuse them with one clear line and exit 2; nothing is overwritten.
@Suite struct CheckpointInputTests {
    /// A trained checkpoint (1 epoch, tiny shapes) in a fresh scratch folder.
    func trained() throws -> (CLI, Data) {
        let cli = try CLI()
        _ = try cli.makeDataset()
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return (cli, try Data(contentsOf: cli.path("run/checkpoints/latest.safetensors")))
    }

    /// Splits a safetensors file into its JSON header and the data bytes after it.
    static func split(_ file: Data) -> (header: [String: Any], body: Data) {
        let n = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try! JSONSerialization.jsonObject(with: file.subdata(in: 8 ..< 8 + n)) as! [String: Any]
        return (header, file.subdata(in: 8 + n ..< file.count))
    }

    static func join(_ header: [String: Any], _ body: Data) -> Data {
        let json = try! JSONSerialization.data(withJSONObject: header)
        var d = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { d.append(contentsOf: $0) }
        return d + json + body
    }

    /// Writes `bytes` as bad.safetensors and expects both commands to refuse it.
    func expectRefused(_ cli: CLI, _ bytes: Data, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bad = cli.path("bad.safetensors")
        try bytes.write(to: bad)
        let g = try cli.run(["generate", "bad.safetensors", "--count", "1", "--out", "gen"])
        #expect(g.status == 2, "\(what): generate status \(g.status), stderr: \(g.stderr)", sourceLocation: sourceLocation)
        #expect(g.stderr.hasPrefix("cgan-tui: ") && g.stderr.split(separator: "\n").count == 1,
                "\(what): \(g.stderr)", sourceLocation: sourceLocation)
        #expect(!g.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
        let r = try cli.run(["data", "--resume", "bad.safetensors", "--no-ui", "--epochs", "3", "--out", "resumed"])
        #expect(r.status == 2, "\(what): resume status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cgan-tui: "), "\(what): \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func truncatedCheckpoint() throws {
        let (cli, good) = try trained(); defer { cli.cleanUp() }
        try expectRefused(cli, good.prefix(good.count / 2), "cut in half")
        try expectRefused(cli, good.prefix(5), "cut inside the length field")
        try expectRefused(cli, Data(), "empty file")
    }

    @Test func corruptedHeader() throws {
        let (cli, good) = try trained(); defer { cli.cleanUp() }
        var bad = good
        for i in 8 ..< 40 { bad[i] = 0x7B }                     // '{' over the start of the JSON
        try expectRefused(cli, bad, "garbage JSON")
        var huge = good
        huge.replaceSubrange(0 ..< 8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        try expectRefused(cli, huge, "header length beyond the file")
    }

    @Test func notASafetensorsFile() throws {
        let (cli, _) = try trained(); defer { cli.cleanUp() }
        try expectRefused(cli, Data("PK\u{3}\u{4} this is a zip, or a PyTorch .pt".utf8), "zip bytes")
        try expectRefused(cli, CLI.wav(CLI.clip(kind: 0, variant: 0)), "a WAV file")
    }

    /// A tensor whose shape disagrees with the model (same byte count, transposed dimensions),
    /// and a class list whose length disagrees with the tensors.
    @Test func wrongShapes() throws {
        let (cli, good) = try trained(); defer { cli.cleanUp() }
        var (header, body) = Self.split(good)
        var fc = header["generator.fc.weight"] as! [String: Any]
        let shape = fc["shape"] as! [Int]
        fc["shape"] = [shape[1], shape[0]]
        header["generator.fc.weight"] = fc
        try expectRefused(cli, Self.join(header, body), "transposed generator.fc.weight")

        (header, body) = Self.split(good)
        var meta = header["__metadata__"] as! [String: String]
        // The metadata is a JSON text; add a class the tensors do not have.
        let text = meta.values.first { $0.contains("low") }!
        let key = meta.first { $0.value == text }!.key
        meta[key] = text.replacingOccurrences(of: "\"noise\"", with: "\"noise\",\"extra\"")
        header["__metadata__"] = meta
        try expectRefused(cli, Self.join(header, body), "one class more than the tensors")
    }

    @Test func aCheckpointFromAnotherShapeDoesNotResumeThisRun() throws {
        let (cli, _) = try trained(); defer { cli.cleanUp() }
        let r = try cli.run(["data", "--resume", "run", "--no-ui", "--epochs", "2", "--n-mels", "32"])
        #expect(r.status == 2 && r.stderr.contains("--n-mels 32"), "stderr: \(r.stderr)")
    }
}
