import Foundation
import Support

/// Where an audition goes when there is no audio device: `<run>/auditions/<class>_NNNN.wav`,
/// numbered after the files already there, as 16-bit mono WAV (written atomically).
/// Kept here rather than using Audio's writer so playback needs no DSP module.
public enum AuditionFile {
    public static func write(_ samples: [Float], sampleRate: Int, className: String, folder: URL) throws -> URL {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("cannot create \(folder.path): \((error as NSError).localizedDescription)")
        }
        let safe = String(className.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let numbers = existing.compactMap { name -> Int? in
            guard name.hasPrefix(safe + "_"), name.hasSuffix(".wav") else { return nil }
            return Int(name.dropFirst(safe.count + 1).dropLast(4))
        }
        let n = (numbers.max() ?? 0) + 1
        let url = folder.appendingPathComponent(String(format: "%@_%04d.wav", safe, n))
        try AtomicFile.write(wav16(samples, sampleRate: sampleRate), to: url)
        return url
    }

    /// A canonical 44-byte-header PCM WAV, 16-bit mono.
    public static func wav16(_ samples: [Float], sampleRate: Int) -> Data {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let bytes = UInt32(samples.count * 2)
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes); d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(1)
        u32(UInt32(sampleRate)); u32(UInt32(sampleRate * 2)); u16(2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(bytes)
        var pcm = [Int16](repeating: 0, count: samples.count)
        for (i, s) in samples.enumerated() {
            let v = s.isFinite ? max(-1, min(1, s)) : 0
            pcm[i] = Int16((v * 32767).rounded()).littleEndian
        }
        pcm.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }
}
