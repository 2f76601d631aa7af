#!/usr/bin/env python3
"""Copies torchaudio's reference outputs (../shared/reference, made with torchaudio 2.11)
into Tests/AudioTests/Fixtures as compact float32 .npy files plus the input WAVs.
CI never runs this; the outputs are committed.

    python3 scripts/audio_fixtures.py /work/shared/reference
"""
import json, shutil, sys
from pathlib import Path
import numpy as np

src = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference")
dst = Path(__file__).resolve().parent.parent / "Tests" / "AudioTests" / "Fixtures"
dst.mkdir(parents=True, exist_ok=True)

for j in sorted(src.glob("*.logmel.json")):
    d = json.loads(j.read_text())
    arr = np.asarray(d["log_mel"], dtype=np.float32).reshape(d["shape"])
    name = j.name.replace(".logmel.json", "")
    np.save(dst / f"{name}.logmel.npy", arr)
    shutil.copyfile(src / d["input"], dst / d["input"])
    print(name, arr.shape, d.get("subtype"), d.get("input_sample_rate"))

fb = json.loads((src / "mel_filterbank_513x128.json").read_text())
np.save(dst / "mel_filterbank_513x128.npy", np.asarray(fb["fb"], dtype=np.float32).reshape(fb["shape"]))
shutil.copyfile(src / "griffinlim_reference_chirp.json", dst / "griffinlim_reference_chirp.json")
