//! A beat-grid hypothesis (a period and one beat time), the recent onsets it is judged on, what counts as
//! an onset on a beat, and the tempo prior. How well a grid (or a grid with tempo changes) explains the onsets
//! is in [`super::model`].

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

    /// A grid at 1/3, 1/2, 2/3, 3/4, 4/3, 3/2, 2 or 3 times the tempo of `other` (within `tolerance`, a
    /// ratio), or at its tempo on the off-beats (a quarter to three quarters of a period away): the other
    /// readings of one rhythm, which its onsets can support almost as well (3/4 and 4/3: three beats against
    /// four, which swung eighths or dotted quarters suggest).
    pub fn is_metrical_relative(&self, other: &Grid, tolerance: f64) -> bool {
        let ratio = self.period / other.period;
        if (ratio - 1.0).abs() < tolerance {
            let (offset, _) = other.deviation(self.anchor);
            return offset.abs() > 0.2 * other.period;
        }
        [1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75, 4.0 / 3.0, 1.5, 2.0, 3.0]
            .iter()
            .any(|r| (ratio / r - 1.0).abs() < tolerance)
    }

    /// Same tempo within `tempo_tolerance` (a ratio) and beats within `phase_tolerance` of a period, at the
    /// anchors of both: grids of slightly different tempi drift apart, and one whose beats agree near the
    /// other's anchor (often seconds back, where a refinement centred its fit) may already be far off near its
    /// own, the present one.
    pub fn is_near(&self, other: &Grid, tempo_tolerance: f64, phase_tolerance: f64) -> bool {
        let ratio = self.period / other.period;
        let (offset, _) = self.deviation(other.anchor);
        let (back, _) = other.deviation(self.anchor);
        (ratio - 1.0).abs() < tempo_tolerance
            && offset.abs() < phase_tolerance * self.period
            && back.abs() < phase_tolerance * other.period
    }
}

/// One onset of the window with its recency weights for scoring and for fitting.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Weighted {
    pub time: f64,
    pub score_weight: f64,
    pub fit_weight: f64,
}

/// The onsets of the history window as of one moment, with their recency weights worked out once, so the
/// dozens of hypotheses weighed at an onset cost no exponentials per onset.
pub(super) struct Evidence {
    onsets: [Weighted; CAPACITY],
    len: usize,
    /// The moment the weights are reckoned from.
    pub now: f64,
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

    /// The onsets, newest first.
    pub fn onsets(&self) -> &[Weighted] {
        self.onsets.get(..self.len).unwrap_or(&[])
    }
}

/// Half-width (s) of the window inside which an onset counts as on a beat of a grid of `period`.
pub(super) fn hit_half_width(period: f64, params: &BeatParams) -> f64 {
    params.hit_window_s.min(params.hit_window_fraction * period)
}

/// Weight of an onset `deviation` seconds off the beat: 1 on it, falling to 0 at the window's edge.
pub(super) fn hit_kernel(deviation: f64, half_width: f64) -> f64 {
    let x = deviation / half_width;
    (1.0 - x * x).max(0.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_near_at_one_anchor_but_drifted_apart_at_the_other_are_not_near() {
        // 147 bpm anchored 1.1 beats back, and a grid 4 % slower through a sixteenth after its next beat:
        // within 12 % of a period at the older anchor, 17 % apart at the newer one.
        let in_use = Grid {
            period: 60.0 / 147.3,
            anchor: 2.342,
        };
        let slower = Grid {
            period: 60.0 / 141.1,
            anchor: 2.817,
        };
        assert!(slower.deviation(in_use.anchor).0.abs() < 0.12 * slower.period);
        assert!(!slower.is_near(&in_use, 0.06, 0.12));
        assert!(!in_use.is_near(&slower, 0.06, 0.12));
        let refined = Grid {
            period: in_use.period * 1.01,
            anchor: in_use.anchor + 2.0 * in_use.period + 0.01,
        };
        assert!(refined.is_near(&in_use, 0.06, 0.12));
    }
}
