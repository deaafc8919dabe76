"""Reading a corpus' takes for the bound scripts beside this file."""
import wave

import numpy as np


def read_mono(path):
    """Samples (float, full scale 1) and sample rate of a 16- or 32-bit PCM WAV file, channels averaged."""
    with wave.open(path) as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    dtype = {2: np.int16, 4: np.int32}[width]
    x = np.frombuffer(raw, dtype=dtype).astype(float).reshape(-1, channels).mean(1)
    return x / float(2 ** (8 * width - 1)), rate
