import Foundation
import Quality

/// What the trainer is doing, as front ends show it.
public enum TrainingState: String, Sendable, Equatable {
    case loading, running, paused, saving, stopped, failed
}

/// One finished optimisation step.
public struct StepReport: Sendable, Equatable {
    public var epoch: Int          // 1-based
    public var step: Int           // global step count since the run began (resumes continue it)
    public var stepInEpoch: Int    // 1-based
    public var stepsPerEpoch: Int
    public var lossD: Float
    public var lossG: Float
    public var seconds: Double     // wall time of this step
    public var samplesPerSecond: Double
    public init(epoch: Int, step: Int, stepInEpoch: Int, stepsPerEpoch: Int, lossD: Float, lossG: Float,
                seconds: Double, samplesPerSecond: Double) {
        self.epoch = epoch; self.step = step; self.stepInEpoch = stepInEpoch
        self.stepsPerEpoch = stepsPerEpoch; self.lossD = lossD; self.lossG = lossG
        self.seconds = seconds; self.samplesPerSecond = samplesPerSecond
    }
}

/// A generated log-mel spectrogram of one class: row-major [nMels][frames], row 0 = lowest band.
public struct GeneratedSpectrogram: Sendable, Equatable {
    public var classIndex: Int
    public var nMels: Int
    public var frames: Int
    public var logMel: [Float]
    public init(classIndex: Int, nMels: Int, frames: Int, logMel: [Float]) {
        self.classIndex = classIndex; self.nMels = nMels; self.frames = frames; self.logMel = logMel
    }
}

/// A clip synthesised on request (audition): the waveform and where it was written, if anywhere.
public struct SynthesizedClip: Sendable, Equatable {
    public var classIndex: Int
    public var sampleRate: Int
    public var samples: [Float]
    public var spectrogram: GeneratedSpectrogram
    public var requestedAt: Double   // monotonic seconds (DispatchTime) when the command was sent
    public init(classIndex: Int, sampleRate: Int, samples: [Float], spectrogram: GeneratedSpectrogram,
                requestedAt: Double) {
        self.classIndex = classIndex; self.sampleRate = sampleRate; self.samples = samples
        self.spectrogram = spectrogram; self.requestedAt = requestedAt
    }
}

/// Everything the trainer tells its front end, on one channel.
public enum TrainingEvent: Sendable {
    case stateChanged(TrainingState)
    case stepFinished(StepReport)
    case epochFinished(epoch: Int, meanLossD: Float, meanLossG: Float, seconds: Double)
    /// The epoch's fixed probe set (`QualityProbe`) scored against the real clips; sent just
    /// before that epoch's `.epochFinished`.
    case qualityScored(epoch: Int, QualityReport)
    /// One spectrogram per class from the fixed latent (or a new one after `.newLatent`).
    case samplesReady(epoch: Int, step: Int, [GeneratedSpectrogram])
    /// Files the seed writes each epoch (PNG grid and one WAV per class).
    case epochOutputsWritten(epoch: Int, png: URL, wavs: [URL])
    case clipSynthesized(SynthesizedClip)
    case checkpointSaved(URL)
    /// The epoch scored best so far (see `BestEpoch`) was written to `checkpoints/best.safetensors`.
    case bestCheckpointSaved(epoch: Int, URL)
    case message(String)
    /// Training stopped on an error (NaN loss, unwritable output...). The text is one clear line.
    case error(String)
    /// The trainer has stopped for good; no more events follow.
    case finished
}

/// What a front end may ask of a running trainer.
public enum TrainerCommand: Sendable, Equatable {
    case pause
    case resume
    case stop                      // stop after the current step, save a checkpoint, then `.finished`
    case saveNow
    case synthesize(classIndex: Int)
    case newLatent                 // draw a new fixed latent for samples and auditions
    case abandon                   // stop at once, no checkpoint (second Ctrl-C)
}
