#!/usr/bin/env python3
"""Altered copies of a guitar corpus (WAV + ground-truth JSON in guitar-dev's format), each with ground truth to match.

usage: make_variants.py CORPUS_DIR OUT_DIR [VARIANT ...]     (default: all variants)

A listener tuned on clean synthesized takes meets hum, hiss, rooms, hot levels and other tunings on real ones. Each
variant changes one thing, so a drop in a score names its cause:
    hum60   60 Hz mains hum, -40 dBFS, harmonics 1, 2, 3, 5     hum60q  the same at -55 dBFS
    hum50   50 Hz mains hum, -40 dBFS                           noise   pink + white hiss, -55 dBFS RMS
    reverb  a room: RT60 0.5 s, 8 ms pre-delay, reverb 8 dB under the direct sound
    hot     +14 dB into tanh clipping                           flat32  tuned to A = 432 Hz (played 1.7 % slower)
    dark    a 12 dB/octave low-pass at 2 kHz (a neck pickup, tone knob down)
    thin    a 12 dB/octave high-pass at 250 Hz (a thin DI, an acoustic's piezo with the bass cut)
    bright  +12 dB shelf from 1.5 to 12 kHz (a bridge pickup, a bright amp)
    dc      a DC offset of 0.03 (a cheap interface)
    up2     two semitones up, 12 % faster (other keys, 79-175 bpm on guitar-dev)
    down2   two semitones down, 11 % slower (the low string at D2, 62-139 bpm)
    sr22    the same take at 22.05 kHz                          sr32    the same take at 32 kHz
    sr44    the same take at 44.1 kHz                           sr96    the same take at 96 kHz
Additive and rate variants keep the ground truth; the speed variants scale its times and tempi and transpose its notes and
chords. Needs numpy only; seeded, so every run writes the same files.
"""
import glob
import json
import os
import sys
import wave

import numpy as np

NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def read(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            sys.exit(f"{path}: expected 16-bit mono WAV like guitar-dev's")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0, w.getframerate()


def write(path, x, sr):
    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(sr)
        w.writeframes(np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2").tobytes())


def mains(x, sr, hz, dbfs):
    t = np.arange(len(x)) / sr
    return x + 10 ** (dbfs / 20) * sum(a * np.sin(2 * np.pi * hz * k * t + k) for k, a in ((1, 1.0), (2, 0.3), (3, 0.5), (5, 0.2)))


def hiss(x, sr, rng):
    white = rng.standard_normal(len(x))
    pink = np.cumsum(white)
    # The random walk minus its moving average over the samples that exist (zero padding at the edges would leave
    # a ramp of the walk's whole excursion in the first and last 32 samples: a loud click, not hiss).
    box = np.ones(64)
    pink -= np.convolve(pink, box, "same") / np.convolve(np.ones(len(pink)), box, "same")
    noise = (white / np.sqrt(np.mean(white ** 2)) + pink / np.sqrt(np.mean(pink ** 2))) / np.sqrt(2)
    return x + noise * 10 ** (-55 / 20)


def room(x, sr, rng):
    n = int(0.8 * sr)
    ir = rng.standard_normal(n) * np.exp(-6.91 * np.arange(n) / sr / 0.5)
    ir[: int(0.008 * sr)] = 0
    ir *= 10 ** (-8 / 20) / np.sqrt(np.sum(ir ** 2))
    ir[0] = 1.0
    size = 1 << (len(x) + n - 2).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[: len(x)]
    return y * min(1.0, 0.95 / np.max(np.abs(y)))


def equalize(x, sr, gain):
    """x through a zero-phase filter whose gain at f Hz is gain(f)."""
    return np.fft.irfft(np.fft.rfft(x) * gain(np.fft.rfftfreq(len(x), 1 / sr)), len(x))


def limited(x):
    return x * min(1.0, 0.99 / np.max(np.abs(x)))


ADDITIVE = {
    "hum60": lambda x, sr, rng: mains(x, sr, 60, -40),
    "hum60q": lambda x, sr, rng: mains(x, sr, 60, -55),
    "hum50": lambda x, sr, rng: mains(x, sr, 50, -40),
    "noise": hiss,
    "reverb": room,
    "hot": lambda x, sr, rng: np.tanh(x * 10 ** (14 / 20)) * 0.9,
    "dark": lambda x, sr, rng: limited(equalize(x, sr, lambda f: 1 / np.sqrt(1 + (f / 2000) ** 4))),
    "thin": lambda x, sr, rng: limited(equalize(x, sr, lambda f: (f / 250) ** 2 / np.sqrt(1 + (f / 250) ** 4))),
    "bright": lambda x, sr, rng: limited(
        0.5 * equalize(x, sr, lambda f: np.sqrt((1 + (f / 1500) ** 2) / (1 + (f / 12000) ** 2)))
    ),
    "dc": lambda x, sr, rng: x + 0.03,
}
SPEED = {"flat32": -0.32, "up2": 2.0, "down2": -2.0}  # semitones
RATE = {"sr22": 22050, "sr32": 32000, "sr44": 44100, "sr96": 96000}  # Hz


def resample(x, ratio):
    """x played `ratio` times longer (band-limited, by zero-padding or truncating its spectrum)."""
    n, m = len(x), int(round(len(x) * ratio))
    spectrum = np.fft.rfft(x)
    out = np.zeros(m // 2 + 1, complex)
    k = min(len(spectrum), len(out))
    out[:k] = spectrum[:k]
    return np.fft.irfft(out, m) * (m / n)


def retime(truth, ratio, shift):
    """Ground truth of the take played `ratio` times longer and `shift` semitones higher (0 when not whole)."""
    t = lambda s: s * ratio
    truth["duration"] = t(truth["duration"])
    for key in ("onsets", "onset_spread", "beats", "downbeats"):
        truth[key] = [t(s) for s in truth.get(key, [])]
    for note in truth.get("notes", []):
        note["onset"], note["offset"], note["midi"] = t(note["onset"]), t(note["offset"]), note["midi"] + shift
        if note.get("hz"):
            note["hz"] /= ratio
    for segment in truth.get("chords", []) + truth.get("sections", []):
        segment["start"], segment["end"] = t(segment["start"]), t(segment["end"])
        if shift and "root" in segment and segment.get("label", "N") != "N":
            segment["root"] = (segment["root"] + shift) % 12
            segment["label"] = f"{NAMES[segment['root']]}:{segment['quality']}"
    for tempo in truth.get("tempo", []):
        tempo["start"], tempo["bpm"] = t(tempo["start"]), tempo["bpm"] / ratio
    for change in truth.get("tempo_changes", []):
        change["start"], change["end"] = t(change["start"]), t(change["end"])
        for key in ("from_bpm", "to_bpm"):
            if key in change:
                change[key] /= ratio
    truth["pitch_ignore"] = [[t(a), t(b)] for a, b in truth.get("pitch_ignore", [])]
    return truth


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    corpus, out = sys.argv[1], sys.argv[2]
    known = [*ADDITIVE, *SPEED, *RATE]
    chosen = sys.argv[3:] or known
    unknown = [v for v in chosen if v not in known]
    if unknown:
        sys.exit(f"unknown variant {', '.join(unknown)}; choose from {', '.join(known)}")
    takes = sorted(glob.glob(os.path.join(corpus, "*.wav")))
    if not takes:
        sys.exit(f"{corpus}: no WAV files; give guitar-dev's folder")
    for variant in chosen:
        folder = os.path.join(out, variant)
        os.makedirs(folder, exist_ok=True)
        rng = np.random.default_rng(7)
        for path in takes:
            x, sr = read(path)
            with open(path[:-4] + ".json") as f:
                truth = json.load(f)
            if variant in ADDITIVE:
                x = ADDITIVE[variant](x, sr, rng)
            elif variant in RATE:
                x, sr = resample(x, RATE[variant] / sr), RATE[variant]
            else:
                semitones = SPEED[variant]
                ratio = 2 ** (-semitones / 12)
                x = resample(x, ratio)
                truth = retime(truth, ratio, int(semitones) if semitones == int(semitones) else 0)
            name = os.path.basename(path)
            write(os.path.join(folder, name), x, sr)
            with open(os.path.join(folder, name[:-4] + ".json"), "w") as f:
                json.dump(truth, f)
        print(f"{variant}: {len(takes)} takes in {folder}")


if __name__ == "__main__":
    main()
