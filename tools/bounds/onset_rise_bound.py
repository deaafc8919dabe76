#!/usr/bin/env python3
"""How soon after an onset its attack shows in the signal: oracle bounds for the listener's onset delay.

usage: onset_rise_bound.py CORPUS_DIR [DB ...]        (default rises: 3 6 10 dB)

The take is cut into 16-sample sub-blocks (0.33 ms at 48 kHz) and the mean energy of each is taken in eight bands:
60-200, 200-400, 400-800, 800-1600, 1600-3200, 3200-8000 and 8000-12000 Hz, and the first difference of the signal
(the pre-emphasis the listener's detector hears). Two measurements, each reported at the end of the 64-sample block
that holds the sub-block, as score.py expects of a real-time detector:

- Granted: told that an onset happened, when does some band first rise DB over its own largest sub-block energy of
  the 20 ms before it? The median and 90th percentile of that over all onsets of the corpus (and per take) are a lower
  bound on the delay of any detector that needs such a rise to know.
- Blind: the same test run over the whole take, without knowing the onsets (each band against its largest energy of
  the 20 ms before, leaving out the newest 1 ms so a rise is measured whole; 30 ms refractory), scored as score.py
  does (±50 ms, one to one): F, delays and false onsets per minute. It shows what such a rise costs in false onsets
  when it has to stand on its own.
Needs numpy and scipy; run from anywhere (score.py is loaded from the corpus folder).
"""
import sys

import numpy as np
from scipy import signal

from takes import arguments, takes

SUB = 16
BLOCK = 64
BANDS = [(60, 200), (200, 400), (400, 800), (800, 1600), (1600, 3200), (3200, 8000), (8000, 12000), None]
BACKGROUND_SECONDS = 0.02
LATEST_SECONDS = 0.05


def band_energies(x, rate):
    """Mean energy of every sub-block in each band: an array (bands, sub-blocks). The bands are causal (fourth-order
    Butterworth band-passes run forward): a brick-wall filter over the whole take rings before an attack and shows
    it early (with one, 121 of the listener's late onsets seemed to rise 6 dB within 4 ms; causally 68)."""
    count = len(x) // SUB
    energies = []
    for band in BANDS:
        if band is None:
            y = np.diff(x, prepend=0.0)
        else:
            y = signal.sosfilt(signal.butter(2, band, "bandpass", fs=rate, output="sos"), x)
        energies.append((y[: count * SUB] ** 2).reshape(count, SUB).mean(1) + 1e-12)
    return np.array(energies)


def reported(sub_block, rate):
    """When a detector that knew at the end of `sub_block` reports it: the end of its block (seconds)."""
    return np.ceil((sub_block + 1) * SUB / BLOCK) * BLOCK / rate


def granted(energies, rate, onset, rise_db):
    """Seconds from `onset` until some band rises `rise_db` over its largest energy of the 20 ms before, or NaN."""
    k = int(onset * rate) // SUB
    before = energies[:, max(0, k - int(BACKGROUND_SECONDS * rate / SUB)):k].max(1)
    after = energies[:, k:k + int(LATEST_SECONDS * rate / SUB)]
    hits = np.flatnonzero(np.any(after > before[:, None] * 10 ** (rise_db / 10), 0))
    return reported(k + hits[0], rate) - onset if len(hits) else np.nan


def blind(energies, rate, rise_db):
    """Times at which the rise test fires, run over the whole take."""
    window, gap = int(BACKGROUND_SECONDS * rate / SUB), int(0.001 * rate / SUB)
    padded = np.concatenate([np.full((energies.shape[0], window), 1e-12), energies], 1)
    views = np.lib.stride_tricks.sliding_window_view(padded, window - gap, axis=1)
    background = views[:, : energies.shape[1]].max(2)
    fires = np.flatnonzero(np.any(energies > background * 10 ** (rise_db / 10), 0))
    times, last = [], -(10 ** 9)
    for k in fires:
        if k - last >= int(0.03 * rate / SUB):
            times.append(reported(k, rate))
            last = k
    return times


def main():
    corpus, rises = arguments(__doc__, [3.0, 6.0, 10.0])
    sys.path.insert(0, corpus)
    import score  # the corpus' own scorer, for the blind test's matching

    analysed = [(name, truth, band_energies(x, rate), rate)
                for name, truth, x, rate in takes(corpus, lambda t: "duration" in t and t.get("onsets"))]

    print("GRANTED (told an onset happened): first rise in some band, ms after the onset")
    for rise in rises:
        every, by_take = [], []
        for name, truth, energies, rate in analysed:
            delays = [1e3 * granted(energies, rate, t, rise) for t in sorted(truth["onsets"])]
            every += delays
            by_take.append((name, np.nanmedian(delays), np.nanpercentile(delays, 90)))
        every = np.array(every)
        print("  rise >= %4.1f dB: median %.2f, p90 %.2f; no such rise within 50 ms: %d of %d onsets"
              % (rise, np.nanmedian(every), np.nanpercentile(every, 90), int(np.isnan(every).sum()), len(every)))
        if rise == rises[0]:
            for name, median, p90 in by_take:
                print("      %-32s median %.1f p90 %.1f" % (name, median, p90))

    print("BLIND (the same rise test on its own, scored by score.py at ±50 ms)")
    for rise in rises:
        pooled = [score.score_onsets(truth, blind(energies, rate, rise)) for _, truth, energies, rate in analysed]
        summary = score.pool_onsets(pooled)
        print("  rise >= %4.1f dB: F %.3f P %.3f R %.3f, delay median %.2f p90 %.2f ms, false %.1f/min"
              % (rise, summary["F50"], summary["P50"], summary["R50"], summary["delay_med_ms"],
                 summary["delay_p90_ms"], summary["false_per_min"]))


if __name__ == "__main__":
    main()
