//! A beat-grid hypothesis (a period and one beat time) and how well it explains the recent onsets.
//!
//! The evidence for a grid is its *fill*: the recency-weighted strength of the onsets that fall on its beats,
//! divided by what it would be if every beat of the grid (over the stretch the onsets cover) had a typical
//! onset. A fill near 1 means "every beat was played"; it does not grow when a grid is made faster, so the
//! tactus is not outvoted by its own eighth notes (each eighth grid beat needs an onset of its own), and the
//! tempo prior decides between metrical levels only when the onsets cannot (equal fill at both).

use super::BeatParams;
use super::history::{CAPACITY, OnsetHistory};

/// A hypothesis: beats at `anchor + k * period` for every integer `k`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Grid {
    /// Seconds per beat.
    pub period: f64,
    /// Time (s) of one of its beats.
    pub anchor: f64,
}

impl Grid {
    pub fn bpm(&self) -> f64 {
        60.0 / self.period
    }

    /// Signed distance (s) from `t` to the nearest beat, and that beat's index counted from the anchor.
    pub fn deviation(&self, t: f64) -> (f64, f64) {
        let x = (t - self.anchor) / self.period;
        let k = x.round();
        ((x - k) * self.period, k)
    }

    /// The first beat at or after `t`.
    pub fn beat_at_or_after(&self, t: f64) -> f64 {
        self.anchor + ((t - self.anchor) / self.period).ceil() * self.period
    }

    /// A grid at 1/3, 1/2, 2/3, 3/2, 2 or 3 times the tempo of `other` (within `tolerance`, a ratio), or at
    /// its tempo on the off-beats (a quarter to three quarters of a period away): the other readings of one
    /// rhythm, which its onsets can support almost as well.
    pub fn is_metrical_relative(&self, other: &Grid, tolerance: f64) -> bool {
        let ratio = self.period / other.period;
        if (ratio - 1.0).abs() < tolerance {
            let (offset, _) = other.deviation(self.anchor);
            return offset.abs() > 0.2 * other.period;
        }
        [1.0 / 3.0, 0.5, 2.0 / 3.0, 1.5, 2.0, 3.0]
            .iter()
            .any(|r| (ratio / r - 1.0).abs() < tolerance)
    }

    /// Same tempo within `tempo_tolerance` (a ratio) and beats within `phase_tolerance` of a period.
    pub fn is_near(&self, other: &Grid, tempo_tolerance: f64, phase_tolerance: f64) -> bool {
        let ratio = self.period / other.period;
        let (offset, _) = self.deviation(other.anchor);
        (ratio - 1.0).abs() < tempo_tolerance && offset.abs() < phase_tolerance * self.period
    }
}

/// One onset of the window with its recency weights for scoring and for fitting.
#[derive(Clone, Copy, Debug, Default)]
struct Weighted {
    time: f64,
    score_weight: f64,
    fit_weight: f64,
}

/// The onsets of the history window as of one moment, with their recency weights worked out once, so the
/// dozens of hypotheses weighed at an onset cost no exponentials per onset.
pub(super) struct Evidence {
    onsets: [Weighted; CAPACITY],
    len: usize,
    now: f64,
}

impl Evidence {
    pub fn new() -> Self {
        Self {
            onsets: [Weighted::default(); CAPACITY],
            len: 0,
            now: 0.0,
        }
    }

    /// Takes the onsets of `history` no older than `params.history_s` before `now`.
    pub fn gather(&mut self, history: &OnsetHistory, now: f64, params: &BeatParams) {
        self.len = 0;
        self.now = now;
        for (slot, onset) in self
            .onsets
            .iter_mut()
            .zip(history.iter_since(now - params.history_s))
        {
            let age = now - onset.time;
            *slot = Weighted {
                time: onset.time,
                score_weight: (-age / params.score_memory_s).exp() * onset.weight,
                fit_weight: (-age / params.fit_memory_s).exp() * onset.weight,
            };
            self.len += 1;
        }
    }

    fn onsets(&self) -> &[Weighted] {
        self.onsets.get(..self.len).unwrap_or(&[])
    }
}

/// Half-width (s) of the window inside which an onset counts as on a beat of a grid of `period`.
fn hit_half_width(period: f64, params: &BeatParams) -> f64 {
    params.hit_window_s.min(params.hit_window_fraction * period)
}

/// Weight of an onset `deviation` seconds off the beat: 1 on it, falling to 0 at the window's edge.
fn hit_kernel(deviation: f64, half_width: f64) -> f64 {
    let x = deviation / half_width;
    (1.0 - x * x).max(0.0)
}

/// How well `grid` explains the onsets of `evidence`: fill in 0..~1 (see the module docs).
fn fill(grid: &Grid, evidence: &Evidence, params: &BeatParams, widen: f64) -> f64 {
    let half_width = hit_half_width(grid.period, params) * widen;
    let now = evidence.now;
    let mut got = 0.0;
    let mut oldest = now;
    for onset in evidence.onsets() {
        let (deviation, _) = grid.deviation(onset.time);
        got += onset.score_weight * hit_kernel(deviation, half_width);
        oldest = onset.time;
    }
    // The beats the onsets could have filled: from the oldest onset to now, each with the weight it would
    // have had (a geometric series of recency weights).
    let last = grid.beat_at_or_after(now + half_width) - grid.period;
    let span = last - (oldest - half_width);
    if span < 0.0 {
        return 0.0;
    }
    let tau = params.score_memory_s;
    let count = (span / grid.period).floor() + 1.0;
    let ratio = (-grid.period / tau).exp();
    let expected = (-(now - last).max(0.0) / tau).exp() * (1.0 - ratio.powf(count)) / (1.0 - ratio);
    if expected > 1e-9 { got / expected } else { 0.0 }
}

/// `grid` moved onto the onsets near its beats: a recency-weighted least-squares line through (beat index,
/// onset time). Its slope is the period (limited to a `max_period_step` change), so a ramp or a small step is
/// followed; with onsets on one beat only, just the phase moves.
pub(super) fn refine(grid: &Grid, evidence: &Evidence, params: &BeatParams) -> Grid {
    let half_width = hit_half_width(grid.period, params);
    let (mut sw, mut sk, mut st, mut skk, mut skt) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for onset in evidence.onsets() {
        let (deviation, k) = grid.deviation(onset.time);
        let w = onset.fit_weight * hit_kernel(deviation, half_width);
        if w > 0.0 {
            let t = onset.time - grid.anchor;
            sw += w;
            sk += w * k;
            st += w * t;
            skk += w * k * k;
            skt += w * k * t;
        }
    }
    if sw < 1e-9 {
        return *grid;
    }
    let (mean_k, mean_t) = (sk / sw, st / sw);
    let var_k = skk / sw - mean_k * mean_k;
    let period = if var_k > 0.2 {
        let slope = (skt / sw - mean_k * mean_t) / var_k;
        let step = params.max_period_step;
        slope.clamp(grid.period * (1.0 - step), grid.period * (1.0 + step))
    } else {
        grid.period
    };
    let anchor = grid.anchor + mean_t - mean_k * period;
    if period.is_finite() && anchor.is_finite() {
        Grid { period, anchor }
    } else {
        *grid
    }
}

/// Log prior of a tempo: a broad log-Gaussian over the tactus range with steep walls outside it, or, with a
/// tap tempo, one around the tap that rules out its other metrical levels.
pub(super) fn log_prior(bpm: f64, tap_bpm: f64, params: &BeatParams) -> f64 {
    if tap_bpm > 0.0 {
        let x = (bpm / tap_bpm).log2() / params.tap_octaves;
        return -0.5 * x * x;
    }
    let x = (bpm / params.prior_center_bpm).log2() / params.prior_octaves;
    let below = (params.prior_min_bpm / bpm).log2().max(0.0) / params.prior_wall_octaves;
    let above = (bpm / params.prior_max_bpm).log2().max(0.0) / params.prior_wall_octaves;
    -0.5 * (x * x + below * below + above * above)
}

/// Log score of the onsets' evidence for `grid`: log fill of its beats, minus a penalty when its
/// subdivision (halves, or thirds for triplets and swing) is nearly empty. Played subdivisions are what tell
/// a tactus from a grid twice as fast (whose halves would be sixteenths) or 1.5 times slower (whose halves
/// fall on sixteenths too); a well-filled subdivision earns nothing more, so a grid half as fast, whose
/// "subdivision" is the real beat, gains nothing by it.
pub(super) fn log_fill(grid: &Grid, evidence: &Evidence, params: &BeatParams) -> f64 {
    const FLOOR: f64 = 0.15;
    let on_beats = fill(grid, evidence, params, 1.0);
    let at = |fraction: f64| {
        let shifted = Grid {
            anchor: grid.anchor + fraction * grid.period,
            ..*grid
        };
        fill(&shifted, evidence, params, params.subdivision_widen)
    };
    let halves = at(0.5);
    let thirds = if params.triplet_weight > 0.0 {
        params.triplet_weight * 0.5 * (at(1.0 / 3.0) + at(2.0 / 3.0))
    } else {
        0.0
    };
    let subdivision = (FLOOR + halves.max(thirds) / params.subdivision_saturation).min(1.0);
    on_beats.max(1e-6).ln() + params.subdivision_weight * subdivision.ln()
}
