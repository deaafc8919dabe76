#!/usr/bin/env python3
"""How early can a learned causal onset detector know an onset? A bound for the listener's onset delay.

usage: onset_learned_bound.py CORPUS_DIR [REFRACTORY_MS ...]        (default refractories: 30 45 60 ms)
       SCORER_DIR=/work/shared/guitar-dev onset_learned_bound.py /tmp/var/reverb   (a corpus without score.py)

Every 64-sample block gets features computed from the samples up to its end only (features()): log energies of 30
bands (20 from an FFT of the newest 1024 samples, 10 from the newest 256), each band's rise over its own max of the
previous 10, 20 and 40 ms and its mean of the previous 20 and 40 ms, seven causal Butterworth bands and the
pre-emphasised signal in 16-sample sub-blocks against their last 20 ms, and a SuperFlux-style spectral flux (log
magnitudes of the newest 512 samples against a frequency-max-filtered frame 2.7 and 10.7 ms back); all of these
also one and two blocks earlier, since a detector may wait. Labels (labels()): positive = the blocks whose end lies
0-4 ms after an onset; negative = blocks more than 50 ms after any onset and not within 2 ms before one; the rest
(4-50 ms after an onset, "late") is left out of training.

A logistic regression and a modest gradient-boosted tree model score every block; a detector reports at the first
block whose score passes a threshold, then nothing for a refractory time, and is scored by the corpus' score.py
(±50 ms, one to one). Thresholds are swept; the table gives, per model and refractory, the operating point with the
smallest delay p90 among those with F >= 0.95 and <= 1 false onset a minute, and the curve around it. Three regimes:
  (a) leave one take out: trained on the other takes, scored on the one left out: what such a detector achieves;
  (b) trained and scored on all takes (in sample): an optimistic ceiling for these features at this model size;
  (c) trees only, each take cut in two halves in time: trained on the first halves of all takes and scored on the
      second halves, and the other way round (the blocks within GUARD_MS of the cut are not trained on): a detector
      that knows these instruments and this playing but not these notes, between (a) and (b).
REGIMES=c (or ab, ...) runs only those regimes. OURS_DIR=DETECTIONS_DIR (the listener's detection files of the same
takes) adds regime (c) merged with the listener: every report of either, the first of any within 30 ms kept.
Last, which feature groups carry the tree model (permutation importance, regime b).
Needs numpy, scipy and scikit-learn (apt-get install python3-sklearn); uses one core; a few minutes on guitar-dev.
"""
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the machine is shared; before sklearn loads

import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sfft
from scipy import signal

from takes import arguments, takes

BLOCK = 64
SUB = 16
LONG_BANDS = [30.0] + list(np.geomspace(80.0, 16000.0, 20))  # 20 bands of the 1024-sample FFT
SHORT_BANDS = list(np.geomspace(150.0, 20000.0, 11))  # 10 bands of the 256-sample FFT
FILTER_BANDS = [(60, 200), (200, 400), (400, 800), (800, 1600), (1600, 3200), (3200, 8000), (8000, 12000)]
MAX_WINDOWS_MS = (10.0, 20.0, 40.0)
MEAN_WINDOWS_MS = (20.0, 40.0)
FLUX_BACK_MS = (2.7, 10.7)
FLUX_GROUPS = [(0, 500), (500, 2000), (2000, 6000), (6000, 24000), (0, 24000)]
LAGS = (1, 2)
POSITIVE_MS = 4.0
NEGATIVE_AFTER_MS = 50.0
NEGATIVE_BEFORE_MS = 2.0
NEGATIVE_STRIDE = 8
HARD_RISE_DB = 3.0
TARGET_F, TARGET_FALSE = 0.95, 1.0
GUARD_MS = 100.0
FLOOR_DB = -120.0


def blocks_of(rate, ms):
    """A window of `ms` milliseconds in whole blocks (at least one)."""
    return max(1, int(round(ms * 1e-3 * rate / BLOCK)))


def db(e):
    return 10.0 * np.log10(e + 1e-12)


def newest(x, length, count):
    """The newest `length` samples at the end of each of `count` blocks (zeros before the take), (count, length)."""
    padded = np.concatenate([np.zeros(length, np.float32), x.astype(np.float32)])
    return sliding_window_view(padded, length)[BLOCK::BLOCK][:count]


def band_matrix(length, rate, edges):
    """Rows that sum an rFFT power spectrum of `length` samples into the bands between `edges` (Hz)."""
    f = np.fft.rfftfreq(length, 1.0 / rate)
    edges = np.minimum(edges, 0.49 * rate)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        row = ((f >= lo) & (f < hi)).astype(np.float32)
        if not row.any():
            row[np.argmin(abs(f - 0.5 * (lo + hi)))] = 1.0
        rows.append(row)
    return np.array(rows)


def fft_band_levels(x, rate, length, edges, count):
    """Band levels (dB) of a Hann-windowed FFT of the newest `length` samples at each block end, (count, bands)."""
    window = np.hanning(length).astype(np.float32)
    out = []
    for start in range(0, count, 4096):  # in slices: the frames of a whole take are large
        frames = newest(x, length, count)[start:start + 4096] * window
        power = np.abs(sfft.rfft(frames, axis=1, workers=1)) ** 2 / np.sum(window ** 2)
        out.append(db(power @ band_matrix(length, rate, np.array(edges)).T))
    return np.concatenate(out)


def previous(y, w, how):
    """Max or mean of y over the w blocks before each block (the take's first value repeated before it)."""
    padded = np.concatenate([np.repeat(y[:1], w, 0), y])
    if how == "max":
        return sliding_window_view(padded, w, axis=0)[: len(y)].max(-1)
    c = np.concatenate([np.zeros((1,) + y.shape[1:]), np.cumsum(padded, 0)])
    return (c[w:w + len(y)] - c[: len(y)]) / w


def rises(levels, rate, name):
    """Each band's level over its max (10, 20, 40 ms) and mean (20, 40 ms) of the blocks before."""
    cols, names = [], []
    for ms in MAX_WINDOWS_MS:
        cols.append(levels - previous(levels, blocks_of(rate, ms), "max"))
        names += ["%s%d rise/max%d" % (name, b, ms) for b in range(levels.shape[1])]
    for ms in MEAN_WINDOWS_MS:
        cols.append(levels - previous(levels, blocks_of(rate, ms), "mean"))
        names += ["%s%d rise/mean%d" % (name, b, ms) for b in range(levels.shape[1])]
    return np.concatenate(cols, 1), names


def sub_block_rises(y, rate, count, name):
    """The 16-sample sub-block energies of y in each block against the max and mean of the 20 ms before the block."""
    e = db((y[: count * BLOCK] ** 2).reshape(count, BLOCK // SUB, SUB).mean(2))  # (count, 4)
    w = blocks_of(rate, 20.0)
    back_max = previous(e.max(1, keepdims=True), w, "max")
    back_mean = previous(e.mean(1, keepdims=True), w, "mean")
    return e, back_max, back_mean


def flux(x, rate, count):
    """SuperFlux-style flux: log magnitudes of the newest 512 samples over a max-filtered frame some ms back."""
    length = 512
    window = np.hanning(length).astype(np.float32)
    f = np.fft.rfftfreq(length, 1.0 / rate)
    logmag = []
    for start in range(0, count, 8192):
        frames = newest(x, length, count)[start:start + 8192] * window
        logmag.append(np.log10(1.0 + 1000.0 * np.abs(sfft.rfft(frames, axis=1, workers=1)) / np.sum(window)))
    logmag = np.concatenate(logmag)
    widened = np.maximum(np.maximum(logmag, np.roll(logmag, 1, 1)), np.roll(logmag, -1, 1))
    cols, names = [], []
    for ms in FLUX_BACK_MS:
        back = blocks_of(rate, ms)
        reference = np.concatenate([np.repeat(widened[:1], back, 0), widened[:-back]])
        positive = np.maximum(logmag - reference, 0.0)
        for lo, hi in FLUX_GROUPS:
            cols.append(positive[:, (f >= lo) & (f < hi)].mean(1))
            names.append("flux%.0fms %d-%dHz" % (ms, lo, hi))
    return np.array(cols).T, names


def features(x, rate):
    """Features of every block from the samples up to its end: (blocks, features) float32 and the feature names."""
    count = len(x) // BLOCK
    long_levels = fft_band_levels(x, rate, 1024, LONG_BANDS, count)
    short_levels = fft_band_levels(x, rate, 256, SHORT_BANDS, count)
    cols, names = [], []
    for levels, name in ((long_levels, "fft1024 band"), (short_levels, "fft256 band")):
        r, n = rises(levels, rate, name)
        cols.append(r)
        names += n
    streams = [("preemph", np.diff(x, prepend=x[:1]))]
    for lo, hi in FILTER_BANDS:
        if hi < 0.49 * rate:
            sos = signal.butter(2, [lo, hi], "bandpass", fs=rate, output="sos")
            streams.append(("filter%d-%d" % (lo, hi), signal.sosfilt(sos, x)))
    for name, y in streams:
        e, back_max, back_mean = sub_block_rises(y, rate, count, name)
        cols += [e - back_max, e.max(1, keepdims=True) - back_mean]
        names += ["%s sub%d rise/max20" % (name, k) for k in range(e.shape[1])] + ["%s submax rise/mean20" % name]
    fl, n = flux(x, rate, count)
    cols.append(fl)
    names += n
    now = np.concatenate(cols, 1)
    # the blocks before: the same features, leaving out the band rises but those over the last 20 ms
    waited = [i for i, n in enumerate(names) if not n.startswith("fft") or "/max20" in n]
    lagged, lag_names = [now], list(names)
    for lag in LAGS:
        lagged.append(np.concatenate([np.repeat(now[:1, waited], lag, 0), now[:-lag, waited]]))
        lag_names += ["%s [-%d]" % (names[i], lag) for i in waited]
    level = db((newest(x, 256, count) ** 2).mean(1))[:, None]
    out = np.concatenate(lagged + [long_levels, short_levels, level], 1)
    lag_names += ["fft1024 band%d level" % b for b in range(long_levels.shape[1])]
    lag_names += ["fft256 band%d level" % b for b in range(short_levels.shape[1])] + ["level256"]
    return np.clip(np.nan_to_num(out, nan=0.0), -200.0, 200.0).astype(np.float32), lag_names


def labels(onsets, count, rate):
    """Per block: 1 = ends 0-4 ms after an onset, 0 = negative, -1 = late (4-50 ms after), -2 = just before one."""
    ends = (np.arange(count) + 1) * BLOCK / rate
    onsets = np.sort(np.asarray(onsets, float))
    k = np.searchsorted(onsets, ends, side="right") - 1  # the last onset at or before each block end
    since = np.where(k >= 0, ends - onsets[np.maximum(k, 0)], np.inf)
    nxt = np.searchsorted(onsets, ends, side="left")
    until = np.where(nxt < len(onsets), onsets[np.minimum(nxt, len(onsets) - 1)] - ends, np.inf)
    y = np.zeros(count, np.int8)
    y[since <= NEGATIVE_AFTER_MS * 1e-3] = -1
    y[since <= POSITIVE_MS * 1e-3 + 1e-9] = 1
    y[(y == 0) & (until < NEGATIVE_BEFORE_MS * 1e-3)] = -2
    return y


def models():
    """The two scorers: a logistic regression on standardised features and gradient-boosted trees of modest size."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=400)),
        "trees": lambda: HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            early_stopping=False, random_state=0),
    }


def training_rows(y, x, hard_columns):
    """The blocks trained on: every positive, every negative in which some band or sub-block rises 3 dB over its
    last 20 ms (the negatives that look like onsets), and every NEGATIVE_STRIDE-th of the others (steady sound,
    whose neighbours are nearly the same block)."""
    hard = x[:, hard_columns].max(1) > HARD_RISE_DB
    rest = np.arange(len(y)) % NEGATIVE_STRIDE == 0
    return np.flatnonzero((y == 1) | ((y == 0) & (hard | rest)))


def fit(make, data, which):
    """A model of kind `make` trained on the takes numbered in `which`."""
    which = set(which)
    return fit_rows(make, data, lambda i, rows: np.full(len(rows), i in which))


def fit_rows(make, data, wanted):
    """A model of kind `make` trained on the training rows of every take that `wanted(take number, rows)` keeps."""
    xs, ys = [], []
    for i, (_, _, x, y, _, rows) in enumerate(data):
        keep = rows[wanted(i, rows)]
        xs.append(x[keep])
        ys.append(y[keep])
    return make().fit(np.concatenate(xs), np.concatenate(ys))


def halves_scores(make, data):
    """Regime (c): every block scored by the model trained on the other time half of every take."""
    guards = [blocks_of(d[4], GUARD_MS) for d in data]
    mids = [len(d[3]) // 2 for d in data]
    first = fit_rows(make, data, lambda i, rows: rows < mids[i] - guards[i])
    second = fit_rows(make, data, lambda i, rows: rows >= mids[i] + guards[i])
    out = []
    for (_, _, x, _, _, _), mid in zip(data, mids):
        out.append(np.concatenate([score_of(second, x[:mid]), score_of(first, x[mid:])]))
    return out


def merged_with_ours(score, data, scores, ours_dir, refractory_ms):
    """Regime (c) merged with the listener's own onsets, per threshold: does an early learned path added to ours
    bring the delay p90 under 4 ms without costing more than 1 false onset a minute?"""
    print("  merged with the listener's onsets in %s (refractory %.0f ms):" % (ours_dir, refractory_ms))
    for threshold in thresholds_for(scores):
        pooled = []
        for (name, truth, _, _, rate, _), s in zip(data, scores):
            learned = (pick(s, threshold, blocks_of(rate, refractory_ms)) + 1) * BLOCK / rate
            with open(os.path.join(ours_dir, name + ".json")) as f:
                ours = json.load(f)["onsets"]
            kept = []
            for t in sorted(list(learned) + list(ours)):
                if not kept or t - kept[-1] >= 0.03:
                    kept.append(t)
            pooled.append(score.score_onsets(truth, kept))
        summary = score.pool_onsets(pooled)
        if 0.3 <= summary["false_per_min"] <= 4.0:  # around the target's 1 a minute
            print(line(threshold, summary))


def score_of(model, x):
    """The model's log-odds of a positive block, per block."""
    p = np.clip(model.predict_proba(x)[:, 1], 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def pick(scores, threshold, refractory):
    """Block numbers at which the detector reports: the first block at or over the threshold, then none for a while."""
    out, last = [], -(10 ** 9)
    for b in np.flatnonzero(scores >= threshold):
        if b - last >= refractory:
            out.append(b)
            last = b
    return np.array(out, int)


def sweep(score, data, scores, refractory_ms, thresholds):
    """score.py's pooled onset figures at each threshold: a list of (threshold, summary)."""
    out = []
    for threshold in thresholds:
        pooled = []
        for (_, truth, _, _, rate, _), s in zip(data, scores):
            blocks = pick(s, threshold, blocks_of(rate, refractory_ms))
            pooled.append(score.score_onsets(truth, list((blocks + 1) * BLOCK / rate)))
        out.append((threshold, score.pool_onsets(pooled)))
    return out


def thresholds_for(scores, count=50):
    """Thresholds spread over the high tail of the block scores, where false onsets become rare."""
    every = np.concatenate(scores)
    return np.unique(np.quantile(every, 1.0 - np.geomspace(2e-4, 0.04, count)))


def meets(summary):
    return summary["F50"] >= TARGET_F and summary["false_per_min"] <= TARGET_FALSE


def line(threshold, s):
    return ("    thr %7.2f  F %.3f P %.3f R %.3f  false/min %5.2f  delay median %.2f p90 %.2f ms"
            % (threshold, s["F50"], s["P50"], s["R50"], s["false_per_min"], s["delay_med_ms"] or np.nan,
               s["delay_p90_ms"] or np.nan))


def report(title, score, data, scores, refractories):
    """Per refractory: the smallest p90 under the targets, the best F at <= 1 false/min and the fewest false onsets
    at F >= 0.95; then the curve around the best point and, per take, where its misses and false onsets are."""
    print(title)
    best = None
    for refractory in refractories:
        curve = sweep(score, data, scores, refractory, thresholds_for(scores))
        ok = [(s["delay_p90_ms"], t, s) for t, s in curve if meets(s)]
        few_false = [(s["F50"], t, s) for t, s in curve if s["false_per_min"] <= TARGET_FALSE]
        high_f = [(s["false_per_min"], t, s) for t, s in curve if s["F50"] >= TARGET_F]
        print("  refractory %2.0f ms:" % refractory)
        if ok:
            p90, threshold, s = min(ok, key=lambda o: (o[0], -o[2]["F50"]))
            print(line(threshold, s) + "   <- smallest p90 under the targets")
        else:
            print("    no threshold meets F >= %.2f with <= %.0f false/min" % (TARGET_F, TARGET_FALSE))
        if few_false:
            print(line(*max(few_false, key=lambda o: o[0])[1:]) + "   <- best F at <= %.0f false/min" % TARGET_FALSE)
        if high_f:
            print(line(*min(high_f, key=lambda o: o[0])[1:]) + "   <- fewest false at F >= %.2f" % TARGET_F)
        # the point the curve is printed around: the best under the targets, else the best F at <= 1 false/min
        key = (0, p90) if ok else (1, -max(few_false, key=lambda o: o[0])[0] if few_false else 0.0)
        if best is None or key < best[0]:
            centre = threshold if ok else (max(few_false, key=lambda o: o[0])[1] if few_false else curve[0][0])
            best = (key, refractory, curve, centre)
    _, refractory, curve, centre = best
    print("  the curve at refractory %.0f ms, thresholds around the point marked:" % refractory)
    index = [t for t, _ in curve].index(centre)
    for t, s in curve[max(0, index - 6): index + 7]:
        print(line(t, s) + ("   <-" if t == centre else ""))
    return best


def per_take(score, data, scores, refractory_ms, threshold):
    """Where the misses, false onsets and late detections of one operating point are; returns the number of the
    take with the most false onsets."""
    print("    per take at threshold %.2f, refractory %.0f ms:" % (threshold, refractory_ms))
    falses = []
    for (name, truth, _, _, rate, _), s in zip(data, scores):
        blocks = pick(s, threshold, blocks_of(rate, refractory_ms))
        r = score.score_onsets(truth, list((blocks + 1) * BLOCK / rate))
        summary = score.summarize_onsets(r)
        falses.append(r["false"])
        print("      %-30s F %.3f R %.3f false %2d  p90 %s" % (
            name[:30], summary["F50"], summary["R50"], r["false"],
            "%.2f ms" % summary["delay_p90_ms"] if summary["delay_p90_ms"] is not None else "-"))
    return int(np.argmax(falses))


def group_of(name):
    """The kind of a feature, whatever its band (but for the sub-block streams, each its own), with its lag: the unit
    of the importance test."""
    base, _, lag = name.partition(" [")
    lag = " (lag %s)" % lag.rstrip("]") if lag else ""
    if base.endswith("level") or base.startswith("level"):
        return "absolute levels (dB)"
    if base.startswith("fft"):
        return "%s bands %s%s" % (base.split()[0], base.split()[-1], lag)
    if base.startswith("preemph") or base.startswith("filter"):
        return "%s sub-blocks%s" % (base.split()[0], lag)
    return "spectral flux %s%s" % (base.split()[0][4:], lag)


def importances(model, data, names, rng):
    """Drop in average precision (positive vs negative blocks, in sample) when a group of features is shuffled."""
    from sklearn.metrics import average_precision_score

    x = np.concatenate([d[2][d[5]] for d in data])
    y = np.concatenate([d[3][d[5]] for d in data])
    base = average_precision_score(y, model.predict_proba(x)[:, 1])
    out = []
    groups = {}
    for i, n in enumerate(names):
        groups.setdefault(group_of(n), []).append(i)
    for key, cols in groups.items():
        shuffled = x.copy()
        order = rng.permutation(len(x))
        shuffled[:, cols] = x[order][:, cols]
        out.append((base - average_precision_score(y, model.predict_proba(shuffled)[:, 1]), key, len(cols)))
    return base, sorted(out, reverse=True)


def main():
    corpus, refractories = arguments(__doc__, [30.0, 45.0, 60.0])
    sys.path.insert(0, os.environ.get("SCORER_DIR", corpus))
    import score  # the corpus' own scorer (an altered copy of a corpus may lack it): the real one-to-one matching

    started = time.time()
    data, names = [], None
    for name, truth, x, rate in takes(corpus, lambda t: "duration" in t and t.get("onsets")):
        f, names = features(x, rate)
        y = labels(truth["onsets"], len(f), rate)
        hard_columns = [i for i, n in enumerate(names) if n.endswith("rise/max20")]
        data.append((name, truth, f, y, rate, training_rows(y, f, hard_columns)))
    y = np.concatenate([d[3] for d in data])
    print("%s: %d takes, %d blocks, %d features; blocks positive %d, negative %d (%d trained on), late %d, "
          "just before %d (%.0f s)" % (corpus, len(data), len(y), len(names), (y == 1).sum(), (y == 0).sum(),
                                       sum(len(d[5]) for d in data) - (y == 1).sum(), (y == -1).sum(),
                                       (y == -2).sum(), time.time() - started))
    print("targets: F >= %.2f, <= %.0f false/min; delay p90 <= 4 ms (median <= 2.7 ms)" % (TARGET_F, TARGET_FALSE))

    summary = {}
    regimes = os.environ.get("REGIMES", "abc")
    for kind, make in models().items():
        if kind == "trees" and "c" in regimes:
            t0 = time.time()
            halves = halves_scores(make, data)
            summary[(kind, "c")] = report("(c) %s, trained on one time half of every take, scored on the other "
                                          "(%.0f s)" % (kind, time.time() - t0), score, data, halves, refractories)
            per_take(score, data, halves, summary[(kind, "c")][1], summary[(kind, "c")][3])
            if os.environ.get("OURS_DIR"):
                merged_with_ours(score, data, halves, os.environ["OURS_DIR"], summary[(kind, "c")][1])
        if "a" not in regimes and "b" not in regimes:
            continue
        t0 = time.time()
        held_out = [score_of(fit(make, data, [j for j in range(len(data)) if j != i]), d[2])
                    for i, d in enumerate(data)]
        summary[(kind, "a")] = report("(a) %s, leave one take out (%.0f s to train 20 models)"
                                      % (kind, time.time() - t0), score, data, held_out, refractories)
        if kind == "trees":
            worst = per_take(score, data, held_out, summary[(kind, "a")][1], summary[(kind, "a")][3])
            rest = [i for i in range(len(data)) if i != worst]
            report("(a) %s, leave one take out, pooled without %s (the take with the most false onsets above; "
                   "a diagnostic only)" % (kind, data[worst][0]), score, [data[i] for i in rest],
                   [held_out[i] for i in rest], refractories)
        t0 = time.time()
        everything = fit(make, data, range(len(data)))
        in_sample = [score_of(everything, d[2]) for d in data]
        summary[(kind, "b")] = report("(b) %s, trained and scored on all takes (%.0f s)" % (kind, time.time() - t0),
                                      score, data, in_sample, refractories)
        if kind == "trees":
            base, drops = importances(everything, data, names, np.random.default_rng(0))
            print("feature groups of the tree model (regime b, in sample): average precision of positive vs negative "
                  "blocks %.3f; its drop when a group is shuffled:" % base)
            for drop, key, n in drops[:20]:
                print("    %6.3f  %-45s (%d features)" % (drop, key, n))

    print("SUMMARY: best delay p90 with F >= %.2f and <= %.0f false/min" % (TARGET_F, TARGET_FALSE))
    for (kind, regime), best in summary.items():
        print("  %-8s regime %s: %s" % (kind, regime, "%.2f ms (refractory %.0f ms)" % (best[0][1], best[1])
                                        if best[0][0] == 0 else "none"))
    print("run time %.0f s" % (time.time() - started))


if __name__ == "__main__":
    main()
