import Engine
import Foundation
import Support

/// The one validation step for a checkpoint, before any of the model is allocated: the
/// metadata within what training writes (`TrainingLimits`), then every tensor the model needs
/// present with its exact shape and dtype. Values are checked finite as they are read (`load`).
extension ConditionalGAN {
    struct TensorSpec {
        var name: String
        var shape: [Int]
        var dtype: Safetensors.DType
    }

    /// The tensors a checkpoint of this model holds (names as `checkpointData` writes them),
    /// computed from stores that record shapes only.
    struct CheckpointLayout {
        var weights: [TensorSpec] = []
        /// `generator_ema.*`: optional (weights from elsewhere start the average at the weights).
        var ema: [TensorSpec] = []
        /// Per prefix ("generator", "discriminator"): optional as a whole, present with its step.
        var optimizer: [(prefix: String, tensors: [TensorSpec])] = []

        init(config: ModelConfig, recipe: Recipe) {
            let g = Generator(config: config, scratch: WorkerBuffers(), storage: .layoutOnly)
            let d = Discriminator(config: config, scratch: WorkerBuffers(), projection: recipe.projection, storage: .layoutOnly)
            for (prefix, store, bns) in [("generator", g.store, g.batchNorms), ("discriminator", d.store, d.batchNorms)] {
                weights += store.entries.map { TensorSpec(name: "\(prefix).\($0.name)", shape: $0.shape, dtype: .f32) }
                for (name, bn) in bns {
                    weights.append(TensorSpec(name: "\(prefix).\(name).running_mean", shape: [bn.channels], dtype: .f32))
                    weights.append(TensorSpec(name: "\(prefix).\(name).running_var", shape: [bn.channels], dtype: .f32))
                    weights.append(TensorSpec(name: "\(prefix).\(name).num_batches_tracked", shape: [], dtype: .i64))
                }
                var moments = store.entries.flatMap { p in
                    ["exp_avg", "exp_avg_sq"].map { TensorSpec(name: "optimizer.\(prefix).\(p.name).\($0)", shape: p.shape, dtype: .f32) }
                }
                moments.append(TensorSpec(name: "optimizer.\(prefix).step", shape: [], dtype: .i64))
                optimizer.append((prefix, moments))
            }
            if recipe.generatorEMA > 0 {
                ema = g.store.entries.map { TensorSpec(name: "generator_ema.\($0.name)", shape: $0.shape, dtype: .f32) }
            }
        }
    }

    /// Throws a one-line UserError naming the first tensor that does not fit.
    static func checkShapes(_ file: Safetensors.File, _ layout: CheckpointLayout, name: String) throws {
        func check(_ spec: TensorSpec) throws {
            guard let info = file.tensors[spec.name] else { throw UserError("\(name): tensor '\(spec.name)' is missing") }
            guard info.dtype == spec.dtype else {
                throw UserError("\(name): tensor '\(spec.name)' is \(info.dtype.rawValue), expected \(spec.dtype.rawValue)")
            }
            guard info.shape == spec.shape else {
                throw UserError("\(name): tensor '\(spec.name)' has shape \(info.shape), expected \(spec.shape)")
            }
        }
        for spec in layout.weights { try check(spec) }
        for spec in layout.ema where file.tensors[spec.name] != nil { try check(spec) }
        for (prefix, tensors) in layout.optimizer where file.tensors["optimizer.\(prefix).step"] != nil {
            for spec in tensors { try check(spec) }
        }
    }

    /// A float tensor's values, refused when any is NaN or infinite: a diverged run's weights
    /// would give silent clips, or spread NaN through a resumed run while the losses look normal.
    static func finiteFloats(_ file: Safetensors.File, _ key: String, shape: [Int], name: String) throws -> [Float] {
        let values = try file.floats(key, shape: shape, file: name)
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw UserError("\(name): tensor '\(key)' holds \(values[i].isNaN ? "NaN" : "infinite") values (element \(i)); the run that wrote it diverged: use an earlier checkpoint")
        }
        return values
    }
}
