import Engine
import Foundation
import Support

/// Checkpoints as safetensors with the seed modules' PyTorch state_dict names:
/// `generator.*`, `discriminator.*` (BN running stats and num_batches_tracked as I64),
/// the generator's weight average (`Recipe.generatorEMA`) as `generator_ema.<name>`,
/// Adam state under `optimizer.{generator,discriminator}.<name>.exp_avg/.exp_avg_sq` and
/// `optimizer.{generator,discriminator}.step`; `__metadata__["config"]` is the JSON
/// CheckpointMetadata (snake_case keys), `__metadata__["model"]` the JSON ModelConfig.
extension ConditionalGAN {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// The file's bytes. Without the optimizer state (a third of the size) the file still loads,
    /// with fresh Adam moments: for sharing weights, and for the small committed test fixture.
    public func checkpointData(metadata: CheckpointMetadata, includeOptimizerState: Bool = true) throws -> Data {
        var w = Safetensors.Writer()
        w.metadata["format"] = "cgan-tui"
        w.metadata["config"] = String(decoding: try Self.encoder().encode(metadata), as: UTF8.self)
        w.metadata["model"] = String(decoding: try Self.encoder().encode(config), as: UTF8.self)
        w.metadata["recipe"] = String(decoding: try Self.encoder().encode(recipe), as: UTF8.self)
        for (prefix, store, bns) in [("generator", generator.store, generator.batchNorms),
                                     ("discriminator", discriminator.store, discriminator.batchNorms)] {
            for p in store.entries { w.add("\(prefix).\(p.name)", shape: p.shape, floats: store.array(p)) }
            for (name, bn) in bns {
                w.add("\(prefix).\(name).running_mean", shape: [bn.channels], floats: bn.runningMean)
                w.add("\(prefix).\(name).running_var", shape: [bn.channels], floats: bn.runningVar)
                w.add("\(prefix).\(name).num_batches_tracked", shape: [], int64s: [bn.numBatchesTracked])
            }
        }
        if let ema {
            for p in generator.store.entries {
                w.add("generator_ema.\(p.name)", shape: p.shape, floats: Array(UnsafeBufferPointer(start: ema.pointer + p.offset, count: p.count)))
            }
        }
        for (prefix, store, adam) in [("generator", generator.store, adamG), ("discriminator", discriminator.store, adamD)]
        where includeOptimizerState {
            for p in store.entries {
                let m = Array(UnsafeBufferPointer(start: store.expAvg.pointer + p.offset, count: p.count))
                let v = Array(UnsafeBufferPointer(start: store.expAvgSq.pointer + p.offset, count: p.count))
                w.add("optimizer.\(prefix).\(p.name).exp_avg", shape: p.shape, floats: m)
                w.add("optimizer.\(prefix).\(p.name).exp_avg_sq", shape: p.shape, floats: v)
            }
            w.add("optimizer.\(prefix).step", shape: [], int64s: [Int64(adam.step)])
        }
        return w.encode()
    }

    /// Writes atomically: a crash mid-write leaves the previous file intact.
    public func save(to url: URL, metadata: CheckpointMetadata, includeOptimizerState: Bool = true) throws {
        try AtomicFile.write(try checkpointData(metadata: metadata, includeOptimizerState: includeOptimizerState), to: url)
    }

    /// The model in the checkpoint, running with `settings`.
    public static func load(from url: URL, settings: ComputeSettings = .standard) throws -> (ConditionalGAN, CheckpointMetadata) {
        try load(file: try Safetensors.File(contentsOf: url), name: url.path, settings: settings)
    }

    public static func load(data: Data, name: String, settings: ComputeSettings = .standard) throws -> (ConditionalGAN, CheckpointMetadata) {
        try load(file: try Safetensors.File(data: data, name: name), name: name, settings: settings)
    }

    static func load(file: Safetensors.File, name: String, settings: ComputeSettings) throws -> (ConditionalGAN, CheckpointMetadata) {
        guard let configText = file.metadata["config"] else {
            throw UserError("\(name): not a cgan-tui checkpoint (no config in the safetensors metadata)")
        }
        let meta: CheckpointMetadata
        do { meta = try decoder().decode(CheckpointMetadata.self, from: Data(configText.utf8)) } catch {
            throw UserError("\(name): checkpoint config is not valid JSON for this version")
        }
        guard meta.formatVersion <= CheckpointMetadata.currentFormatVersion else {
            throw UserError("\(name): checkpoint format version \(meta.formatVersion) is newer than this cgan-tui supports (\(CheckpointMetadata.currentFormatVersion))")
        }
        do { try TrainingLimits.check(meta) } catch let e as UserError {
            throw UserError("\(name): not a checkpoint training could write: \(e.message)")
        }
        var config = ModelConfig(numClasses: meta.classNames.count, latentDim: meta.latentDim,
                                 nMels: meta.nMels, frames: meta.frames)
        if let modelText = file.metadata["model"],
           let m = try? decoder().decode(ModelConfig.self, from: Data(modelText.utf8)) {
            config.learningRate = m.learningRate; config.beta1 = m.beta1; config.beta2 = m.beta2
        }
        do { try config.validate() } catch let e as UserError { throw UserError("\(name): \(e.message)") }
        // Class count must agree with the conditioning weights, not only the names list.
        if let fc = file.tensors["generator.fc.weight"], fc.shape.count == 2, fc.shape[1] != meta.latentDim + meta.classNames.count {
            throw UserError("\(name): checkpoint lists \(counted(meta.classNames.count, "class")) but generator.fc.weight has \(counted(fc.shape[1] - meta.latentDim, "class input"))")
        }
        if let le = file.tensors["discriminator.label_embedding.weight"], le.shape.count == 2, le.shape[1] != meta.classNames.count {
            throw UserError("\(name): checkpoint lists \(counted(meta.classNames.count, "class")) but discriminator.label_embedding.weight has \(le.shape[1])")
        }
        // Checkpoints written before recipes existed were trained with the seed's.
        var recipe = Recipe.seed
        if let recipeText = file.metadata["recipe"] {
            do { recipe = try decoder().decode(Recipe.self, from: Data(recipeText.utf8)); try recipe.validate() } catch {
                throw UserError("\(name): checkpoint recipe is not valid for this version")
            }
        }
        try checkShapes(file, CheckpointLayout(config: config, recipe: recipe), name: name)
        let gan = ConditionalGAN(config: config, recipe: recipe, seed: 0, settings: settings)
        if let c = meta.valueCeiling, !(c.isFinite && c >= 0) { throw UserError("\(name): checkpoint value_ceiling must be 0 or more, got \(c)") }
        gan.valueCeiling = meta.valueCeiling
        for (prefix, store, bns) in [("generator", gan.generator.store, gan.generator.batchNorms),
                                     ("discriminator", gan.discriminator.store, gan.discriminator.batchNorms)] {
            for p in store.entries { store.set(p, try finiteFloats(file, "\(prefix).\(p.name)", shape: p.shape, name: name)) }
            for (bnName, bn) in bns {
                bn.runningMean = try finiteFloats(file, "\(prefix).\(bnName).running_mean", shape: [bn.channels], name: name)
                bn.runningVar = try finiteFloats(file, "\(prefix).\(bnName).running_var", shape: [bn.channels], name: name)
                bn.numBatchesTracked = try file.int64s("\(prefix).\(bnName).num_batches_tracked", shape: [], file: name)[0]
            }
        }
        if let ema = gan.ema {
            // The weight average; weights from elsewhere (PyTorch) start it at the weights.
            for p in gan.generator.store.entries {
                let values = file.tensors["generator_ema.\(p.name)"] != nil
                    ? try finiteFloats(file, "generator_ema.\(p.name)", shape: p.shape, name: name) : gan.generator.store.array(p)
                (ema.pointer + p.offset).update(from: values, count: p.count)
            }
        }
        for (prefix, store, isG) in [("generator", gan.generator.store, true), ("discriminator", gan.discriminator.store, false)] {
            // Optimizer state is optional (weights exported from PyTorch may lack it).
            guard file.tensors["optimizer.\(prefix).step"] != nil else { continue }
            let step = Int(try file.int64s("optimizer.\(prefix).step", shape: [], file: name)[0])
            guard step >= 0 else { throw UserError("\(name): negative optimizer step") }
            for p in store.entries {
                let m = try finiteFloats(file, "optimizer.\(prefix).\(p.name).exp_avg", shape: p.shape, name: name)
                let v = try finiteFloats(file, "optimizer.\(prefix).\(p.name).exp_avg_sq", shape: p.shape, name: name)
                (store.expAvg.pointer + p.offset).update(from: m, count: p.count)
                (store.expAvgSq.pointer + p.offset).update(from: v, count: p.count)
            }
            if isG { gan.adamG.step = step } else { gan.adamD.step = step }
        }
        return (gan, meta)
    }
}
