//! Tempo and beat: a beat grid fitted to the onsets, whose beats are announced in the block they fall in.
//!
//! How it works, per onset (between onsets only a beat of the grid passing unplayed is looked at, so a block
//! without one costs a few comparisons):
//! 1. *Hypotheses* `(period, beat time)` are proposed: the grid in use, a small pool of the best rivals from the
//!    last onsets, that grid at half and double tempo and on the off-beat, and one grid per inter-onset interval
//!    from the new onset back to each of the last few (folded by octaves into the tempo range, with a beat on
//!    the new onset) — the IOI clustering of Dixon's BeatRoot, kept as a handful of agents.
//! 2. Each is *refined* by a recency-weighted least-squares line through the onsets near its beats (this is
//!    the phase-and-tempo correction that follows ramps and small steps), then *scored*: log fill (how fully
//!    the onsets of the last seconds cover its beats, see [`model`]) plus a log tempo prior (a broad one over
//!    the tactus range, or a narrow one around a tap tempo). A grid up to 25 % faster or slower than the one
//!    in use is also judged as a *tempo step* from it at a recent beat they share, when the newest onset is on
//!    its beat and outside the rhythm heard so far (see [`model`]); a step pays a small cost. A grid adopted
//!    less than [`BeatParams::step_settle_beats`] beats before the change point takes no steps: it rests on a
//!    few onsets, and what explains them better is a better first reading (a plain rival), not a new tempo.
//! 3. The grid in use is replaced by the best hypothesis when that is a refinement of it, or when it beats it
//!    by a margin (hysteresis against flapping between metrical levels), or when a rival has stayed ahead of
//!    it for many beats by less than that margin (its *lead*, a CUSUM: a first reading taken on a few onsets
//!    is revisited when the onsets keep saying otherwise); a new grid with a beat on the onset just heard
//!    announces that beat at once, so a lock (or re-lock) costs no extra beat. A tempo step is on trial for
//!    a few beats: if the onsets stop favouring it, the grid it stepped from is back in the contest with the
//!    standing it had, so a stray onset taken for a step cannot hand a long-held beat to its off-beat.
//!
//! Beats are *predicted*: the next beat of the grid is announced in the block that contains it, whether or
//! not an onset arrives there, so the band plays on the beat, not after it. Like BTrack's cumulative-score
//! predictor and Ellis' dynamic programming this rewards grids whose beats land on strong onsets, but it works
//! on onset events (sample-accurate times) and locks from the first interval: the first onset after silence is
//! taken as a beat, the second already gives a tempo.
//!
//! **Tempo steps** re-lock within a beat or two: a step to a slower tempo shows at the first late onset; a
//! step to a faster one at the first early onset, or, if that could still be a note before the beat, when the
//! beat of the grid in use passes unplayed (then the step grid and the pool are weighed again).
//!
//! **Silence.** With no onsets the grid runs on (beats run on through rests, as a band keeps time) for
//! [`BeatParams::free_run_beats`] beats after the last onset; then the tracker unlocks, claims no more beats
//! and reports tempo 0 until it hears playing again.

mod decide;
mod grid;
mod history;
mod model;
mod params;

pub use self::params::BeatParams;

use self::decide::{Standing, judge};
use self::grid::{Evidence, Grid};
use self::history::{OnsetHistory, PastOnset};
use self::model::{Model, step_tolerance};
use super::{BLOCK, BeatFrame, Onset};

/// Most rival hypotheses kept between onsets.
const POOL: usize = 6;
/// Most hypotheses weighed at one onset.
const MAX_CANDIDATES: usize = 64;
/// Hypotheses judged per block after the block of an onset: an onset's evaluation is spread over the next
/// few blocks (the grid in use keeps the phase meanwhile), so a block with an attack costs not much more
/// than one without; only a block in which a beat of the grid in use falls judges all that are left.
const JUDGED_PER_BLOCK: usize = 8;
/// Onsets back from the newest whose intervals propose tempi.
const IOI_ONSETS: usize = 10;

/// Tempo range (bpm) in which hypotheses are proposed at all.
const PROPOSE_MIN_BPM: f64 = 40.0;
const PROPOSE_MAX_BPM: f64 = 240.0;

/// A hypothesis with its log score.
#[derive(Clone, Copy, Debug)]
struct Scored {
    model: Model,
    score: f64,
    /// How far and how long this rival has been ahead of the grid in use: the sum over the time since it
    /// was first ahead of (score lead - [`BeatParams::lead_drift`]) × beats, never below 0 (a CUSUM).
    lead: f64,
}

/// An onset whose hypotheses are being judged (in `candidates`, the first `judged` of `count` done).
#[derive(Clone, Copy, Debug)]
struct Pending {
    count: usize,
    judged: usize,
    /// Time (s) of the onset.
    now: f64,
    /// Start (s) of the onset's block.
    block_start: f64,
    /// The model in use when the onset came.
    incumbent: Option<Model>,
    /// The tap tempo in force then.
    tap_bpm: f64,
}

/// Per-block beat tracker.
///
/// # Examples
///
/// ```
/// use agents::listen::{Onset, beat::BeatTracker};
/// let mut tracker = BeatTracker::new(48_000.0);
/// let mut beats = 0;
/// // 750 blocks of 64 samples per second; onsets every 0.5 s (120 bpm) from 0 to 3.5 s, then silence
/// for block in 0..3100u32 {
///     let onset = (block % 375 == 0 && block < 3000).then_some(Onset { offset: 0, strength: 12.0 });
///     let frame = tracker.process(0.0, onset, 0.0);
///     beats += frame.beat.is_some() as u32;
///     if block == 2999 {
///         assert!((frame.tempo_bpm - 120.0).abs() < 1.0);
///     }
/// }
/// // the 8 played beats, and the one at 4.0 s, predicted although nothing was played there
/// assert_eq!(beats, 9);
/// ```
pub struct BeatTracker {
    params: BeatParams,
    sample_rate: f64,
    /// Blocks processed so far: the clock.
    blocks: u64,
    history: OnsetHistory,
    /// Running mean of onset strengths, for normalising them.
    strength_mean: f64,
    /// Tap tempo (bpm) in force, 0 for none.
    tap_bpm: f64,
    /// The grid beats are announced from (with the grids before its last tempo changes), once locked.
    current: Option<Model>,
    /// Best rivals from the last onset.
    pool: [Option<Scored>; POOL],
    /// The onsets weighed at the current onset, with their recency weights.
    evidence: Evidence,
    /// Scratch space for one onset's hypotheses.
    candidates: [Scored; MAX_CANDIDATES],
    /// Time (s) of the next beat to announce.
    next_beat: f64,
    /// Time (s) of the last beat announced.
    last_beat: f64,
    /// Time (s) of the newest onset.
    last_onset: f64,
    /// Running typical inter-onset interval (s), 0 until two onsets were heard.
    typical_ioi: f64,
    /// Time (s) at which the grid in use was adopted (refinements of it do not count as new grids).
    locked_since: f64,
    /// A beat to announce in this block although no grid predicted it (the first onset after silence).
    pending_beat: Option<f64>,
    /// When the first beat of the grid after the newest onset will have passed unplayed if no onset comes
    /// before (s); infinite when that check is done.
    miss_check: f64,
    /// Time (s) up to which the rivals' leads have been summed.
    lead_clock: f64,
    /// The onset under evaluation, if any.
    pending: Option<Pending>,
    /// The grid a tempo step in use stepped from, while the step is on trial (see [`Standing`]).
    stepped_from: Option<Standing>,
}

impl BeatTracker {
    /// A tracker with the default [`BeatParams`].
    pub fn new(sample_rate: f32) -> Self {
        Self::with_params(sample_rate, BeatParams::default())
    }

    /// A tracker with the given settings; this is where all its memory is allocated (none on the heap).
    pub fn with_params(sample_rate: f32, params: BeatParams) -> Self {
        let sample_rate = if sample_rate.is_finite() && sample_rate > 1000.0 {
            f64::from(sample_rate)
        } else {
            48_000.0
        };
        let idle = Scored {
            model: Model::plain(Grid {
                period: 0.5,
                anchor: 0.0,
            }),
            score: f64::NEG_INFINITY,
            lead: 0.0,
        };
        Self {
            params,
            sample_rate,
            blocks: 0,
            history: OnsetHistory::new(),
            strength_mean: 0.0,
            tap_bpm: 0.0,
            current: None,
            pool: [None; POOL],
            evidence: Evidence::new(),
            candidates: [idle; MAX_CANDIDATES],
            next_beat: f64::INFINITY,
            last_beat: f64::NEG_INFINITY,
            last_onset: f64::NEG_INFINITY,
            typical_ioi: 0.0,
            locked_since: 0.0,
            pending_beat: None,
            miss_check: f64::INFINITY,
            lead_clock: 0.0,
            pending: None,
            stepped_from: None,
        }
    }

    /// Takes one block's onset-detection value and onset (if any) and a tap tempo (bpm, 0 = none); returns the
    /// beat predicted inside this block (if one falls in it), the phase at the block's end and the tempo.
    ///
    /// The novelty `odf` is not used by this tracker (the onsets carry its peaks, with sample-accurate times);
    /// it is accepted so the interface stays the listener's.
    pub fn process(&mut self, _odf: f32, onset: Option<Onset>, tempo_prior_bpm: f32) -> BeatFrame {
        let block_s = BLOCK as f64 / self.sample_rate;
        let start = self.blocks as f64 * block_s;
        let end = start + block_s;
        self.blocks += 1;

        let tap = f64::from(tempo_prior_bpm);
        self.tap_bpm = if tap.is_finite() && (20.0..=400.0).contains(&tap) {
            tap
        } else {
            0.0
        };

        if let Some(onset) = onset {
            let offset = f64::from(onset.offset.min(BLOCK as u32 - 1));
            let time = start + offset / self.sample_rate - self.params.onset_delay_s;
            let gap = time - self.last_onset;
            let phrase_start =
                ((gap - self.params.phrase_gap_s) / self.params.phrase_gap_s).clamp(0.0, 1.0);
            self.mark_duration_accent(gap);
            let weight = self.weigh(f64::from(onset.strength))
                * (1.0 + self.params.phrase_start_boost * phrase_start);
            // an evaluation still under way is finished first (onsets rarely come that close)
            self.judge_pending(MAX_CANDIDATES);
            self.history.push(PastOnset { time, weight });
            self.last_onset = time;
            self.hear_onset(time, start);
        } else if self.pending.is_some() {
            self.judge_pending(JUDGED_PER_BLOCK);
        } else if end >= self.miss_check {
            self.miss_check = f64::INFINITY;
            self.hear_miss(end, start);
        }

        if let Some(model) = self.current
            && end - self.last_onset > self.params.free_run_beats * model.grid().period
        {
            self.unlock();
        }

        // A beat of the grid in use due while an onset is being weighed waits for the verdict: the onset may
        // replace the grid (whose beat it would then not be), and a beat once announced cannot be taken back.
        if self.pending.is_some() && self.current.is_some() && self.next_beat < end {
            self.judge_pending(MAX_CANDIDATES);
        }
        let mut beat = None;
        if let Some(time) = self.pending_beat.take() {
            beat = Some(time);
        } else if self.current.is_some() && self.next_beat < end {
            beat = Some(self.next_beat);
        }
        let beat = beat.map(|time| {
            self.last_beat = time;
            if let Some(model) = self.current {
                let grid = model.grid();
                self.next_beat = grid.beat_at_or_after(time + 0.5 * grid.period);
            }
            (((time - start) * self.sample_rate)
                .round()
                .clamp(0.0, BLOCK as f64 - 1.0)) as u32
        });

        match self.current.map(|model| model.grid()) {
            Some(grid) => {
                let phase = 1.0 - (self.next_beat - end) / grid.period;
                let phase = if phase.is_finite() {
                    phase.clamp(0.0, 0.999_999)
                } else {
                    0.0
                };
                BeatFrame {
                    beat,
                    phase: phase as f32,
                    tempo_bpm: grid.bpm() as f32,
                }
            }
            None => BeatFrame {
                beat,
                phase: 0.0,
                tempo_bpm: 0.0,
            },
        }
    }

    /// The tempo in use (bpm), 0 while unlocked.
    pub fn tempo_bpm(&self) -> f32 {
        self.current.map_or(0.0, |model| model.grid().bpm() as f32)
    }

    /// Normalised weight of an onset of detector `strength`.
    fn weigh(&mut self, strength: f64) -> f64 {
        if !(strength.is_finite() && strength > 0.0) {
            return 1.0;
        }
        self.strength_mean = if self.strength_mean > 0.0 {
            self.strength_mean + 0.15 * (strength - self.strength_mean)
        } else {
            strength
        };
        (strength / self.strength_mean)
            .powf(self.params.strength_exponent)
            .clamp(1.0 / self.params.strength_range, self.params.strength_range)
    }

    /// Accents the previous onset when `gap` (the interval after it) is long for the current rhythm. The
    /// typical interval follows short intervals quickly and long ones slowly, so it tracks the note grid
    /// (the sixteenths of a chug, the eighths of a line) rather than the rests.
    fn mark_duration_accent(&mut self, gap: f64) {
        if !(gap.is_finite() && gap > 0.05 && gap < 1.0) {
            return;
        }
        if self.typical_ioi > 0.0 {
            if gap > self.params.duration_accent_ratio * self.typical_ioi {
                self.history.scale_newest(1.0 + self.params.duration_accent);
            }
            let rate = if gap < self.typical_ioi { 0.3 } else { 0.05 };
            self.typical_ioi += rate * (gap - self.typical_ioi);
        } else {
            self.typical_ioi = gap;
        }
    }

    fn unlock(&mut self) {
        self.current = None;
        self.miss_check = f64::INFINITY;
        self.pool = [None; POOL];
        self.next_beat = f64::INFINITY;
        self.stepped_from = None;
    }

    /// Gathers the hypotheses an onset at `time` brings up, judges the grid in use among them at once and
    /// leaves the others to be judged over the next blocks (see [`JUDGED_PER_BLOCK`]), after which the grid
    /// to announce beats from is chosen.
    fn hear_onset(&mut self, time: f64, block_start: f64) {
        let mut count = 0;
        let mut push = |candidates: &mut [Scored; MAX_CANDIDATES], grid: Grid| {
            let bpm = grid.bpm();
            if (PROPOSE_MIN_BPM..=PROPOSE_MAX_BPM).contains(&bpm)
                && grid.anchor.is_finite()
                && let Some(slot) = candidates.get_mut(count)
            {
                slot.model = Model::plain(grid);
                count += 1;
            }
        };
        // Slot 0 is the grid in use, so it can be compared with its rivals.
        if let Some(grid) = self.current.map(|model| model.grid()) {
            push(&mut self.candidates, grid);
            push(
                &mut self.candidates,
                Grid {
                    period: grid.period * 2.0,
                    ..grid
                },
            );
            push(
                &mut self.candidates,
                Grid {
                    period: grid.period * 0.5,
                    ..grid
                },
            );
            push(
                &mut self.candidates,
                Grid {
                    anchor: grid.anchor + 0.5 * grid.period,
                    ..grid
                },
            );
        }
        for rival in self.pool.iter().flatten() {
            push(&mut self.candidates, rival.model.grid());
        }
        for age in 1..=IOI_ONSETS {
            let Some(earlier) = self.history.newest(age) else {
                break;
            };
            let interval = time - earlier.time;
            if interval > self.params.history_s * 0.5 {
                break;
            }
            if interval < 0.08 {
                continue;
            }
            for fold in [0.25, 0.5, 1.0, 2.0, 4.0] {
                let period = interval * fold;
                push(
                    &mut self.candidates,
                    Grid {
                        period,
                        anchor: time,
                    },
                );
                if fold > 1.0 {
                    // the earlier onset on the beat, the new one between beats
                    push(
                        &mut self.candidates,
                        Grid {
                            period,
                            anchor: earlier.time,
                        },
                    );
                }
            }
        }
        if self.tap_bpm > 0.0 {
            let period = 60.0 / self.tap_bpm;
            push(
                &mut self.candidates,
                Grid {
                    period,
                    anchor: time,
                },
            );
            if let Some(grid) = self.current.map(|model| model.grid()) {
                push(
                    &mut self.candidates,
                    Grid {
                        period,
                        anchor: grid.anchor,
                    },
                );
            }
        }

        if count == 0 {
            // Nothing to go on: the first onset after silence. It is taken as a beat; with a tap tempo it
            // also starts the grid.
            if self.tap_bpm > 0.0 {
                self.adopt(
                    Model::plain(Grid {
                        period: 60.0 / self.tap_bpm,
                        anchor: time,
                    }),
                    block_start,
                );
            } else if time > self.last_beat + 0.1 {
                self.pending_beat = Some(time.max(block_start));
            }
            return;
        }

        let params = self.params;
        let now = time;
        self.evidence.gather(&self.history, now, &params);
        if let Some(model) = self.current.as_mut() {
            model.forget_before(now - params.history_s);
        }
        let incumbent = self.current;
        self.pending = Some(Pending {
            count,
            judged: 0,
            now,
            block_start,
            incumbent,
            tap_bpm: self.tap_bpm,
        });
        // The grid in use, refined on the new onset, is what the choice keeps most of the time: it is judged
        // at once and keeps the phase until the rivals are weighed too (a beat of it due before that waits
        // for the verdict, see `process`).
        self.miss_check = f64::INFINITY;
        self.judge_pending(1);
        if self.pending.is_some()
            && let Some(refined) = incumbent.and(self.candidates.first().map(|c| c.model))
        {
            self.adopt(refined, block_start);
        }
    }

    /// Judges up to `budget` more hypotheses of the onset under evaluation; chooses once all are judged.
    fn judge_pending(&mut self, budget: usize) {
        let Some(mut pending) = self.pending else {
            return;
        };
        let params = self.params;
        let upto = (pending.judged + budget).min(pending.count);
        for candidate in self.candidates.iter_mut().take(upto).skip(pending.judged) {
            *candidate = judge(
                candidate.model.grid(),
                pending.incumbent,
                self.locked_since,
                &self.evidence,
                pending.tap_bpm,
                &params,
            );
        }
        pending.judged = upto;
        self.pending = Some(pending);
        if upto >= pending.count {
            self.pending = None;
            self.decide(pending);
        }
    }

    /// Chooses the grid to announce beats from among the hypotheses of an onset, all judged.
    fn decide(&mut self, pending: Pending) {
        let Pending {
            count,
            now,
            block_start,
            incumbent,
            ..
        } = pending;
        let params = self.params;
        self.current = incumbent;
        if let Some(model) = incumbent {
            self.update_leads(count, &model, now);
        }
        let with_imminent_beat =
            incumbent.and_then(|model| self.score_with_imminent_beat(count, &model, now));
        let chosen = self.choose(count, now, with_imminent_beat);
        let switched = incumbent.is_some_and(|model| {
            !chosen
                .grid()
                .is_near(&model.grid(), params.same_tempo, params.same_phase)
        });
        self.keep_rivals(count, &chosen.grid(), switched);
        self.adopt(chosen, block_start);
        let grid = chosen.grid();
        let near = step_tolerance(grid.period, &params);
        self.miss_check = grid.beat_at_or_after(now + near) + near;
    }

    /// Weighs the grid in use against the rivals that would change its tempo at a beat, when a beat it
    /// predicted has passed with no onset near it: an early onset (a step to a faster tempo) is only half
    /// the evidence against the grid in use until its own beat has passed unplayed.
    fn hear_miss(&mut self, now: f64, block_start: f64) {
        let Some(current) = self.current else {
            return;
        };
        let params = self.params;
        self.evidence.gather(&self.history, now, &params);
        self.candidates[0] = judge(
            current.grid(),
            Some(current),
            self.locked_since,
            &self.evidence,
            self.tap_bpm,
            &params,
        );
        let mut count = 1;
        for rival in self.pool.iter().flatten() {
            let judged = judge(
                rival.model.grid(),
                Some(current),
                self.locked_since,
                &self.evidence,
                self.tap_bpm,
                &params,
            );
            if judged.model.since() > current.since()
                && let Some(slot) = self.candidates.get_mut(count)
            {
                *slot = Scored {
                    lead: rival.lead,
                    ..judged
                };
                count += 1;
            }
        }
        if count > 1 {
            let chosen = self.choose(count, now, None);
            self.adopt(chosen, block_start);
        }
    }

    /// Makes `model` the one beats are announced from; its next beat is the first one more than half a period
    /// after the last beat announced, and not more than `late_beat_s` in the past.
    fn adopt(&mut self, model: Model, block_start: f64) {
        self.current = Some(model);
        let grid = model.grid();
        let earliest =
            (self.last_beat + 0.5 * grid.period).max(block_start - self.params.late_beat_s);
        self.next_beat = grid.beat_at_or_after(earliest);
    }
}
