#!/usr/bin/env python3
"""Builds a tuning dataset of real drum recordings, five classes (kick, snare, hihat, tom,
cymbal), from sounds that Debian packages ship, laid out the way a user's sample folder is:

    OUT/train/<class>/*.wav|flac|aiff      what `cgan-tui OUT` (or `cgan-tui OUT/train`) trains on
    OUT/heldout/<class>/*                  real clips the model never sees, for scoring
    OUT/manifest.csv                       one row per clip: split, class, source, source id, format
    OUT/SOURCES.txt                        where the sounds come from and under which licence

    python3 scripts/make_drum_set.py --out /work/data/drums
    python3 scripts/make_drum_set.py --split-by-kit --out /work/data/drums-kit   # Black Pearl held out
    python3 scripts/make_drum_set.py --source hydrogen-drumkits --out /work/data/drums-val

--source tuning (the default) builds the set the training recipe is tuned on; --source
hydrogen-drumkits builds a second, independent set of other recordings, never to be used for
tuning, to validate the final recipe (see "Validation set" below).

Sources (Debian 12 packages; the audio is never committed, only this script):
  sonic-pi-samples        /usr/share/sonic-pi/samples: the drum_*, bd_*, sn_* and elec_* one-shots
                          that clearly are a kick, snare, hi-hat, tom or cymbal (no cowbells, bells,
                          blips, rolls). Freesound samples placed under CC0 (see its README.md).
  hydrogen-data           Hydrogen drum kits GMRockKit (Glen MacArthur / Sebastian Moors, GPL; five
                          velocity layers per drum) and TR808EmulationKit (ArtemioLabs, GPL).
  avldrums.lv2-soundfont  AVL Drumkits "Red Zeppelin" and "Black Pearl" SoundFonts (Robin Gareus,
                          GPL-2+), rendered note by note with fluidsynth (package fluidsynth).

The AVL SoundFonts have one preset (bank 0, preset 0). fluidsynth treats MIDI channel 10 as a
percussion channel and looks for bank 128 there, which these files do not have (it renders
silence), so the notes are played on channel 1 (index 0). Their note map is not General MIDI
beyond 36-47: 48 is a hi-hat swish, 50/52/58 are choked cymbals (one layer, skipped), 53 a ride
bell, 59 a ride shank, 60 a Paiste 2002 22" cymbal; the script reads the sample names from the
SoundFont and checks each note's (20-character, truncated) sample name against its class.
Each drum has five velocity layers (1-26, 27-52, 53-77, 78-102, 103-127) and no round robins;
two velocities inside one layer play the same recording at another gain (correlation 1.0
after peak normalisation: fluidsynth does not filter them differently), so each layer is
rendered once, at its middle velocity, and exported like a one-shot layer file: normalised to
a peak between -6 and -1 dBFS (by hash of the name), as the Hydrogen GMRockKit layer files are
(all at -5 dBFS), not left at fluidsynth's velocity level (about -50 dBFS at velocity 16).
Each clip's "source id" names the SoundFont sample it plays plus a hash of its data. The two
kits share some recordings (pedal and semi-open hi-hat, one splash and one Paiste layer): the
identical renders are dropped as duplicates, the split keeps the clips of one recording on one
side, and with --split-by-kit a held-out clip whose recording is also in a training kit is
dropped.

Processing: mono sources stay mono, stereo stays stereo (an AVL render with identical channels
is written mono); leading/trailing silence is trimmed (start: first sample above -40 dB of the
clip's peak, less 2 ms; end: last sample above -60 dB, plus 5 ms fade-out); clips are capped
at 2.5 s (100 ms fade-out). Sonic Pi and Hydrogen files keep their levels.
Exact duplicates (same samples after trimming) are dropped. Each clip's container, bit depth and
rate are chosen from a hash of its file name: WAV 16/24-bit, FLAC 16/24-bit or AIFF 16/24-bit, at
44.1 or 48 kHz (48 kHz by polyphase resampling, scipy.signal.resample_poly).

Split: by default a share (--heldout-share, 0.2) of each class is held out, separately for each
(class, source) pair so the held-out set has the train set's mix of kits; within a pair the
source ids are ranked by a SHA-1 of the id and taken in that order until the share is reached.
--split-by-kit holds out one whole source instead (--heldout-source, default avl-blackpearl).
Same inputs, same output: re-running deletes and rewrites OUT/train, OUT/heldout and the
manifest, and refuses to touch a non-empty OUT that it did not make.

Validation set (--source hydrogen-drumkits): the Hydrogen kits of the Debian package
hydrogen-drumkits (2017.09.19), read from their drumkit.xml: each kit's instruments are taken by
id (H2K_KITS below) and every layer file of a taken instrument is one clip (an instrument's
velocity layers are separate recordings; a file two instruments share, e.g.
Millo_MultiLayered2's "Tom Mid" and "Tom Hi", counts once; identical recordings in two files are
dropped as duplicates, and so is a layer that is another layer at another gain: BJA_Pacific's
SN_02 and SN_03 are SN_04 at -7 and -3.5 dB). The instrument's name must contain a word of its
class (kick/bass drum, snare, hat/HH, tom, ride/crash/china/splash/cymbal), or the script stops.
Taken: kicks, snares (rimshots too; ColomboAcousticDrumkit's "redo super opaco" is its second
snare: "redo" for redoblante, file snare-opaque-2mics), hi-hats (closed, open, semi-open, pedal,
"free", "side"), toms, and crash, ride, ride bell, china and splash cymbals. Skipped: side
sticks and rim clicks, snare rolls, claps, cowbells, tambourines, agogos, shakers, congas, zaps,
clicks, unnamed or "Drum 1/2" instruments, and Audiophob's "Pedal HH" (its file is a shaker,
fxshake5.wav).
Kits: Audiophob (freesound.org, CC0), BJA_Pacific (Luc Tanguay / Bransin James Anderson,
CC-BY-SA-3.0-US), ColomboAcousticDrumkit (Marcos Guglielmetti, GPL-2+), ElectricEmpireKit and
HardElectro1 (ArtemioLabs, GPL-2+), ForzeeStereo (Vladimir Sadovnikov, Alexander Belokurov,
GPL-2), Millo-Drums_v.1, Millo_MultiLayered2, Millo_MultiLayered3 (Emiliano Grilli, GPL-2),
VariBreaks (Sineshine / ArtemioLabs, GPL-2+), rumpf_kit_z01 (Emanuel Rumpf, CC-BY-3.0).
Not taken: "The Black Pearl 1.0" (Glen MacArthur) holds the recordings of the tuning set's AVL
Black Pearl and GMRockKit (73 of its 106 files correlate above 0.95 with tuning clips, most at
1.000; the rest are chokes, flinks, a side stick, a clap, a cowbell and two hi-hat layers at
0.82 and 0.84); "Gimme A Hand 1.0" (cajon, bongos, claps, snaps, hand percussion) and
"circAfrique v4" (djembes, dununs, bells) hold none of the five classes; GMRockKit and
TR808EmulationKit in the same folder belong to hydrogen-data (the tuning set). No file of the
kits taken correlates above 0.9 with a tuning clip (the highest, 0.89, is a ForzeeStereo mid tom
against an AVL Black Pearl one; peak of the normalised cross-correlation over all lags, mono at
22.05 kHz, 0.4 s from 9 ms before the onset).
Levels: a velocity layer (a file of an instrument with more than one) is normalised to a peak
between -6 and -1 dBFS by hash of its name, like the AVL layers and the GMRockKit layer files
(all at -5 dBFS) of the tuning set; left as shipped, the soft layers of BJA_Pacific,
ForzeeStereo and the Millo kits would put 81 of the 367 clips below -12 dBFS (down to -29),
against 1 of the tuning set's 300, and the trainer does not level its input. Single-file
instruments keep their levels, as the Sonic Pi and TR-808 one-shots do (six stay below -12 dBFS,
-13 to -21).
Trimming, the length cap, duplicates, formats, rates and the split (by class and kit) are as
above.

Needs numpy, scipy, soundfile (pip install soundfile, or apt-get install python3-soundfile) and
the fluidsynth binary (not for --source hydrogen-drumkits).
"""
import argparse
import collections
import csv
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from math import gcd

import numpy as np
from scipy.signal import resample_poly

CLASSES = ["cymbal", "hihat", "kick", "snare", "tom"]
SONIC_PI = "/usr/share/sonic-pi/samples"
HYDROGEN = "/usr/share/hydrogen/data/drumkits"
SF2_DIR = "/usr/share/sounds/sf2"
MAX_SECONDS = 2.5
AVL_PEAK_DB = (-6.0, -1.0)   # AVL layer renders are normalised to a peak in this range (by hash)

# Sonic Pi samples: file stem -> class. drum_cymbal_closed/open/pedal are hi-hats (closed,
# open, pedal); drum_cymbal_hard/soft and drum_splash_* are crash/splash cymbals.
SONIC_PI_MAP = {
    "kick": ["bd_808", "bd_ada", "bd_boom", "bd_fat", "bd_gas", "bd_haus", "bd_klub",
             "bd_mehackit", "bd_pure", "bd_sone", "bd_tek", "bd_zome", "bd_zum",
             "drum_bass_hard", "drum_bass_soft", "drum_heavy_kick", "elec_hollow_kick",
             "elec_soft_kick"],
    "snare": ["sn_dolf", "sn_dub", "sn_generic", "sn_zome", "drum_snare_hard",
              "drum_snare_soft", "elec_snare", "elec_hi_snare", "elec_mid_snare",
              "elec_lo_snare", "elec_filt_snare"],
    "hihat": ["drum_cymbal_closed", "drum_cymbal_open", "drum_cymbal_pedal"],
    "tom": ["drum_tom_hi_hard", "drum_tom_hi_soft", "drum_tom_mid_hard", "drum_tom_mid_soft",
            "drum_tom_lo_hard", "drum_tom_lo_soft", "elec_fuzz_tom"],
    "cymbal": ["drum_cymbal_hard", "drum_cymbal_soft", "drum_splash_hard", "drum_splash_soft",
               "elec_cymbal"],
}
LAYERS = ["Softest", "Soft", "Med", "Hard", "Hardest"]
GMROCK_MAP = {  # Hydrogen GMRockKit: file prefix (+ "-<layer>.wav") -> class
    "kick": ["Kick"],
    "snare": ["Snare", "SnareRimshot"],
    "hihat": ["HatClosed", "HatOpen", "HatPedal", "HatSemiOpen"],
    "tom": ["Tom1", "Tom2", "TomFloor"],
    "cymbal": ["Crash", "Ride", "Splash", "Bell"],  # Bell: the ride bell
}
TR808_MAP = {
    "kick": ["808_Kick_Long", "808_Kick_Short"],
    "snare": ["808_Snare_1", "808_Snare_2"],
    "hihat": ["808_Hat_Closed", "808_Hat_Open", "808_Hat_Pedal"],
    "tom": ["808_Tom_Low", "808_Tom_Mid", "808_Tom_Hi"],
    "cymbal": ["808_Cymbal"],
}
GMROCK_EXTRA = {"cymbal": ["24Ride-1", "24Ride-2", "24Ride-3", "24Ride-4", "24Ride-5"]}
AVL_NOTES = {  # note -> class, and a word the SoundFont's sample name must contain
    36: ("kick", ["Kick"]),
    38: ("snare", ["Snare"]), 40: ("snare", ["Snare"]),
    42: ("hihat", ["Hat"]), 44: ("hihat", ["Hat"]), 46: ("hihat", ["Hat"]), 48: ("hihat", ["Hat"]),
    41: ("tom", ["Tom", "FloorTo"]), 43: ("tom", ["Tom", "FloorTo"]), 45: ("tom", ["Tom", "FloorTo"]), 47: ("tom", ["Tom", "FloorTo"]),
    49: ("cymbal", ["Cras"]), 51: ("cymbal", ["Ride"]), 53: ("cymbal", ["Ride"]),
    55: ("cymbal", ["Spla"]), 57: ("cymbal", ["Cras"]), 59: ("cymbal", ["Ride"]),
    60: ("cymbal", ["Paiste"]),
}
AVL_KITS = {"avl-redzeppelin": "Red_Zeppelin_4_LV2.sf2", "avl-blackpearl": "Black_Pearl_4_LV2.sf2"}
SOURCES = ["sonicpi", "h2-gmrock", "h2-tr808", "avl-redzeppelin", "avl-blackpearl"]
# (weight, container, subtype, extension); and the share of 48 kHz files
FORMATS = [(35, "WAV", "PCM_16", "wav"), (20, "WAV", "PCM_24", "wav"),
           (15, "FLAC", "PCM_16", "flac"), (10, "FLAC", "PCM_24", "flac"),
           (12, "AIFF", "PCM_16", "aiff"), (8, "AIFF", "PCM_24", "aiff")]
SHARE_48K = 0.3
OWN_FILES = {"train", "heldout", "manifest.csv", "SOURCES.txt"}

# Validation set: source -> (kit folder in HYDROGEN, from package hydrogen-drumkits,
# {class: ids of the instruments taken from its drumkit.xml}); the comments give their names.
H2K_KITS = {
    # Kick | Snare Jazz, Snare Rock | Closed HH, Open HH | Tom Low, Mid, Hi | Ride Jazz, Crash
    "h2k-audiophob": ("Audiophob", {
        "kick": [0], "snare": [2, 4], "hihat": [6, 10], "tom": [5, 7, 9], "cymbal": [12, 13]}),
    # BassDrum | Snare, Snare Dry | Hi Hat Closed, Opened, Free | Tom, Floor Tom |
    # Crash Left, Crash Right, Ride Bell, Ride, Ride 2
    "h2k-bja": ("BJA_Pacific", {
        "kick": [0], "snare": [1, 12], "hihat": [2, 3, 13], "tom": [4, 5],
        "cymbal": [6, 7, 8, 9, 10]}),
    # BassDrum | Snare1, redo super opaco, Snare Rock | Closed HH, Pedal HH, Open HH |
    # Tom Low, Mid, Hi | crash16inch, ride-crash20inch, crash20inch--2, ride-cup
    "h2k-colombo": ("ColomboAcousticDrumkit", {
        "kick": [0], "snare": [1, 11, 12], "hihat": [5, 13, 6], "tom": [2, 3, 4],
        "cymbal": [9, 7, 8, 17]}),
    # Kick Lite 1 ... Kick Hard 2 | Snare 1-3, Snare Low, Snare Ring |
    # Hat Closed Bs, Hat Closed Dirty, Hat Low, Hat Ring 1, 2, Hat Op Dirty, Hat Op Phaser
    "h2k-elempire": ("ElectricEmpireKit", {
        "kick": list(range(0, 12)), "snare": list(range(13, 18)), "hihat": list(range(20, 27))}),
    # Kick | Tom Low, Mid, High | Snare, Snare Rimshot, Snare 2, Snare 2 Rimshot |
    # Hi-Hat Closed, Open, Semiopen, Pedal | Ride, Ride Bell, Ride Bow, China, Crash/Ride,
    # Crash/Ride Bell, Crash/Ride Bow, Crash, Splash
    "h2k-forzee": ("ForzeeStereo", {
        "kick": [0], "snare": [4, 5, 6, 7], "hihat": [9, 10, 11, 12], "tom": [1, 2, 3],
        "cymbal": list(range(13, 22))}),
    # Kick 1-3 | Snare | Closed HH 1-4, Open HH, Side HH, Side OHH
    "h2k-helectro": ("HardElectro1", {
        "kick": [0, 1, 2], "snare": [3], "hihat": list(range(6, 13))}),
    # (all three Millo kits) Kick | Snare Jazz, Snare Rock | Closed HH, Pedal HH, Open HH |
    # Tom Low, Mid, Hi | Ride Jazz, Crash, Ride Rock, Crash Jazz (the last two not in the third)
    "h2k-millo1": ("Millo-Drums_v.1", {
        "kick": [0], "snare": [2, 4], "hihat": [6, 8, 10], "tom": [5, 7, 9],
        "cymbal": [12, 13, 14, 15]}),
    "h2k-millo2": ("Millo_MultiLayered2", {
        "kick": [0], "snare": [2, 4], "hihat": [6, 8, 10], "tom": [5, 7, 9],
        "cymbal": [12, 13, 14, 15]}),
    "h2k-millo3": ("Millo_MultiLayered3", {   # no Snare Jazz: id 2 is its Snare Roll
        "kick": [0], "snare": [4], "hihat": [6, 8, 10], "tom": [5, 7, 9], "cymbal": [12, 13]}),
    # VariBreaks Kick 1-3 | Snare 1-3 | Tom Low, Mid, Hi | Hat 1 Cl, Pd, Op, Hat 2 Cl, Hat 3 Cl
    "h2k-varibreaks": ("VariBreaks", {
        "kick": [0, 1, 2], "snare": [3, 4, 5], "tom": [6, 7, 8], "hihat": [9, 10, 11, 12, 13]}),
    # bass drum 1-4 | snare 1, 2 | hi-hat closed, pedal, open | low, middle, high tom |
    # crash, cymbal 1, cymbal 2, ride bell
    "h2k-rumpf": ("rumpf_kit_z01_h2", {
        "kick": [0, 5, 7, 9], "snare": [2, 4], "hihat": [6, 8, 10], "tom": [11, 12, 14],
        "cymbal": [13, 15, 16, 17]}),
}
H2K_WORDS = {"kick": ["kick", "bassdrum", "bass drum"], "snare": ["snare", "redo"],
             "hihat": ["hat", "hh"], "tom": ["tom"],
             "cymbal": ["ride", "crash", "china", "splash", "cymbal"]}
H2K_SOURCES = list(H2K_KITS)


def die(msg):
    sys.exit(f"make_drum_set: {msg}")


def stable_hash(text):
    """64-bit integer from SHA-1: the same on every machine and Python version."""
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big")


def check_prerequisites(source):
    global sf
    try:
        import soundfile as sf  # noqa: F401
    except ImportError:
        die("Python module soundfile missing: pip install soundfile "
            "(or apt-get install -y --no-install-recommends python3-soundfile)")
    if source == "hydrogen-drumkits":
        if not all(os.path.exists(os.path.join(HYDROGEN, kit, "drumkit.xml"))
                   for kit, _ in H2K_KITS.values()):
            die("missing Debian package: "
                "apt-get install -y --no-install-recommends hydrogen-drumkits")
        return
    needs = [(SONIC_PI + "/bd_haus.flac", "sonic-pi-samples"),
             (HYDROGEN + "/GMRockKit/drumkit.xml", "hydrogen-data"),
             (HYDROGEN + "/TR808EmulationKit/drumkit.xml", "hydrogen-data")]
    needs += [(os.path.join(SF2_DIR, f), "avldrums.lv2-soundfont") for f in AVL_KITS.values()]
    missing = sorted({pkg for path, pkg in needs if not os.path.exists(path)})
    if shutil.which("fluidsynth") is None:
        missing.append("fluidsynth")
    if missing:
        die("missing Debian package(s): apt-get install -y --no-install-recommends "
            + " ".join(missing))


# ---- SoundFont: which sample plays a (note, velocity) -------------------------------------

def sf2_zones(path):
    """{note: [(vel_lo, vel_hi, sample_name, sha1_of_sample_data), ...]} for preset 0 of a
    SoundFont 2 file."""
    data = open(path, "rb").read()

    def chunks(off, end):
        while off + 8 <= end:
            cid, size = data[off:off + 4], struct.unpack("<I", data[off + 4:off + 8])[0]
            yield cid, off + 8, size
            off += 8 + size + (size & 1)

    pdta = {}
    for cid, off, size in chunks(12, len(data)):
        if cid == b"LIST" and data[off:off + 4] in (b"pdta", b"sdta"):
            for c2, o2, s2 in chunks(off + 4, off + size):
                pdta[c2.decode()] = data[o2:o2 + s2]

    def records(name, fmt):
        n, d = struct.calcsize(fmt), pdta[name]
        return [struct.unpack(fmt, d[i:i + n]) for i in range(0, len(d) - n + 1, n)]

    phdr, pbag, pgen = records("phdr", "<20sHHHIII"), records("pbag", "<HH"), records("pgen", "<HH")
    inst, ibag, igen = records("inst", "<20sH"), records("ibag", "<HH"), records("igen", "<HH")
    shdr = records("shdr", "<20sIIIIIBbHH")
    name = lambda b: b.split(b"\0")[0].decode("latin1")
    KEY, VEL, INSTRUMENT, SAMPLE = 43, 44, 41, 53
    zones = collections.defaultdict(list)
    preset = next(i for i, p in enumerate(phdr[:-1]) if p[1] == 0 and p[2] == 0)
    for b in range(phdr[preset][3], phdr[preset + 1][3]):
        gens = dict(pgen[pbag[b][0]:pbag[b + 1][0]])
        if INSTRUMENT not in gens:
            continue
        plo, phi = gens.get(KEY, 0x7F00) & 0xFF, gens.get(KEY, 0x7F00) >> 8
        ins = gens[INSTRUMENT]
        for z in range(inst[ins][1], inst[ins + 1][1]):
            g = dict(igen[ibag[z][0]:ibag[z + 1][0]])
            if SAMPLE not in g:
                continue
            klo, khi = g.get(KEY, 0x7F00) & 0xFF, g.get(KEY, 0x7F00) >> 8
            vlo, vhi = g.get(VEL, 0x7F00) & 0xFF, g.get(VEL, 0x7F00) >> 8
            for note in range(max(plo, klo), min(phi, khi) + 1):
                h = shdr[g[SAMPLE]]   # name, start, end (in 16-bit samples into smpl), ...
                digest = hashlib.sha1(pdta["smpl"][2 * h[1]:2 * h[2]]).hexdigest()
                zones[note].append((vlo, vhi, name(h[0]), digest))
    return zones


def midi_file(note, velocity, hold_ticks=2880, tail_ticks=480):
    """Format-0 MIDI, 480 ticks per beat at the default 120 bpm (960 ticks a second): program 0
    on channel index 0, note on, hold_ticks later note off, tail_ticks more, end of track."""
    def vlq(n):
        out = [n & 0x7F]
        n >>= 7
        while n:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        return bytes(reversed(out))
    track = (vlq(0) + bytes([0xC0, 0]) + vlq(0) + bytes([0x90, note, velocity])
             + vlq(hold_ticks) + bytes([0x80, note, 0]) + vlq(tail_ticks) + b"\xff\x2f\x00")
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
            + b"MTrk" + struct.pack(">I", len(track)) + track)


def render(sf2, note, velocity, tmp):
    stem = os.path.join(tmp, f"{os.path.basename(sf2)}_{note}_{velocity}")
    with open(stem + ".mid", "wb") as f:
        f.write(midi_file(note, velocity))   # 3 s held, 0.5 s tail
    r = subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-g", "1.0", "-O", "float",
                        "-F", stem + ".wav", "-r", "44100", sf2, stem + ".mid"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not os.path.exists(stem + ".wav"):
        die(f"fluidsynth failed on {sf2} note {note}: {r.stderr.strip()[-300:]}")
    x, sr = sf.read(stem + ".wav", dtype="float32", always_2d=True)
    if np.abs(x).max() < 1e-4:
        die(f"fluidsynth rendered silence for {os.path.basename(sf2)} note {note} velocity {velocity}")
    return x, sr


# ---- clip processing -----------------------------------------------------------------------

def trim(x, sr):
    """x: [frames, channels] float32. Trim silence relative to the peak, cap the length."""
    env = np.abs(x).max(axis=1)
    peak = float(env.max())
    if peak <= 0:
        return x[:0]
    above_start = np.flatnonzero(env > peak * 10 ** (-40 / 20))
    above_end = np.flatnonzero(env > peak * 10 ** (-60 / 20))
    start = max(0, int(above_start[0]) - int(0.002 * sr))
    end = min(len(x), int(above_end[-1]) + 1 + int(0.005 * sr))
    y = x[start:end].copy()
    cap = int(MAX_SECONDS * sr)
    fade = int(0.005 * sr)
    if len(y) > cap:
        y = y[:cap]
        fade = int(0.1 * sr)
    fade = min(fade, len(y))
    y[len(y) - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)[:, None]
    return y


def choose_format(stem):
    h = stable_hash("format:" + stem)
    total = sum(w for w, *_ in FORMATS)
    pick = h % total
    for w, container, subtype, ext in FORMATS:
        if pick < w:
            break
        pick -= w
    rate = 48000 if (stable_hash("rate:" + stem) % 1000) < SHARE_48K * 1000 else 44100
    return container, subtype, ext, rate


def collect(tmp, jobs):
    """Yields dicts: cls, source, source_id, stem, audio [frames, ch] float32, sr."""
    items = []

    def load(path):
        x, sr = sf.read(path, dtype="float32", always_2d=True)
        return x, sr

    def add(source, folder, ext, package, names_by_class):
        """Every named file of `folder` as an item; a missing one means the package is incomplete."""
        for cls, names in names_by_class:
            for s in names:
                path = os.path.join(folder, s + ext)
                if not os.path.exists(path):
                    die(f"{path} missing (package {package} incomplete?)")
                x, sr = load(path)
                items.append(dict(cls=cls, source=source, source_id=f"{source}/{s}", stem=s, audio=x, sr=sr))

    add("sonicpi", SONIC_PI, ".flac", "sonic-pi-samples", SONIC_PI_MAP.items())
    add("h2-gmrock", os.path.join(HYDROGEN, "GMRockKit"), ".wav", "hydrogen-data",
        ((cls, [f"{p}-{layer}" for p in prefixes for layer in LAYERS] + GMROCK_EXTRA.get(cls, []))
         for cls, prefixes in GMROCK_MAP.items()))
    add("h2-tr808", os.path.join(HYDROGEN, "TR808EmulationKit"), ".flac", "hydrogen-data", TR808_MAP.items())

    renders = []
    for kit, fname in AVL_KITS.items():
        sf2 = os.path.join(SF2_DIR, fname)
        zones = sf2_zones(sf2)
        for note, (cls, words) in sorted(AVL_NOTES.items()):
            if note not in zones:
                die(f"{fname}: no sample on note {note}")
            # one render per velocity layer, at the layer's middle velocity
            for layer, (vlo, vhi, _, _) in enumerate(sorted(zones[note])):
                vel = (vlo + vhi + 1) // 2
                hit = [z for z in zones[note] if z[0] <= vel <= z[1]]
                if len(hit) != 1:
                    die(f"{fname}: note {note} velocity {vel} plays {len(hit)} samples, expected 1")
                sample, digest = hit[0][2], hit[0][3]
                if not any(w in sample for w in words):
                    die(f"{fname}: note {note} plays '{sample}', not a {cls} ({'/'.join(words)})")
                renders.append((kit, sf2, note, layer + 1, vel, cls, f"{sample}#{digest[:8]}"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        audio = list(pool.map(lambda r: render(r[1], r[2], r[4], tmp), renders))
    for (kit, sf2, note, layer, vel, cls, sample), (x, sr) in zip(renders, audio):
        if x.shape[1] == 2 and np.array_equal(x[:, 0], x[:, 1]):
            x = x[:, :1]
        items.append(dict(cls=cls, source=kit, source_id=f"avl/{sample}",
                          stem=f"n{note}_L{layer}_v{vel:03d}", audio=x, sr=sr, normalise=True))
    return items


def h2k_instruments(kit_dir):
    """{instrument id: (name, [layer file names])} from a Hydrogen drumkit.xml (either format:
    <layer> elements with a <filename> each, or one <filename> in the <instrument>)."""
    import xml.etree.ElementTree as ET
    root = ET.parse(os.path.join(kit_dir, "drumkit.xml")).getroot()
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    out = {}
    for ins in root.iter(ns + "instrument"):
        iid, name = ins.findtext(ns + "id"), ins.findtext(ns + "name") or ""
        files = [layer.findtext(ns + "filename") for layer in ins.iter(ns + "layer")]
        if not files:   # the older format: one <filename> in the instrument itself
            files = [ins.findtext(ns + "filename")]
        out[int(iid)] = (name, [f for f in files if f])
    return out


def collect_hydrogen_drumkits():
    """The validation set's clips: the layer files of the instruments H2K_KITS takes."""
    items = []
    for source, (kit, classes) in H2K_KITS.items():
        kit_dir = os.path.join(HYDROGEN, kit)
        instruments = h2k_instruments(kit_dir)
        taken = {}    # layer file -> class, in drumkit.xml order of the instruments
        layered = set()   # files of instruments with velocity layers (more than one file)
        for iid, (name, files) in instruments.items():
            cls = next((c for c in CLASSES if iid in classes.get(c, [])), None)
            if cls is None:
                continue
            if not any(w in name.lower() for w in H2K_WORDS[cls]):
                die(f"{kit}/drumkit.xml: instrument {iid} is '{name}', not a {cls} "
                    f"({'/'.join(H2K_WORDS[cls])})")
            if not files:
                die(f"{kit}/drumkit.xml: instrument {iid} '{name}' has no layer file")
            for f in files:
                if taken.setdefault(f, cls) != cls:
                    die(f"{kit}: {f} is both a {taken[f]} and a {cls}")
                if len(set(files)) > 1:
                    layered.add(f)
        missing = [i for c in classes.values() for i in c if i not in instruments]
        if missing:
            die(f"{kit}/drumkit.xml has no instrument {missing[0]} "
                "(package hydrogen-drumkits changed?)")
        for f, cls in taken.items():
            path = os.path.join(kit_dir, f)
            if not os.path.exists(path):
                die(f"{path} missing (package hydrogen-drumkits incomplete?)")
            x, sr = sf.read(path, dtype="float32", always_2d=True)
            stem = "-".join(os.path.splitext(f)[0].split())
            items.append(dict(cls=cls, source=source, source_id=f"{source}/{f}", stem=stem,
                              audio=x, sr=sr, normalise=f in layered))
    return items


def gain_copy(y, sr, kept, seconds=0.5, max_lag=3, residual_db=-40.0):
    """The first clip in `kept` that is `y` at another gain: same rate and channels, lengths
    within 10%, and over the first `seconds` (at a lag of up to `max_lag` samples) what is left
    of one after subtracting the best-scaled other is below `residual_db` of it (1 - r^2, r the
    normalised correlation). Hydrogen kits have such layers (BJA_Pacific's SN_02, SN_03, SN_04:
    residual -67 to -72 dB, quantisation); the closest distinct hits of one drum leave -14 dB."""
    n = min(len(y), int(seconds * sr)) - max_lag
    if n <= 0:
        return None
    limit = 1 - 10 ** (residual_db / 10)   # on r^2

    def same(x, v):
        c, ex, ev = x @ v, x @ x, v @ v
        return ex > 0 and ev > 0 and c * c > ex * ev * limit

    h = y[:n + max_lag].astype(np.float64)
    for it in kept:
        z = it["audio"]
        if it["sr"] != sr or z.shape[1] != y.shape[1] or not 0.9 <= len(z) / len(y) <= 1.1:
            continue
        m = min(n, len(z) - max_lag)
        if m <= 0:
            continue
        g = z[:n + max_lag].astype(np.float64)
        for a, b in ((h, g), (g, h)):
            for lag in range(max_lag + 1):
                # the first 1024 frames rule out nearly every pair, and cheaply
                if all(same(a[:k].ravel(), b[lag:lag + k].ravel()) for k in (min(m, 1024), m)):
                    return it
    return None


def split(items, share, by_kit, heldout_source):
    if by_kit:
        seen_elsewhere = {it["source_id"] for it in items if it["source"] != heldout_source}
        for it in items:
            it["split"] = "heldout" if it["source"] == heldout_source else "train"
            if it["split"] == "heldout" and it["source_id"] in seen_elsewhere:
                it["split"] = None    # the same recording is in another kit: not unseen
        return
    # a source id shared by two kits (the AVL kits share some recordings) is stratified
    # under the first source it occurs in, and all its clips go to the same side
    home = {}
    for it in items:
        home.setdefault(it["source_id"], it["source"])
    groups = collections.defaultdict(lambda: collections.defaultdict(list))
    for it in items:
        groups[(it["cls"], home[it["source_id"]])][it["source_id"]].append(it)
    for key, by_id in groups.items():
        n = sum(len(v) for v in by_id.values())
        want = round(share * n)
        taken = 0
        for sid in sorted(by_id, key=lambda s: (stable_hash("split:" + s), s)):
            hold = taken < want
            for it in by_id[sid]:
                it["split"] = "heldout" if hold else "train"
            if hold:
                taken += len(by_id[sid])


def prepare_out(out):
    if os.path.exists(out):
        if not os.path.isdir(out):
            die(f"{out} exists and is not a directory")
        foreign = set(os.listdir(out)) - OWN_FILES
        if foreign:
            die(f"{out} holds files this script did not make ({', '.join(sorted(foreign)[:5])}); "
                "give an empty or new directory")
        for name in ("train", "heldout"):
            shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    os.makedirs(out, exist_ok=True)


def table(title, rows, cols, counts):
    width = max([len(r) for r in rows] + [len(title)])
    print(f"{title:<{width}} " + " ".join(f"{c:>9}" for c in cols) + f" {'total':>7}")
    for r in rows:
        vals = [counts.get((r, c), 0) for c in cols]
        print(f"{r:<{width}} " + " ".join(f"{v:>9}" for v in vals) + f" {sum(vals):>7}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (made or rewritten)")
    ap.add_argument("--source", default="tuning", choices=["tuning", "hydrogen-drumkits"],
                    help="tuning: the tuning set (sonic-pi-samples, hydrogen-data, "
                         "avldrums.lv2-soundfont; the default); hydrogen-drumkits: the "
                         "independent validation set")
    ap.add_argument("--heldout-share", type=float, default=0.2,
                    help="share of each class (per source) held out (default 0.2)")
    ap.add_argument("--split-by-kit", action="store_true",
                    help="hold out one whole source instead (see --heldout-source)")
    ap.add_argument("--heldout-source", choices=SOURCES + H2K_SOURCES,
                    help="the source --split-by-kit holds out (default avl-blackpearl; "
                         "with --source hydrogen-drumkits one of the h2k-* kits, no default)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel fluidsynth renders (default 2)")
    args = ap.parse_args()
    if not 0 <= args.heldout_share < 1:
        die("--heldout-share must be in [0, 1)")
    sources = H2K_SOURCES if args.source == "hydrogen-drumkits" else SOURCES
    if args.heldout_source is None and args.source == "tuning":
        args.heldout_source = "avl-blackpearl"
    if args.split_by_kit and args.heldout_source not in sources:
        die(f"--split-by-kit with --source {args.source} needs --heldout-source, one of "
            + ", ".join(sources))
    check_prerequisites(args.source)
    out = os.path.abspath(args.out)

    if args.source == "hydrogen-drumkits":
        items = collect_hydrogen_drumkits()
    else:
        with tempfile.TemporaryDirectory(prefix="drumset-") as tmp:
            items = collect(tmp, max(1, args.jobs))

    # trim, drop silent clips and exact duplicates
    seen, kept, dropped = {}, [], []
    for it in items:
        y = trim(it["audio"], it["sr"])
        if len(y) < int(0.01 * it["sr"]) or np.abs(y).max() < 1e-4:
            dropped.append((it["source_id"], it["stem"], "silent or shorter than 10 ms"))
            continue
        h = hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest()
        if h in seen:
            dropped.append((it["source_id"], it["stem"], f"duplicate of {seen[h]}"))
            continue
        if args.source == "hydrogen-drumkits":   # the tuning set keeps such copies
            twin = gain_copy(y, it["sr"], kept)
            if twin is not None:
                why = f"same recording as {twin['source']}/{twin['stem']} at another gain"
                dropped.append((it["source_id"], it["stem"], why))
                continue
        seen[h] = f"{it['source']}/{it['stem']}"
        if it.get("normalise"):   # an exported layer, levelled like the Hydrogen layer files
            u = (stable_hash(f"level:{it['source']}/{it['stem']}") % 1000) / 1000
            target = 10 ** ((AVL_PEAK_DB[0] + u * (AVL_PEAK_DB[1] - AVL_PEAK_DB[0])) / 20)
            y = y * np.float32(target / np.abs(y).max())
        it["audio"] = y
        kept.append(it)

    split(kept, args.heldout_share, args.split_by_kit, args.heldout_source)
    for it in kept:
        if it["split"] is None:
            dropped.append((it["source_id"], it["stem"], "held-out kit shares this recording with a training kit"))
    kept = [it for it in kept if it["split"] is not None]
    prepare_out(out)
    rows = []
    for it in sorted(kept, key=lambda i: (i["split"], i["cls"], i["source"], i["stem"])):
        name = f"{it['source']}_{it['stem']}"
        container, subtype, ext, rate = choose_format(name)
        y, sr = it["audio"], it["sr"]
        if rate != sr:
            g = gcd(rate, sr)
            y = resample_poly(y, rate // g, sr // g, axis=0).astype(np.float32)
        peak = float(np.abs(y).max())
        if peak > 0.999:          # resampling overshoot (or a hot source): keep it from clipping
            y = y * np.float32(0.999 / peak)
            peak = 0.999
        d = os.path.join(out, it["split"], it["cls"])
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{name}.{ext}")
        sf.write(path, y, rate, format=container, subtype=subtype)
        back, _ = sf.read(path, dtype="float32", always_2d=True)
        if np.abs(back).max() < 1e-4:
            die(f"{path} came out silent")
        rows.append(dict(split=it["split"], cls=it["cls"], source=it["source"],
                         source_id=it["source_id"], file=os.path.relpath(path, out),
                         format=container, subtype=subtype, rate=rate, channels=y.shape[1],
                         seconds=round(len(y) / rate, 4), peak=round(peak, 4)))

    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    if args.source == "hydrogen-drumkits":
        sources_txt = (
            "Made by scripts/make_drum_set.py --source hydrogen-drumkits from the Debian "
            "package hydrogen-drumkits; see its docstring. A validation set: not for tuning.\n"
            "Audiophob: soundcloud.com/audiophobdubstep, sounds from freesound.org, CC0\n"
            "BJA_Pacific: Luc Tanguay / Bransin James Anderson, CC-BY-SA-3.0-US\n"
            "ColomboAcousticDrumkit: (C) 2006 Marcos Guglielmetti, GPL-2+ with composition "
            "exception\n"
            "ElectricEmpireKit, HardElectro1, VariBreaks: Artemiy Pavlov (ArtemioLabs; "
            "VariBreaks: Sineshine), GPL-2+\n"
            "ForzeeStereo: Vladimir Sadovnikov, Alexander Belokurov, GPL-2\n"
            "Millo-Drums_v.1, Millo_MultiLayered2, Millo_MultiLayered3: Emiliano Grilli "
            "(Emillo), GPL-2\n"
            "rumpf_kit_z01: Emanuel Rumpf, CC-BY-3.0\n"
            "(/usr/share/doc/hydrogen-drumkits/copyright)\n")
    else:
        sources_txt = (
            "Made by scripts/make_drum_set.py from Debian packages; see its docstring.\n"
            "sonic-pi-samples: CC0 (freesound.org; /usr/share/sonic-pi/samples/README.md)\n"
            "hydrogen-data: GMRockKit (Glen MacArthur / Sebastian Moors), TR808EmulationKit "
            "(ArtemioLabs), GPL (drumkit.xml)\n"
            "avldrums.lv2-soundfont: AVL Drumkits Red Zeppelin, Black Pearl (Robin Gareus), "
            "GPL-2+ (/usr/share/doc/avldrums.lv2-soundfont/copyright)\n")
    with open(os.path.join(out, "SOURCES.txt"), "w") as f:
        f.write(sources_txt)

    # summary
    mode = (f"split by kit: {args.heldout_source} held out" if args.split_by_kit
            else f"held-out share {args.heldout_share} per class and source, by hash of source id")
    print(f"{out}: {len(rows)} clips ({mode}); {len(dropped)} dropped")
    for sid, stem, why in dropped:
        print(f"  dropped {sid} {stem}: {why}")
    for sp in ("train", "heldout"):
        sel = [r for r in rows if r["split"] == sp]
        print(f"\n{sp}: {len(sel)} clips")
        if args.source == "hydrogen-drumkits":   # eleven kits: one row each
            table("kit", H2K_SOURCES, CLASSES,
                  collections.Counter((r["source"], r["cls"]) for r in sel))
            table("class", ["total"], CLASSES,
                  collections.Counter(("total", r["cls"]) for r in sel))
        else:
            table("class", CLASSES, SOURCES, collections.Counter((r["cls"], r["source"]) for r in sel))
    print()
    fmts = sorted({f"{r['format']}/{r['subtype']}" for r in rows})
    table("split", ["train", "heldout"], fmts,
          collections.Counter((r["split"], f"{r['format']}/{r['subtype']}") for r in rows))
    table("split", ["train", "heldout"], [44100, 48000],
          collections.Counter((r["split"], r["rate"]) for r in rows))
    print(f"\n{'class':<8} {'clips':>6} {'mean s':>7} {'min s':>6} {'max s':>6} {'capped':>7} {'stereo':>7}")
    for c in CLASSES:
        sel = [r for r in rows if r["cls"] == c]
        secs = [r["seconds"] for r in sel]
        print(f"{c:<8} {len(sel):>6} {np.mean(secs):>7.3f} {min(secs):>6.3f} {max(secs):>6.3f} "
              f"{sum(s >= MAX_SECONDS - 1e-3 for s in secs):>7} {sum(r['channels'] == 2 for r in sel):>7}")


if __name__ == "__main__":
    main()
