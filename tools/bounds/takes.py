"""Reading a corpus' takes for the bound scripts beside this file."""
import glob
import json
import os
import sys
import wave

import numpy as np


def arguments(doc, defaults):
    """CORPUS_DIR and the numbers after it (`defaults` when none) from the command line; the usage `doc` if none."""
    args = sys.argv[1:]
    if not args:
        print(doc)
        sys.exit(2)
    return args[0], [float(a) for a in args[1:]] or defaults


def takes(corpus, wanted):
    """(name, ground truth, samples, sample rate) of each take of `corpus` whose ground truth `wanted` accepts."""
    for path in sorted(glob.glob(os.path.join(corpus, "*.json"))):
        with open(path) as f:
            truth = json.load(f)
        if wanted(truth):
            x, rate = read_mono(path[:-5] + ".wav")
            yield os.path.basename(path)[:-5], truth, x, rate


def read_mono(path):
    """Samples (float, full scale 1) and sample rate of a 16- or 32-bit PCM WAV file, channels averaged."""
    with wave.open(path) as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    dtype = {2: np.int16, 4: np.int32}[width]
    x = np.frombuffer(raw, dtype=dtype).astype(float).reshape(-1, channels).mean(1)
    return x / float(2 ** (8 * width - 1)), rate
