//! Tempo and beat: a beat grid fitted to the onsets, whose beats are announced in the block they fall in.
//!
//! How it works, per onset (nothing is evaluated between onsets, so a block without one costs a few
//! comparisons):
//! 1. *Hypotheses* `(period, beat time)` are proposed: the grid in use, a small pool of the best rivals from the
//!    last onsets, that grid at half and double tempo and on the off-beat, and one grid per inter-onset interval
//!    from the new onset back to each of the last few (folded by octaves into the tempo range, with a beat on
//!    the new onset) — the IOI clustering of Dixon's BeatRoot, kept as a handful of agents.
//! 2. Each is *refined* by a recency-weighted least-squares line through the onsets near its beats (this is
//!    the phase-and-tempo correction that follows ramps and small steps), then *scored*: log fill (how fully
//!    the onsets of the last seconds cover its beats, see [`grid`]) plus a log tempo prior (a broad one over
//!    the tactus range, or a narrow one around a tap tempo).
//! 3. The grid in use is replaced by the best hypothesis when that is a refinement of it, or when it beats it
//!    by a margin (hysteresis against flapping between metrical levels); a new grid with a beat on the onset
//!    just heard announces that beat at once, so a lock (or re-lock) costs no extra beat.
//!
//! Beats are *predicted*: the next beat of the grid is announced in the block that contains it, whether or
//! not an onset arrives there, so the band plays on the beat, not after it. Like BTrack's cumulative-score
//! predictor and Ellis' dynamic programming this rewards grids whose beats land on strong onsets, but it works
//! on onset events (sample-accurate times) and locks from the first interval: the first onset after silence is
//! taken as a beat, the second already gives a tempo.
//!
//! **Silence.** With no onsets the grid runs on (beats run on through rests, as a band keeps time) for
//! [`BeatParams::free_run_beats`] beats after the last onset; then the tracker unlocks, claims no more beats
//! and reports tempo 0 until it hears playing again.

mod grid;
mod history;

use self::grid::{Evidence, Grid, log_fill, log_prior, refine};
use self::history::{OnsetHistory, PastOnset};
use super::{BLOCK, BeatFrame, Onset};

/// Most rival hypotheses kept between onsets.
const POOL: usize = 6;
/// Most hypotheses weighed at one onset.
const MAX_CANDIDATES: usize = 64;
/// Onsets back from the newest whose intervals propose tempi.
const IOI_ONSETS: usize = 10;

/// Tunable settings of the tracker; [`Default`] is what the listener uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BeatParams {
    /// Seconds of onsets the hypotheses are judged on.
    pub history_s: f64,
    /// Time constant (s) of the recency weighting of the fill score: shorter re-locks faster after a change.
    pub score_memory_s: f64,
    /// Time constant (s) of the recency weighting of the tempo/phase fit: shorter follows ramps more closely.
    pub fit_memory_s: f64,
    /// Half-width (s) of the window in which an onset counts as on a beat.
    pub hit_window_s: f64,
    /// ... but never more than this fraction of the period.
    pub hit_window_fraction: f64,
    /// Largest change of period (a fraction) one refinement may make.
    pub max_period_step: f64,
    /// Centre (bpm) of the broad tempo prior.
    pub prior_center_bpm: f64,
    /// Width (octaves, one standard deviation) of the broad tempo prior.
    pub prior_octaves: f64,
    /// Below this tempo (bpm) the prior falls steeply.
    pub prior_min_bpm: f64,
    /// Above this tempo (bpm) the prior falls steeply.
    pub prior_max_bpm: f64,
    /// Width (octaves) of the prior's walls outside `prior_min_bpm..prior_max_bpm`.
    pub prior_wall_octaves: f64,
    /// Width (octaves) of the prior around a tap tempo: narrow enough to rule out half, double and 2/3 the tap,
    /// wide enough to follow a tempo step or ramp while the tap stays in force.
    pub tap_octaves: f64,
    /// How much better (log score) a different hypothesis must be to replace a settled grid.
    pub switch_margin: f64,
    /// Margin (log score) for replacing a grid just adopted.
    pub min_switch_margin: f64,
    /// Extra margin for a switch to a metrically related grid (half, double, 2/3 or 3/2 the tempo, or the
    /// off-beat), reached after `settle_beats` beats on one grid.
    pub relative_switch_margin: f64,
    /// Beats after which a grid is fully settled.
    pub settle_beats: f64,
    /// Two grids within this tempo ratio ...
    pub same_tempo: f64,
    /// ... and this fraction of a period apart are the same hypothesis.
    pub same_phase: f64,
    /// Beats the grid runs on after the last onset before the tracker unlocks.
    pub free_run_beats: f64,
    /// Onset strengths are divided by their running mean and raised to this power (< 1 tames accents).
    pub strength_exponent: f64,
    /// Seconds between the attack and the time the onset detector places it (subtracted from onset times).
    pub onset_delay_s: f64,
    /// A beat of a new grid up to this many seconds in the past is still announced (late) in this block.
    pub late_beat_s: f64,
    /// Weight (log-score units) of the subdivision evidence: onsets halfway (or a third of the way) between
    /// the beats. It is what tells a tactus from grids 1.5 or 2 times slower or faster when every eighth is
    /// played.
    pub subdivision_weight: f64,
    /// The on-beat window widened by this factor for the subdivision, so swung eighths count as halves.
    pub subdivision_widen: f64,
    /// Subdivision fill (0..1) from which no penalty applies.
    pub subdivision_saturation: f64,
    /// How much a triplet subdivision counts beside a binary one (0..1): a grid 1.5 times slower than the
    /// tactus sees straight eighths as its triplets, so they must count less.
    pub triplet_weight: f64,
    /// An onset after a silence of at least this (s) begins a phrase ...
    pub phrase_gap_s: f64,
    /// ... and weighs this much more (phrases start on a beat more often than between beats).
    pub phrase_start_boost: f64,
    /// An onset followed by a gap this many times the typical inter-onset interval ...
    pub duration_accent_ratio: f64,
    /// ... weighs this much more (a note followed by a rest is heard as accented, Povel and Essens).
    pub duration_accent: f64,
}

impl Default for BeatParams {
    fn default() -> Self {
        Self {
            history_s: 6.0,
            score_memory_s: 2.0,
            fit_memory_s: 1.5,
            hit_window_s: 0.06,
            hit_window_fraction: 0.2,
            max_period_step: 0.08,
            prior_center_bpm: 125.0,
            prior_octaves: 0.7,
            prior_min_bpm: 64.0,
            prior_max_bpm: 165.0,
            prior_wall_octaves: 0.12,
            tap_octaves: 0.25,
            switch_margin: 0.25,
            min_switch_margin: 0.05,
            relative_switch_margin: 0.8,
            settle_beats: 8.0,
            same_tempo: 0.06,
            same_phase: 0.12,
            free_run_beats: 16.0,
            strength_exponent: 0.35,
            onset_delay_s: 0.0,
            late_beat_s: 0.05,
            subdivision_weight: 0.5,
            triplet_weight: 0.0,
            subdivision_saturation: 0.5,
            subdivision_widen: 1.0,
            phrase_gap_s: 0.5,
            phrase_start_boost: 1.0,
            duration_accent_ratio: 1.6,
            duration_accent: 0.3,
        }
    }
}

/// Tempo range (bpm) in which hypotheses are proposed at all.
const PROPOSE_MIN_BPM: f64 = 40.0;
const PROPOSE_MAX_BPM: f64 = 240.0;

/// A hypothesis with its log score.
#[derive(Clone, Copy, Debug)]
struct Scored {
    grid: Grid,
    score: f64,
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
    /// The grid beats are announced from, once locked.
    current: Option<Grid>,
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
            grid: Grid {
                period: 0.5,
                anchor: 0.0,
            },
            score: f64::NEG_INFINITY,
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
            self.history.push(PastOnset { time, weight });
            self.last_onset = time;
            self.hear_onset(time, start);
        }

        if let Some(grid) = self.current
            && end - self.last_onset > self.params.free_run_beats * grid.period
        {
            self.unlock();
        }

        let mut beat = None;
        if let Some(time) = self.pending_beat.take() {
            beat = Some(time);
        } else if self.current.is_some() && self.next_beat < end {
            beat = Some(self.next_beat);
        }
        let beat = beat.map(|time| {
            self.last_beat = time;
            if let Some(grid) = self.current {
                self.next_beat = grid.beat_at_or_after(time + 0.5 * grid.period);
            }
            (((time - start) * self.sample_rate)
                .round()
                .clamp(0.0, BLOCK as f64 - 1.0)) as u32
        });

        match self.current {
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
        self.current.map_or(0.0, |grid| grid.bpm() as f32)
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
            .clamp(0.25, 2.5)
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
        self.pool = [None; POOL];
        self.next_beat = f64::INFINITY;
    }

    /// Weighs the hypotheses an onset at `time` brings up and chooses the grid to announce beats from.
    fn hear_onset(&mut self, time: f64, block_start: f64) {
        let mut count = 0;
        let mut push = |candidates: &mut [Scored; MAX_CANDIDATES], grid: Grid| {
            let bpm = grid.bpm();
            if (PROPOSE_MIN_BPM..=PROPOSE_MAX_BPM).contains(&bpm)
                && grid.anchor.is_finite()
                && let Some(slot) = candidates.get_mut(count)
            {
                slot.grid = grid;
                count += 1;
            }
        };
        // Slot 0 is the grid in use, so it can be compared with its rivals.
        if let Some(grid) = self.current {
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
            push(&mut self.candidates, rival.grid);
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
            if let Some(grid) = self.current {
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
                    Grid {
                        period: 60.0 / self.tap_bpm,
                        anchor: time,
                    },
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
        for candidate in self.candidates.iter_mut().take(count) {
            let refined = refine(&candidate.grid, &self.evidence, &params);
            let refined = refine(&refined, &self.evidence, &params);
            let score = log_fill(&refined, &self.evidence, &params)
                + log_prior(refined.bpm(), self.tap_bpm, &params);
            *candidate = Scored {
                grid: refined,
                score,
            };
        }
        let candidates = self.candidates.get(..count).unwrap_or(&[]);

        let mut best = candidates[0];
        for candidate in candidates {
            if candidate.score > best.score {
                best = *candidate;
            }
        }
        let chosen = match self.current {
            None => best.grid,
            Some(grid) => {
                let incumbent = candidates[0];
                // Switching gets harder the longer the grid has held: early on the evidence is a few
                // onsets and the best reading should win at once; later, syncopations and accents move the
                // evidence to another metrical level or the off-beat for a bar or two without the beat
                // having moved, so those switches need the most.
                let held =
                    ((now - self.locked_since) / grid.period / params.settle_beats).clamp(0.0, 1.0);
                let relative = if best.grid.is_metrical_relative(&grid, params.same_tempo) {
                    params.relative_switch_margin
                } else {
                    0.0
                };
                let margin = params.min_switch_margin + held * (params.switch_margin + relative);
                if best
                    .grid
                    .is_near(&grid, params.same_tempo, params.same_phase)
                {
                    best.grid
                } else if best.score > incumbent.score + margin {
                    self.locked_since = now;
                    best.grid
                } else {
                    incumbent.grid
                }
            }
        };
        if self.current.is_none() {
            self.locked_since = now;
        }
        self.keep_rivals(count, &chosen);
        self.adopt(chosen, block_start);
    }

    /// Keeps the best distinct hypotheses other than `chosen` for the next onset.
    fn keep_rivals(&mut self, count: usize, chosen: &Grid) {
        let params = self.params;
        self.pool = [None; POOL];
        for _ in 0..POOL {
            let mut best: Option<Scored> = None;
            for candidate in self.candidates.iter().take(count) {
                let distinct =
                    !candidate
                        .grid
                        .is_near(chosen, params.same_tempo, params.same_phase)
                        && self.pool.iter().flatten().all(|kept| {
                            !candidate.grid.is_near(
                                &kept.grid,
                                params.same_tempo,
                                params.same_phase,
                            )
                        });
                if distinct && best.is_none_or(|b| candidate.score > b.score) {
                    best = Some(*candidate);
                }
            }
            let Some(best) = best else { break };
            if let Some(slot) = self.pool.iter_mut().find(|slot| slot.is_none()) {
                *slot = Some(best);
            }
        }
    }

    /// Makes `grid` the one beats are announced from; its next beat is the first one more than half a period
    /// after the last beat announced, and not more than `late_beat_s` in the past.
    fn adopt(&mut self, grid: Grid, block_start: f64) {
        self.current = Some(grid);
        let earliest =
            (self.last_beat + 0.5 * grid.period).max(block_start - self.params.late_beat_s);
        self.next_beat = grid.beat_at_or_after(earliest);
    }
}
