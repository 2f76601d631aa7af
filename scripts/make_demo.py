#!/usr/bin/env python3
"""Regenerates assets/demo: the small drum-machine dataset cgan-tui trains on by default.

Four classes a person tells apart by ear and on a log-mel spectrogram:
  kick   a sine whose pitch falls from ~150 Hz to ~45 Hz, decaying: energy in the lowest bands
  snare  a band-passed noise burst over a ~190 Hz tone: broadband, short
  hat    high-passed noise, very short: energy in the top bands only
  chirp  a tone rising from ~300 Hz to ~3 kHz across the whole clip: a diagonal line

Every clip is 0.75 s of 16-bit mono WAV at 22050 Hz (65 STFT frames at hop 256, so the
default demo run uses --frames 64). Each clip varies pitch, decay, onset and level a little,
from one fixed seed, so the output is the same byte for byte on every run.

Usage: python3 scripts/make_demo.py [OUT_DIR]   (default: assets/demo next to this script)
Needs numpy and scipy only.
"""
import os
import sys

import numpy as np
from scipy.io import wavfile
from scipy.signal import butter, sosfilt

SR = 22050
SECONDS = 0.75
N = int(SR * SECONDS)
CLIPS_PER_CLASS = 20
SEED = 20240611


def envelope(t, onset, decay):
    """Exponential decay starting at `onset` seconds, with a 2 ms linear attack (no click)."""
    x = np.clip(t - onset, 0, None)
    attack = np.clip((t - onset) / 0.002, 0, 1)
    return attack * np.exp(-x / decay)


def sweep(t, f_start, f_end, rate):
    """Phase of a sine whose frequency glides exponentially from f_start to f_end."""
    freq = f_end + (f_start - f_end) * np.exp(-t * rate)
    return 2 * np.pi * np.cumsum(freq) / SR


def kick(rng, t):
    onset = rng.uniform(0.0, 0.03)
    tt = np.clip(t - onset, 0, None)
    phase = sweep(tt, rng.uniform(130, 170), rng.uniform(40, 52), rng.uniform(25, 40))
    body = np.sin(phase) * envelope(t, onset, rng.uniform(0.16, 0.26))
    return body


def snare(rng, t):
    onset = rng.uniform(0.0, 0.03)
    sos = butter(4, [rng.uniform(900, 1400), rng.uniform(5500, 7000)], btype="bandpass", fs=SR, output="sos")
    noise = sosfilt(sos, rng.standard_normal(N))
    noise /= np.max(np.abs(noise))
    tone = np.sin(2 * np.pi * rng.uniform(170, 210) * np.clip(t - onset, 0, None))
    return (0.8 * noise * envelope(t, onset, rng.uniform(0.08, 0.13))
            + 0.5 * tone * envelope(t, onset, rng.uniform(0.04, 0.07)))


def hat(rng, t):
    onset = rng.uniform(0.0, 0.03)
    sos = butter(6, rng.uniform(7000, 8500), btype="highpass", fs=SR, output="sos")
    noise = sosfilt(sos, rng.standard_normal(N))
    noise /= np.max(np.abs(noise))
    return noise * envelope(t, onset, rng.uniform(0.05, 0.08))


def chirp(rng, t):
    f0, f1 = rng.uniform(250, 350), rng.uniform(2600, 3400)
    # Exponential (log-frequency) rise: a straight diagonal on the mel axis.
    freq = f0 * (f1 / f0) ** (t / SECONDS)
    phase = 2 * np.pi * np.cumsum(freq) / SR
    fade = np.clip(t / 0.01, 0, 1) * np.clip((SECONDS - t) / 0.03, 0, 1)
    return (np.sin(phase) + 0.3 * np.sin(2 * phase)) * fade


CLASSES = {"kick": kick, "snare": snare, "hat": hat, "chirp": chirp}

README = """# Demo dataset

{count} short clips in {classes} classes ({names}), {clips} per class, each {seconds} s of
16-bit mono WAV at {sr} Hz. `cgan-tui` with no dataset argument trains on this folder.

- kick: a sine falling from about 150 Hz to 45 Hz, decaying (lowest mel bands)
- snare: a band-passed noise burst over a ~190 Hz tone (broadband, short)
- hat: high-passed noise, very short (top mel bands only)
- chirp: a tone rising from about 300 Hz to 3 kHz over the whole clip (a diagonal line)

## Origin
Synthesised from scratch by `scripts/make_demo.py` (numpy and scipy, fixed seed {seed}); no
recording or third-party sample was used. Run `python3 scripts/make_demo.py` to regenerate
the same files.

## Licence
Same as the repository (MIT, see `LICENSE`). The sounds are also dedicated to the public
domain: use them for anything.
"""


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "assets", "demo")
    rng = np.random.default_rng(SEED)
    t = np.arange(N) / SR
    for name, make in CLASSES.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        for k in range(CLIPS_PER_CLASS):
            y = make(rng, t)
            y = y / np.max(np.abs(y)) * rng.uniform(0.5, 0.9)
            wavfile.write(os.path.join(folder, f"{name}_{k:02d}.wav"), SR, np.round(y * 32767).astype(np.int16))
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README.format(count=CLIPS_PER_CLASS * len(CLASSES), classes=len(CLASSES),
                              names=", ".join(CLASSES), clips=CLIPS_PER_CLASS, seconds=SECONDS,
                              sr=SR, seed=SEED))


if __name__ == "__main__":
    main()
