import Engine
import Foundation
@testable import GAN
import Support
import Testing

/// Crafted checkpoints (issue 12): each must be refused with one UserError, never trap, hang
/// or allocate what its header claims. Every case here trapped or was accepted before the fix.
@Suite struct CraftedCheckpointTests {
    /// The small trained model of CheckpointTests (3 classes, 16 x 32), weights only.
    static func good() throws -> Data {
        try CheckpointTests.trained(steps: 1).checkpointData(metadata: CheckpointTests.meta, includeOptimizerState: false)
    }

    /// `good()` with its metadata edited as JSON (keys as the file spells them).
    static func withConfig(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let file = try Safetensors.File(data: try good(), name: "x")
        var config = try JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as! [String: Any]
        edit(&config)
        var w = Safetensors.Writer()
        w.metadata = file.metadata
        w.metadata["config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        for k in file.tensors.keys.sorted() {
            let info = file.tensors[k]!
            if info.dtype == .i64 { w.add(k, shape: info.shape, int64s: try file.int64s(k)) } else {
                w.add(k, shape: info.shape, floats: try file.floats(k))
            }
        }
        return w.encode()
    }

    @Test func metadataOutsideWhatTrainingWritesIsRefusedBeforeTheModelIsBuilt() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("n_fft 0", { $0["n_fft"] = 0 }),
            ("n_fft -1024", { $0["n_fft"] = -1024 }),
            ("hop -1", { $0["hop"] = -1 }),
            ("hop 0", { $0["hop"] = 0 }),
            ("n_mels 2^60", { $0["n_mels"] = 1 << 60 }),
            ("frames 2^60", { $0["frames"] = 1 << 60 }),
            ("frames 2^20", { $0["frames"] = 1 << 20 }),
            ("n_fft 2^40", { $0["n_fft"] = 1 << 40 }),
            ("latent 2^40", { $0["latent_dim"] = 1 << 40 }),
            ("sample rate 0", { $0["sample_rate"] = 0 }),
            ("5000 classes", { $0["class_names"] = (0 ..< 5000).map { "c\($0)" } }),
        ]
        for (what, edit) in cases {
            print(what)
            CheckpointTests.expectUserError(try Self.withConfig(edit), containing: "not a checkpoint training could write")
        }
    }

    /// Within the limits, but the tensors are a 16 x 32 model's: refused on the first shape,
    /// before the 512 x 8192 model (gigabytes) is allocated. Before the fix this ran for
    /// minutes at 5 GB; a second is generous for header checks in a debug build.
    @Test func largeMetadataOverSmallTensorsIsRefusedAtOnce() throws {
        let data = try Self.withConfig { $0["n_mels"] = 512; $0["frames"] = 8192 }
        let start = Date()
        CheckpointTests.expectUserError(data, containing: "has shape")
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func nanWeightsAreRefusedWithTheTensorsName() throws {
        let file = try Safetensors.File(data: try Self.good(), name: "x")
        for (target, bad) in [("generator.net.9.weight", Float.nan), ("discriminator.net.3.running_var", Float.infinity)] {
            var w = Safetensors.Writer()
            w.metadata = file.metadata
            for k in file.tensors.keys.sorted() {
                let info = file.tensors[k]!
                if info.dtype == .i64 { w.add(k, shape: info.shape, int64s: try file.int64s(k)); continue }
                var v = try file.floats(k)
                if k == target { v[v.count / 2] = bad }
                w.add(k, shape: info.shape, floats: v)
            }
            CheckpointTests.expectUserError(w.encode(), containing: "tensor '\(target)' holds")
        }
    }

    @Test func overflowingShapeIsRefused() throws {
        // [2^32, 2^32] x 4 bytes overflows Int: a trap in Safetensors.File.init before the fix.
        let header = #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#
        CheckpointTests.expectUserError(CheckpointTests.raw(header, dataBytes: 16), containing: "too large")
    }

    /// Ranges that do not tile the data section exactly, as safetensors' own validation
    /// requires: Safetensors.File accepted all of these before the fix.
    @Test func offsetsMustTileTheData() throws {
        func expectRefused(_ header: String, dataBytes: Int, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try Safetensors.File(data: CheckpointTests.raw(header, dataBytes: dataBytes), name: "x")
                Issue.record("accepted \(header)", sourceLocation: sourceLocation)
            } catch let e as UserError {
                #expect(e.message.contains(phrase), "\(e.message)", sourceLocation: sourceLocation)
            } catch { Issue.record("\(error)", sourceLocation: sourceLocation) }
        }
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        expectRefused(overlap, dataBytes: 8, "without gaps or overlaps")
        let gap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#
        expectRefused(gap, dataBytes: 20, "without gaps or overlaps")
        let misaligned = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}"#
        expectRefused(misaligned, dataBytes: 10, "starts at byte 2")
        let trailing = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        expectRefused(trailing, dataBytes: 12, "cover 8 bytes of data but the file holds 12")
    }

    /// A real checkpoint still tiles its data exactly, with and without optimizer state.
    @Test func ourOwnFilesPassTheTilingCheck() throws {
        let gan = CheckpointTests.trained(steps: 1)
        for optimizer in [true, false] {
            let data = try gan.checkpointData(metadata: CheckpointTests.meta, includeOptimizerState: optimizer)
            let (loaded, _) = try ConditionalGAN.load(data: data, name: "x")
            #expect(loaded.generator.store.values.array == gan.generator.store.values.array)
        }
    }
}
