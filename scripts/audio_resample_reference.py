#!/usr/bin/env python3
"""Broadband resampling reference: 300 sines (50 Hz ... 10.95 kHz) written as 16-bit WAVs at
44.1 and 48 kHz, and the seed's log-mel of each after torchaudio's resample (Hann window,
width 6, rolloff 0.99). The reference stereo file in ../shared/reference has almost no energy
above 8 kHz, so it cannot tell resamplers apart where they differ; this signal can.

Also writes torchaudio's resampled waveform itself (`broadband_RATE_mono_pcm16.resampled.npy`,
float32, 22050 samples): a log-mel cannot see a time shift, the samples can. `resample` is
torchaudio.functional.resample, checked first against the shared reference
stereo_44100_pcm16 (max |diff| of the log-mel below 1e-5). CI never runs this.

    python3 scripts/audio_resample_reference.py /work/shared/reference
"""
import json, math, sys, wave
from pathlib import Path
import numpy as np
import torch
import torchaudio

ref_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference")
out = Path(__file__).resolve().parent.parent / "Tests" / "AudioTests" / "Fixtures"

def resample(x, orig, new):
    return torchaudio.functional.resample(x, orig, new)  # Hann, lowpass_filter_width 6, rolloff 0.99

fb = torch.tensor(json.loads((ref_dir / "mel_filterbank_513x128.json").read_text())["fb"]).reshape(513, 128)

def logmel(y):
    s = torch.stft(y, 1024, 256, window=torch.hann_window(1024), center=True, pad_mode="reflect",
                   return_complex=True).abs() ** 2
    return torch.log1p((s.T @ fb).T)

def read_wav(path):
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
    return torch.tensor((x / 32768.0).astype(np.float32)).mean(1)

# The re-implementation reproduces torchaudio's own output.
d = json.loads((ref_dir / "stereo_44100_pcm16.logmel.json").read_text())
check = np.abs(logmel(resample(read_wav(ref_dir / "stereo_44100_pcm16.wav"), 44100, 22050)).numpy()
               - np.asarray(d["log_mel"]).reshape(d["shape"])).max()
print("torchaudio.functional.resample vs the shared reference: max |diff|", check)
assert check < 1e-5

rng = np.random.default_rng(1)
freqs = rng.uniform(50, 10950, 300)
phases = rng.uniform(0, 2 * np.pi, 300)
for rate in (44100, 48000):
    t = np.arange(rate) / rate
    x = np.sin(2 * np.pi * freqs[None, :] * t[:, None] + phases[None, :]).sum(1) / 80
    assert np.abs(x).max() < 1
    pcm = np.round(x * 32767).astype("<i2")
    name = f"broadband_{rate}_mono_pcm16"
    with wave.open(str(out / f"{name}.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(pcm.tobytes())
    r = resample(torch.tensor(pcm.astype(np.float32) / 32768.0), rate, 22050)
    np.save(out / f"{name}.resampled.npy", np.ascontiguousarray(r.numpy().astype(np.float32)))
    y = logmel(r).numpy().astype(np.float32)
    np.save(out / f"{name}.logmel.npy", np.ascontiguousarray(y))
    print(name, y.shape)
