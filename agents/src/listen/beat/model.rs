//! What the tracker believes the beat did: the grid in use and, when the tempo changed inside the history
//! window, the grids before it, each from its change point on; and how well such a model explains the onsets.
//!
//! The evidence for a model is its *fill*: the recency-weighted strength of the onsets that fall on its beats,
//! divided by what it would be if every beat (over the stretch the onsets cover) had a typical onset. A fill
//! near 1 means "every beat was played"; it does not grow when a grid is made faster, so the tactus is not
//! outvoted by its own eighth notes (each eighth grid beat needs an onset of its own), and the tempo prior
//! decides between metrical levels only when the onsets cannot (equal fill at both).
//!
//! **Tempo steps.** A player who changes tempo does it on a beat: the onsets before it sit on the old grid,
//! those after on the new one, and no single grid explains both. A model that judges each onset on the grid
//! that held when it was played lets the two or three onsets heard at the new tempo count in full, instead
//! of being outvoted by seconds of onsets on the old grid until those age out of the window; that is what
//! re-locks within a beat or two. The change point is an onset on a beat of both grids, so the model keeps
//! the phase: it is a change of tempo, not a jump of the beat.

use super::BeatParams;
use super::grid::{Evidence, Grid, hit_half_width, hit_kernel};

/// Where between beats (fractions of a beat) the onsets of common rhythms fall: sextuplets, sixteenths,
/// triplets and eighths.
const SUBDIVISIONS: [f64; 7] = [1.0 / 6.0, 0.25, 1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75, 5.0 / 6.0];

/// Most grids a model holds: the one in use and those before its last two changes.
const SEGMENTS: usize = 3;

/// A sequence of grids, each holding from its start to the next one's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Model {
    /// Grids oldest first; `grids[i]` explains the onsets from `starts[i]` to `starts[i + 1]`.
    grids: [Grid; SEGMENTS],
    /// Start (s) of each grid's stretch; the first is minus infinity.
    starts: [f64; SEGMENTS],
    /// Grids in use, `1..=SEGMENTS`.
    len: usize,
}

impl Model {
    /// One grid for all time.
    pub fn plain(grid: Grid) -> Self {
        Self {
            grids: [grid; SEGMENTS],
            starts: [f64::NEG_INFINITY; SEGMENTS],
            len: 1,
        }
    }

    fn newest(&self) -> usize {
        self.len.clamp(1, SEGMENTS) - 1
    }

    /// The grid in use now.
    pub fn grid(&self) -> Grid {
        self.grids[self.newest()]
    }

    /// The oldest grid: the tempo the history began with, which the tempo prior judges (a later step is
    /// judged by its evidence alone, as any tempo is as likely a step away).
    pub fn first_grid(&self) -> Grid {
        self.grids[0]
    }

    /// Time (s) from which the grid in use holds; minus infinity without a change.
    pub fn since(&self) -> f64 {
        self.starts[self.newest()]
    }

    /// The same history with `grid` in use instead of the current one (a refinement of it).
    pub fn with_grid(mut self, grid: Grid) -> Self {
        self.grids[self.newest()] = grid;
        self
    }

    /// This history up to the onset at `at`, then `grid`. The onset at `at` is on a beat of both; it is
    /// judged on the old grid and the new grid's stretch begins a quarter period after it, so the new grid
    /// is judged only on onsets that were not picked for lying on it.
    pub fn with_change(mut self, grid: Grid, at: f64) -> Self {
        let start = at + 0.25 * grid.period;
        while self.len > 1 && self.starts[self.newest()] >= start {
            self.len -= 1;
        }
        if self.len >= SEGMENTS {
            self.drop_oldest();
        }
        let slot = self.len.min(SEGMENTS - 1);
        self.grids[slot] = grid;
        self.starts[slot] = start;
        self.len = slot + 1;
        self
    }

    /// Forgets the grids whose stretch ended before `t` (no onset of the window is judged on them).
    pub fn forget_before(&mut self, t: f64) {
        while self.len > 1 && self.starts[1] <= t {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        self.grids.rotate_left(1);
        self.starts.rotate_left(1);
        self.starts[0] = f64::NEG_INFINITY;
        self.len = self.len.saturating_sub(1).max(1);
    }

    /// Every grid moved by `fraction` of its period (its subdivision), with the same change points.
    fn shifted(mut self, fraction: f64) -> Self {
        for grid in &mut self.grids {
            grid.anchor += fraction * grid.period;
        }
        self
    }

    /// The grids and the stretches they hold over, oldest first.
    fn stretches(&self) -> impl Iterator<Item = (Grid, f64, f64)> + '_ {
        let len = self.len.clamp(1, SEGMENTS);
        (0..len).map(move |i| {
            let end = if i + 1 < len {
                self.starts[i + 1]
            } else {
                f64::INFINITY
            };
            (self.grids[i], self.starts[i], end)
        })
    }
}

/// How far (s) an onset may be from a beat (or a subdivision) of a grid of `period` and still be on it, when
/// looking for a tempo step: a fraction of the hit window, and never less than a fraction of the period, as
/// a player's timing varies more in slower music.
pub(super) fn step_tolerance(period: f64, params: &BeatParams) -> f64 {
    (params.step_evidence * hit_half_width(period, params))
        .max(params.step_evidence_fraction * period)
}

/// Whether `time` is on a beat of `grid`: nearer to it than half the hit window.
fn on_beat(grid: &Grid, time: f64, params: &BeatParams) -> bool {
    grid.deviation(time).0.abs() < 0.5 * hit_half_width(grid.period, params)
}

/// The newest onset before the newest one that lies on a beat of both `model`'s grid in use and `grid`,
/// after the model's last change and at most `params.step_lookback_beats` beats back: where a change of
/// tempo to `grid` would have happened. (A grid that has explained the onsets for longer than that without
/// the one in use failing is no step; it had its chance as a rival.)
fn change_point(
    model: &Model,
    grid: &Grid,
    evidence: &Evidence,
    params: &BeatParams,
) -> Option<f64> {
    let current = model.grid();
    let since = model
        .since()
        .max(evidence.now - params.step_lookback_beats * current.period);
    evidence
        .onsets()
        .iter()
        .skip(1)
        .take_while(|onset| onset.time > since)
        .find(|onset| on_beat(&current, onset.time, params) && on_beat(grid, onset.time, params))
        .map(|onset| onset.time)
}

/// Where the tempo would have changed from `model`'s grid in use to `grid`, if the onsets call for it: the
/// newest onset is on a beat of `grid` but neither on a beat of the grid in use nor on any subdivision of it
/// that was played before the change point (see [`change_point`]). An onset off the beats alone could be a
/// subdivision, and in a dense run of sixteenths or sextuplets onsets are everywhere on those; an onset
/// outside the rhythm heard so far is what a change of tempo makes. "On" a beat, and a subdivision played
/// before, is nearer than [`step_tolerance`]; the newest onset is that subdivision again when it is inside
/// the hit window of it, as near as an onset counting for a beat may be: clipping or a room can make the
/// detector hear an attack some 40 ms late, and a note heard late is no step.
pub(super) fn step_point(
    model: &Model,
    grid: &Grid,
    evidence: &Evidence,
    params: &BeatParams,
) -> Option<f64> {
    let current = model.grid();
    let newest = evidence.onsets().first()?.time;
    if !on_beat(grid, newest, params) {
        return None;
    }
    let at = change_point(model, grid, evidence, params)?;
    let near = step_tolerance(current.period, params);
    let on = |time: f64, fraction: f64| {
        current.deviation(time - fraction * current.period).0.abs() < near
    };
    if on(newest, 0.0) {
        return None;
    }
    let since = model.since();
    let played_before = |fraction: f64| {
        evidence
            .onsets()
            .iter()
            .skip_while(|onset| onset.time >= at)
            .take_while(|onset| onset.time >= since)
            .any(|onset| on(onset.time, fraction))
    };
    let hit = hit_half_width(current.period, params);
    let heard_again = |fraction: f64| {
        current
            .deviation(newest - fraction * current.period)
            .0
            .abs()
            < hit
    };
    let explained = SUBDIVISIONS
        .iter()
        .any(|&fraction| heard_again(fraction) && played_before(fraction));
    (!explained && new_beats_played(grid, at, newest, evidence, params)).then_some(at)
}

/// Whether every beat of `grid` after the change point `at` and before the newest onset (at `newest`) was
/// played: a tempo change shows in the onsets right after it, so a new grid whose first beats went unplayed
/// (a lone onset after a rest, a stray onset at a take's end) is a guess from one interval, not a step.
fn new_beats_played(
    grid: &Grid,
    at: f64,
    newest: f64,
    evidence: &Evidence,
    params: &BeatParams,
) -> bool {
    let half_width = hit_half_width(grid.period, params);
    let mut beat = grid.beat_at_or_after(at + half_width);
    // at most a few beats lie between (the change point is at most `step_lookback_beats` back)
    for _ in 0..16 {
        if beat >= newest - half_width {
            return true;
        }
        let played = evidence
            .onsets()
            .iter()
            .any(|onset| (onset.time - beat).abs() < half_width);
        if !played {
            return false;
        }
        beat += grid.period;
    }
    false
}

/// Recency weight (time constant `tau`, as of `now`) of all beats of `grid` in `from..to`.
fn beats_weight(grid: &Grid, from: f64, to: f64, now: f64, tau: f64) -> f64 {
    let last = grid.beat_at_or_after(to) - grid.period;
    let first = grid.beat_at_or_after(from);
    let span = last - first + 1e-9 * grid.period;
    if span.is_nan() || span < 0.0 {
        return 0.0;
    }
    let count = ((last - first) / grid.period).round() + 1.0;
    let ratio = (-grid.period / tau).exp();
    (-(now - last).max(0.0) / tau).exp() * (1.0 - ratio.powf(count)) / (1.0 - ratio)
}

/// How well `model` explains the onsets of `evidence`: fill in 0..~1 (see the module docs). `widen` scales
/// the hit window; `once_per_beat` as in [`fill_parts`].
fn fill(
    model: &Model,
    evidence: &Evidence,
    params: &BeatParams,
    widen: f64,
    once_per_beat: bool,
) -> f64 {
    let (got, expected) = fill_parts(model, evidence, params, widen, once_per_beat);
    if expected > 1e-9 { got / expected } else { 0.0 }
}

/// The weight of the onsets on `model`'s beats and the weight they would have if every beat had one: the
/// numerator and denominator of [`fill`]. With `once_per_beat` a beat is filled by its best onset only:
/// two onsets either side of a point between them (the sixteenths around the half beat of a grid five
/// sixteenths long) do not make that point played, however near both are.
fn fill_parts(
    model: &Model,
    evidence: &Evidence,
    params: &BeatParams,
    widen: f64,
    once_per_beat: bool,
) -> (f64, f64) {
    let now = evidence.now;
    let mut got = 0.0;
    let mut oldest = now;
    let mut segment = model.newest();
    // the beat (segment, index) the last onsets with credit fell on, and the best credit among them
    let mut beat: Option<(usize, f64)> = None;
    let mut best = 0.0;
    for onset in evidence.onsets() {
        while segment > 0 && onset.time < model.starts[segment] {
            segment -= 1;
        }
        let grid = model.grids[segment];
        let half_width = hit_half_width(grid.period, params) * widen;
        let (deviation, index) = grid.deviation(onset.time);
        let credit = onset.score_weight * hit_kernel(deviation, half_width);
        if credit > 0.0 {
            if once_per_beat && beat == Some((segment, index)) {
                best = credit.max(best);
            } else {
                got += best;
                best = credit;
                beat = Some((segment, index));
            }
        }
        oldest = onset.time;
    }
    got += best;
    // The beats the onsets could have filled, from the oldest onset to now, each with the weight it would
    // have had.
    let mut expected = 0.0;
    for (grid, start, end) in model.stretches() {
        let half_width = hit_half_width(grid.period, params) * widen;
        let from = start.max(oldest - half_width);
        let to = end.min(now + half_width);
        if from < to {
            expected += beats_weight(&grid, from, to, now, params.score_memory_s);
        }
    }
    (got, expected)
}

/// Weight of the onsets that say a tempo change of `model` did not happen: onsets after its last change that
/// fall on a beat or a half beat of the grid before it (carried on) but neither on a beat nor halfway between
/// beats of the new grid. A note heard late can make a grid 10 % slower look like a step at that note; the
/// next onset, on the old beat again and at no place of the new grid's rhythm, is what tells the two apart,
/// and it must count against the step before the step's own next beat is announced (with nothing but an
/// empty stretch between, the fill alone would not notice it). Likewise an eighth on the old half beat after
/// the change point: a stray onset early for an unplayed beat makes a grid 20 % faster look like a step at
/// the beat before, and the eighth played between says the rhythm went on as it was.
fn contradicting_change(model: &Model, evidence: &Evidence, params: &BeatParams) -> f64 {
    let newest = model.newest();
    let Some(before) = newest.checked_sub(1).map(|i| model.grids[i]) else {
        return 0.0;
    };
    let grid = model.grids[newest];
    let since = model.starts[newest];
    let (near_before, near) = (
        step_tolerance(before.period, params),
        step_tolerance(grid.period, params),
    );
    evidence
        .onsets()
        .iter()
        .take_while(|onset| onset.time >= since)
        .filter(|onset| {
            (before.deviation(onset.time).0.abs() < near_before
                || before.deviation(onset.time - 0.5 * before.period).0.abs() < near_before)
                && grid.deviation(onset.time).0.abs() >= near
                && grid.deviation(onset.time - 0.5 * grid.period).0.abs() >= near
        })
        .map(|onset| onset.score_weight)
        .sum()
}

/// `model`'s grid in use moved onto the onsets near its beats since its change point (the onset of the change
/// included, which ties the phase): a recency-weighted least-squares line through (beat index, onset time). Its slope is the period (limited to a
/// `max_period_step` change), so a ramp or a small step is followed; with onsets on one beat only, just the
/// phase moves.
pub(super) fn refine(model: &Model, evidence: &Evidence, params: &BeatParams) -> Model {
    let grid = model.grid();
    let since = model.since() - 0.5 * grid.period;
    let half_width = hit_half_width(grid.period, params);
    let (mut sw, mut sk, mut st, mut skk, mut skt) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for onset in evidence.onsets().iter().take_while(|o| o.time >= since) {
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
        return *model;
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
        model.with_grid(Grid { period, anchor })
    } else {
        *model
    }
}

/// Log score of the onsets' evidence for `model`: log fill of its beats (an onset that contradicts its last
/// tempo change takes a beat's worth away, see [`contradicting_change`]), minus a penalty when its
/// subdivision (halves, swung halves, or thirds for triplets) is nearly empty. Played subdivisions are what tell
/// a tactus from a grid twice as fast (whose halves would be sixteenths) or 1.5 times slower (whose halves
/// fall on sixteenths too); a well-filled subdivision earns nothing more, so a grid half as fast, whose
/// "subdivision" is the real beat, gains nothing by it. A half beat is played by one onset, not by the two
/// either side of it: in a stream of sixteenths the half beats of a grid five sixteenths long fall midway
/// between two, both inside the widened window, and summed they filled its subdivision as the tactus's
/// own halves are filled, leaving the tempo prior to prefer that grid (4/5 of the tempo). The beats and the
/// thirds keep summing (thirds counted once lost a jazz-swing take's swing, whose off-beat notes come in
/// pairs around two thirds).
pub(super) fn log_fill(model: &Model, evidence: &Evidence, params: &BeatParams) -> f64 {
    const FLOOR: f64 = 0.15;
    let (got, expected) = fill_parts(model, evidence, params, 1.0, false);
    let got = got - contradicting_change(model, evidence, params);
    let on_beats = if expected > 1e-9 { got / expected } else { 0.0 };
    let at = |fraction: f64| {
        fill(
            &model.shifted(fraction),
            evidence,
            params,
            params.subdivision_widen,
            fraction == 0.5,
        )
    };
    let halves = at(0.5);
    let saturated = FLOOR + halves / params.subdivision_saturation >= 1.0;
    let (first_third, second_third) = if !saturated && (params.triplet_weight > 0.0 || params.swing)
    {
        (at(1.0 / 3.0), at(2.0 / 3.0))
    } else {
        (0.0, 0.0)
    };
    let thirds = params.triplet_weight * 0.5 * (first_third + second_third);
    // Swung eighths: the off-beat note late, near two thirds of the beat, with nothing at one third. A grid
    // 1.5 times slower than straight eighths sees them at both thirds, so it earns nothing here.
    let swung = if params.swing {
        (second_third - first_third).max(0.0)
    } else {
        0.0
    };
    let subdivision =
        (FLOOR + halves.max(thirds).max(swung) / params.subdivision_saturation).min(1.0);
    on_beats.max(1e-6).ln() + params.subdivision_weight * subdivision.ln()
}

#[cfg(test)]
mod tests {
    use super::super::history::{OnsetHistory, PastOnset};
    use super::*;

    /// Onsets of equal weight at `times` (ascending).
    fn history_of(times: impl IntoIterator<Item = f64>) -> OnsetHistory {
        let mut history = OnsetHistory::new();
        for time in times {
            history.push(PastOnset { time, weight: 1.0 });
        }
        history
    }

    #[test]
    fn half_beats_of_a_five_sixteenth_grid_are_not_played_by_the_sixteenths_around_them() {
        // Sixteenths at 148 bpm for 6 s: the quarter-note grid has its beats and half beats played; a grid
        // of five sixteenths has its beats played too, but its half beats fall between two sixteenths
        // (50 ms from each, inside the 60 ms window), so its subdivision is nearly empty.
        let params = BeatParams::default();
        let sixteenth = 0.25 * 60.0 / 148.0;
        let history = history_of((0..59).map(|k| 1.0 + k as f64 * sixteenth));
        let now = 1.0 + 58.0 * sixteenth;
        let mut evidence = Evidence::new();
        evidence.gather(&history, now, &params);
        let grid_of = |sixteenths: f64| {
            Model::plain(Grid {
                period: sixteenths * sixteenth,
                anchor: now,
            })
        };
        let quarter = log_fill(&grid_of(4.0), &evidence, &params);
        let five = log_fill(&grid_of(5.0), &evidence, &params);
        assert!(quarter > -0.05, "quarter-note grid scored {quarter:.3}");
        assert!(
            five < quarter - 0.1,
            "five sixteenths scored {five:.3}, the quarter note {quarter:.3}"
        );
    }

    #[test]
    fn an_onset_off_the_rhythm_is_a_tempo_step_only_after_played_beats_of_the_new_grid() {
        // Sixteenths at 132 bpm, then the off-beat eighth heard 38 ms late (clipping or a room can delay a
        // detected attack so): a grid 14 % faster has beats on it and on a beat of the grid in use 2.5 beats
        // back (and onsets near its beats between), but the onset is the eighth already played, within the
        // hit window of it.
        let params = BeatParams::default();
        let period = 60.0 / 132.0;
        let change = 1.0 + 24.0 * 0.25 * period;
        let newest = change + 2.5 * period + 0.038;
        let history = history_of(
            (0..34)
                .map(|k| 1.0 + k as f64 * 0.25 * period)
                .chain([newest]),
        );
        let mut evidence = Evidence::new();
        evidence.gather(&history, newest, &params);
        let model = Model::plain(Grid {
            period,
            anchor: 1.0,
        });
        let faster = Grid {
            period: (newest - change) / 3.0,
            anchor: change,
        };
        assert!(step_point(&model, &faster, &evidence, &params).is_none());
        // Eighths, then from a beat on the beats of a grid 10 % faster: its third beat is off the beats and
        // halves played before, and its first two were played; that is a step.
        let eighths = || (0..27).map(|k| 1.0 + k as f64 * 0.5 * period);
        let change = 1.0 + 26.0 * 0.5 * period;
        let faster = Grid {
            period: 0.9 * period,
            anchor: change,
        };
        let history =
            history_of(eighths().chain((1..=3).map(|k| change + k as f64 * faster.period)));
        let newest = change + 3.0 * faster.period;
        evidence.gather(&history, newest, &params);
        assert_eq!(
            step_point(&model, &faster, &evidence, &params),
            Some(change)
        );
        // Without the first two, the third alone (after a rest) is a guess from one interval, no step.
        let history = history_of(eighths().chain([newest]));
        evidence.gather(&history, newest, &params);
        assert!(step_point(&model, &faster, &evidence, &params).is_none());
    }
}
