#!/usr/bin/env python3
"""torchaudio's extraction speed on a folder of audio, for comparison with
`cgan-tui bench audio --folder FOLDER`.

The original script's pipeline, file by file: soundfile decode (float32, mean of channels),
torchaudio.functional.resample to 22050 Hz (when the file is at another rate),
torchaudio.transforms.MelSpectrogram(sample_rate=22050, n_fft=1024, hop_length=256, n_mels=128)
made once, log1p, zero-pad/crop to 512 frames; torch.set_num_threads(1) (--threads). Every file
under FOLDER whose suffix soundfile reads (.wav .flac .aif .aiff .ogg .mp3) counts; the whole
file is decoded and transformed, as the original script does. Prints audio seconds per
wall-clock second (x real time) and per CPU-second of this process (less disturbed by other
processes on a shared machine), each the best of --repeats passes after one warm-up pass; with
--json the last stdout line is one JSON object. CI never runs this.

    python3 scripts/torchaudio_extract_bench.py /work/data/drums [--repeats 3] [--threads 1] [--json]
"""
import argparse
import json
import os
import time
from pathlib import Path

import soundfile as sf
import torch
import torchaudio

SUFFIXES = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3"}


def extract(path, mel, rate=22050, frames=512):
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    y = torch.from_numpy(x).mean(1)
    if sr != rate:
        y = torchaudio.functional.resample(y, sr, rate)
    m = torch.log1p(mel(y))
    if m.shape[1] < frames:
        m = torch.nn.functional.pad(m, (0, frames - m.shape[1]))
    return m[:, :frames], x.shape[0] / sr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(a.folder, followlinks=True)
                   for f in names if Path(f).suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no audio files under {a.folder}")
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=22050, n_fft=1024, hop_length=256, n_mels=128)
    seconds = sum(extract(f, mel)[1] for f in files)          # warm-up pass
    best, best_cpu = float("inf"), float("inf")
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for f in files:
            extract(f, mel)
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"torchaudio {torchaudio.__version__} (torch {torch.__version__}), {a.threads} thread(s): "
          f"{len(files)} files, {seconds:.1f} s of audio in {best:.3f} s: {seconds / best:.0f}x real time (wall), "
          f"{seconds / best_cpu:.0f}x per CPU-second (best of {a.repeats}; load average {load})")
    if a.json:
        print(json.dumps({"torchaudio_version": torchaudio.__version__, "torch_version": torch.__version__,
                          "threads": a.threads, "files": len(files), "audio_seconds": seconds,
                          "wall_seconds": best, "cpu_seconds": best_cpu, "extraction_x": seconds / best,
                          "extraction_x_cpu": seconds / best_cpu, "load_average": load}))


if __name__ == "__main__":
    main()
