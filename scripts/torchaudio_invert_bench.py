#!/usr/bin/env python3
"""torchaudio's inversion of one log-mel .npy, in-process, against `cgan-tui invert` as a whole
process on the same array: for issue #13's target "invert as a whole process no slower than
torchaudio's in-process inversion".

torchaudio's side (timed after a warm-up, best of --repeats): expm1, InverseMelScale (driver
"gelsd", the only one that accepts this filterbank), GriffinLim(n_fft 1024, hop 256, momentum
0.99, --iterations), peak normalisation. Writing the file is left out of its time (generous to
torchaudio). cgan-tui's side: the wall time of `cgan-tui invert NPY --out OUT.wav --iterations N`
as a process (start-up, reading, synthesis, writing), best of --repeats. Both with --threads
(torch.set_num_threads; cgan-tui's synthesis is single-threaded).

    python3 scripts/torchaudio_invert_bench.py clip.npy [--binary .build/release/cgan-tui]
        [--iterations 32] [--repeats 5] [--threads 1]
"""
import argparse, os, subprocess, tempfile, time
import numpy as np
import torch
import torchaudio.transforms as T

ap = argparse.ArgumentParser()
ap.add_argument("npy")
ap.add_argument("--binary", default=".build/release/cgan-tui")
ap.add_argument("--iterations", type=int, default=32)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)

log_mel = torch.from_numpy(np.load(a.npy).astype(np.float32)).reshape(128, -1)
inverse = T.InverseMelScale(n_stft=513, n_mels=128, sample_rate=22050, f_min=0.0, f_max=None,
                            norm=None, mel_scale="htk", driver="gelsd")
griffin = T.GriffinLim(n_fft=1024, hop_length=256, power=2.0, momentum=0.99, n_iter=a.iterations)

def torchaudio_invert():
    power = torch.relu(inverse(torch.expm1(log_mel)))
    y = griffin(power)
    return y / y.abs().max().clamp_min(1e-12)

torchaudio_invert()   # warm-up
torch_runs = []
for _ in range(a.repeats):
    s = time.perf_counter()
    torchaudio_invert()
    torch_runs.append(time.perf_counter() - s)
best_torch = min(torch_runs)

with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "back.wav")
    cmd = [a.binary, "invert", a.npy, "--out", out, "--iterations", str(a.iterations)]
    subprocess.run(cmd, check=True)
    runs = []
    for _ in range(a.repeats):
        s = time.perf_counter()
        subprocess.run(cmd, check=True)
        runs.append(time.perf_counter() - s)
best_ours = min(runs)
print(f"torchaudio in-process ({a.threads} thread(s), {a.iterations} iterations): {best_torch * 1000:.0f} ms")
print(f"cgan-tui invert, whole process:                 {best_ours * 1000:.0f} ms  "
      f"({best_torch / best_ours:.1f}x faster)")
print(f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])}")
