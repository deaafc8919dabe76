#!/usr/bin/env python3
"""How soon after its onset a note's pitch can be read at all: an oracle bound for the listener's settle time.

usage: pitch_settle_bound.py CORPUS_DIR [CLARITY ...]        (default clarities: 0 0.5 0.7 0.8)

The issue asks the pitch to settle within 1.5 periods + 1 block of each note's onset. Whether a note's sound allows
that is measured here, on the monophonic takes of a corpus in guitar-dev's format, with an oracle that is given what
no real-time tracker has: each note's exact onset, and hindsight over where to start its window. It reads the take
as the listener's tracker does (decimated to 12 kHz, a 300 Hz high-pass and a 2 kHz low-pass), computes McLeod's
normalized square difference function of windows starting 0, 0.5, 1, 2 and 3 ms after the onset, testing a lag once
the window holds half a period of pairs beyond it and at least 16, and picks the period by McLeod's rule (the first
peak within 85 % of the highest). A note counts as read at the end of the first 64-sample block at which one of those
windows names its pitch (within 4 %) with a clarity (NSDF peak) of at least CLARITY. As score.py does, a note
repeating the pitch still sounding counts as read at once. Prints, per clarity, the median and 90th percentile over
notes, beside the median of the per-note target (1.5 periods + 1 block).

A real tracker also has to learn of the onset, choose its window without hindsight and hold the pitch for 20 ms (the
score's settle); so this is a lower bound on what any tracker of this kind (autocorrelation, YIN, NSDF) can score.
Needs numpy only.
"""

import numpy as np

from takes import arguments, takes

RATE = 12_000  # the tracker's analysis rate
STARTS_MS = (0.0, 0.5, 1.0, 2.0, 3.0)
BLOCK_SECONDS = 64 / 48_000
LONGEST_MS = 40  # notes not read by then count as never read


def analysed(x, rate):
    """The signal the tracker reads: 300 Hz 4th-order high-pass and 2 kHz 2nd-order low-pass magnitudes, at 12 kHz."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / rate)
    gain = 1 / np.sqrt(1 + (f / 2000) ** 4) * f ** 4 / (f ** 4 + 300.0 ** 4 + 1e-9)
    return np.fft.irfft(spectrum * gain, len(x))[:: round(rate / RATE)], rate / round(rate / RATE)


def mcleod_period(window, max_lag):
    """(period, clarity) of a window by McLeod's rule over lags 8..max_lag, or None."""
    n = len(window)
    lags = np.arange(1, max_lag + 1)
    r = np.array([np.dot(window[:-lag], window[lag:]) for lag in lags])
    e = np.concatenate([[0.0], np.cumsum(window ** 2)])
    m = (e[n - lags] - e[0]) + (e[n] - e[lags])
    nsdf = np.where(m > 1e-12, 2 * r / np.maximum(m, 1e-12), 0.0)
    negative = np.flatnonzero(nsdf < 0)
    if len(negative) == 0:
        return None
    peaks, i = [], negative[0]
    while i < len(nsdf):
        if nsdf[i] > 0:
            j = i
            while j < len(nsdf) and nsdf[j] > 0:
                j += 1
            if j < len(nsdf):  # a lobe still rising at the last lag is no peak yet
                k = i + int(np.argmax(nsdf[i:j]))
                peaks.append((k + 1, nsdf[k]))
            i = j
        else:
            i += 1
    peaks = [p for p in peaks if p[0] >= 8]
    if not peaks:
        return None
    highest = max(p[1] for p in peaks)
    return next(p for p in peaks if p[1] >= 0.85 * highest)


def first_reading(y, rate, onset, period, clarities):
    """Per clarity: seconds from the onset to the end of the block in which a window first names the period."""
    found = {c: None for c in clarities}
    start0 = int(round(onset * rate))
    starts = [int(round(ms * rate / 1000)) for ms in STARTS_MS]
    for end in range(12, int(LONGEST_MS * rate / 1000)):
        for start in starts:
            length = end - start
            max_lag = min(int(length / 1.5), int(rate / 72) + 2, length - 16)
            if max_lag < int(period * 1.03) + 1:
                continue
            reading = mcleod_period(y[start0 + start:start0 + end], max_lag)
            if reading is None or abs(reading[0] / period - 1) >= 0.04:
                continue
            known = np.ceil((onset + end / rate) / BLOCK_SECONDS) * BLOCK_SECONDS
            for c in clarities:
                if found[c] is None and reading[1] >= c:
                    found[c] = known - onset
        if all(v is not None for v in found.values()):
            break
    return found


def main():
    corpus, clarities = arguments(__doc__, [0.0, 0.5, 0.7, 0.8])
    read = {c: [] for c in clarities}
    targets = []
    for _, truth, x, rate in takes(corpus, lambda t: t.get("monophonic") and t.get("notes")):
        y, analysis_rate = analysed(x, rate)
        notes = truth["notes"]
        for note in notes:
            if note["offset"] - note["onset"] < 0.02:
                continue  # score.py does not judge settling of notes shorter than its 20 ms hold
            hz = note.get("hz") or 440.0 * 2 ** ((note["midi"] - 69) / 12)
            targets.append(1.5 / hz + BLOCK_SECONDS)
            sounding = [p for p in notes if p["onset"] < note["onset"] <= p["offset"] + 0.01]
            if sounding and abs((sounding[-1].get("hz") or hz) / hz - 1) < 0.03:
                for c in clarities:
                    read[c].append(0.0)
                continue
            found = first_reading(y, analysis_rate, note["onset"], analysis_rate / hz, clarities)
            for c in clarities:
                read[c].append(np.nan if found[c] is None else found[c])
    print("%d notes; per-note target (1.5 periods + 1 block): median %.2f ms"
          % (len(targets), 1e3 * np.median(targets)))
    for c in clarities:
        v = 1e3 * np.array(read[c])
        print("oracle, clarity >= %.2f: first right reading median %.2f ms, p90 %.2f ms, not within %d ms: %d"
              % (c, np.nanmedian(v), np.nanpercentile(v, 90), LONGEST_MS, int(np.isnan(v).sum())))


if __name__ == "__main__":
    main()
