//! How the tracker chooses among its hypotheses at an onset: each is refined and scored (as a grid of its
//! own, or as a tempo step from the grid in use), and the grid in use gives way to the best by a margin.

use super::grid::{Grid, log_prior};
use super::model::{Model, log_fill, refine, step_point, step_tolerance};
use super::{BeatParams, BeatTracker, Evidence, POOL, Scored};

impl BeatTracker {
    /// When a rival would change the tempo at the onset at `now`, the best score of the grid in use (and its
    /// refinements) as if its next beat, which that onset came early for, had passed unplayed: the rival
    /// claims the onset as its beat, and waiting for the old beat to pass before believing it would cost
    /// that beat. If the onset was a note before the beat after all, the beat's own onset brings the old grid
    /// back (and is announced at once). `None` when no rival steps.
    pub(super) fn score_with_imminent_beat(
        &mut self,
        count: usize,
        current: &Model,
        now: f64,
    ) -> Option<f64> {
        let params = self.params;
        let stepping = |candidate: &Scored| candidate.model.since() > current.since();
        if !self.candidates.iter().take(count).any(stepping) {
            return None;
        }
        let in_use = current.grid();
        let mut best: Option<f64> = None;
        for candidate in self.candidates.iter().take(count) {
            let grid = candidate.model.grid();
            if stepping(candidate) || !grid.is_near(&in_use, params.same_tempo, params.same_phase) {
                continue;
            }
            let next = grid.beat_at_or_after(now);
            let early = next - now;
            let near = step_tolerance(grid.period, &params);
            let score = if early > near && early <= params.max_step * grid.period {
                self.evidence.now = next + near;
                let score = log_fill(&candidate.model, &self.evidence, &params)
                    + log_prior(candidate.model.first_grid().bpm(), self.tap_bpm, &params);
                self.evidence.now = now;
                score
            } else {
                candidate.score
            };
            best = Some(best.map_or(score, |b: f64| b.max(score)));
        }
        best
    }

    /// The model to announce beats from, of the first `count` candidates (slot 0 is the model in use, if
    /// any), as [`Self::choose_reading`] reads the onsets; but while a tempo step is on trial, giving it up
    /// is a contest with the grid it stepped from, which keeps its standing (see [`Standing`]).
    pub(super) fn choose(
        &mut self,
        count: usize,
        now: f64,
        with_imminent_beat: Option<f64>,
    ) -> Model {
        let params = self.params;
        let held_since = self.locked_since;
        let Some(in_use) = self.current else {
            self.stepped_from = None;
            return self.choose_reading(count, now, with_imminent_beat).model;
        };
        let chosen = self.choose_reading(count, now, with_imminent_beat);
        let grid = in_use.grid();
        if chosen
            .model
            .grid()
            .is_near(&grid, params.same_tempo, params.same_phase)
        {
            return chosen.model;
        }
        let on_trial = self.stepped_from.filter(|standing| now < standing.until);
        self.stepped_from = None;
        if let Some(standing) = on_trial {
            return self.give_up_step(standing, chosen, now);
        }
        if chosen.model.since() > in_use.since() {
            self.stepped_from = Some(Standing {
                model: in_use,
                locked_since: held_since,
                until: now + params.step_settle_beats * chosen.model.grid().period,
            });
        }
        chosen.model
    }

    /// What replaces a tempo step on trial that the onsets no longer favour: `chosen` only if it beats the
    /// grid the step was taken from (`standing`, carried on to now and refined) by the margin that grid had
    /// earned against it when the step was taken; otherwise that grid, with its standing restored.
    fn give_up_step(&mut self, standing: Standing, chosen: Scored, now: f64) -> Model {
        let params = self.params;
        let back = judge(
            standing.model.grid(),
            Some(standing.model),
            standing.locked_since,
            &self.evidence,
            self.tap_bpm,
            &params,
        );
        let back_grid = back.model.grid();
        let chosen_grid = chosen.model.grid();
        let margin = switch_margin(
            &chosen_grid,
            &back_grid,
            now - standing.locked_since,
            &params,
        );
        let returns = chosen_grid.is_near(&back_grid, params.same_tempo, params.same_phase)
            || !(chosen.score > back.score + margin);
        if returns {
            self.locked_since = standing.locked_since;
            back.model
        } else {
            chosen.model
        }
    }

    /// The model to announce beats from, of the first `count` candidates (slot 0 is the model in use, if
    /// any): the best, if it refines the one in use or beats it by the margin; or, if the one in use stays,
    /// a tempo step that beats every other rival and the one in use scored `with_imminent_beat` (see
    /// [`Self::score_with_imminent_beat`]).
    fn choose_reading(
        &mut self,
        count: usize,
        now: f64,
        with_imminent_beat: Option<f64>,
    ) -> Scored {
        let params = self.params;
        let current = self.current;
        let candidates = self.candidates.get(..count).unwrap_or(&[]);
        let mut best = candidates[0];
        for candidate in candidates {
            if candidate.score > best.score {
                best = *candidate;
            }
        }
        let chosen = match current {
            None => best,
            Some(model) => {
                let grid = model.grid();
                let incumbent = candidates[0];
                // Switching gets harder the longer the grid has held: early on the evidence is a few
                // onsets and the best reading should win at once; later, syncopations and accents move the
                // evidence to another metrical level or the off-beat for a bar or two without the beat
                // having moved, so those switches need the most.
                let best_grid = best.model.grid();
                // Once the grid has held a few beats, a plain rival replaces it only if it already led it
                // at the onset before (a lead in the pool): the first onset after a hole in the playing
                // (notes not heard) favours whichever grid's beats the hole fell between, a chance of one
                // interval, not yet a reading of the rhythm. The wait must not raise the bar: a rival that
                // led is held to the margin of that onset.
                let is_step = best.model.since() > model.since();
                let young = now - self.locked_since < params.confirm_after_beats * grid.period;
                let led_before = self.pool.iter().flatten().any(|rival| {
                    rival.lead > 0.0
                        && rival.model.grid().is_near(
                            &best_grid,
                            params.same_tempo,
                            params.same_phase,
                        )
                });
                let judged_at = if led_before && !young {
                    self.history
                        .newest(1)
                        .map_or(now, |onset| onset.time.min(now))
                } else {
                    now
                };
                // A change of tempo at a beat has paid its own cost (`step_cost`) and is not a reading of
                // the same rhythm at another level, so no hysteresis is added: waiting would cost beats.
                let margin = if is_step {
                    0.0
                } else {
                    switch_margin(&best_grid, &grid, judged_at - self.locked_since, &params)
                };
                // A rival ahead by less than the margin, but for long enough (its lead, see `Scored`), is
                // what the onsets say when it is not a bar or two of syncopation.
                let mut sustained: Option<Scored> = None;
                for candidate in candidates {
                    if candidate.lead >= params.lead_to_switch
                        && candidate.score > incumbent.score + params.min_switch_margin
                        && !candidate.model.grid().is_near(
                            &grid,
                            params.same_tempo,
                            params.same_phase,
                        )
                        && sustained.is_none_or(|s| candidate.score > s.score)
                    {
                        sustained = Some(*candidate);
                    }
                }
                let confirmed = young || is_step || led_before;
                let stays = if best_grid.is_near(&grid, params.same_tempo, params.same_phase) {
                    best
                } else if confirmed && best.score > incumbent.score + margin {
                    self.locked_since = now;
                    return best;
                } else {
                    incumbent
                };
                if let Some(sustained) = sustained {
                    self.locked_since = now;
                    return sustained;
                }
                let mut rival: Option<Scored> = None;
                for candidate in candidates {
                    if !candidate
                        .model
                        .grid()
                        .is_near(&grid, params.same_tempo, params.same_phase)
                        && rival.is_none_or(|r| candidate.score > r.score)
                    {
                        rival = Some(*candidate);
                    }
                }
                match (rival, with_imminent_beat) {
                    (Some(step), Some(against))
                        if step.model.since() > model.since() && step.score > against =>
                    {
                        self.locked_since = now;
                        step
                    }
                    _ => stays,
                }
            }
        };
        if current.is_none() {
            self.locked_since = now;
        }
        chosen
    }

    /// Sums the rivals' leads over the grid in use (`current`, scored in slot 0) from the last onset to
    /// `now`: each rival takes the lead of the one it continues (the same grid, refined) from the pool.
    pub(super) fn update_leads(&mut self, count: usize, current: &Model, now: f64) {
        let params = self.params;
        let in_use = current.grid();
        let beats = ((now - self.lead_clock) / in_use.period).clamp(0.0, params.lead_max_beats);
        self.lead_clock = now;
        let incumbent = self.candidates[0].score;
        for index in 1..count {
            let Some(candidate) = self.candidates.get(index).copied() else {
                break;
            };
            let grid = candidate.model.grid();
            let lead = if grid.is_near(&in_use, params.same_tempo, params.same_phase) {
                0.0
            } else {
                let before = self
                    .pool
                    .iter()
                    .flatten()
                    .find(|rival| {
                        rival
                            .model
                            .grid()
                            .is_near(&grid, params.same_tempo, params.same_phase)
                    })
                    .map_or(0.0, |rival| rival.lead);
                (before + (candidate.score - incumbent - params.lead_drift) * beats).max(0.0)
            };
            if let Some(slot) = self.candidates.get_mut(index) {
                slot.lead = if lead.is_finite() { lead } else { 0.0 };
            }
        }
    }

    /// Keeps the best distinct hypotheses other than `chosen` for the next onset; their leads start again
    /// from 0 when `chosen` is a new grid (they were leads over the old one).
    pub(super) fn keep_rivals(&mut self, count: usize, chosen: &Grid, switched: bool) {
        let params = self.params;
        self.pool = [None; POOL];
        for _ in 0..POOL {
            let mut best: Option<Scored> = None;
            for candidate in self.candidates.iter().take(count) {
                let grid = candidate.model.grid();
                let distinct = !grid.is_near(chosen, params.same_tempo, params.same_phase)
                    && self.pool.iter().flatten().all(|kept| {
                        !grid.is_near(&kept.model.grid(), params.same_tempo, params.same_phase)
                    });
                if distinct && best.is_none_or(|b| candidate.score > b.score) {
                    best = Some(*candidate);
                }
            }
            let Some(mut best) = best else { break };
            if switched {
                best.lead = 0.0;
            }
            if let Some(slot) = self.pool.iter_mut().find(|slot| slot.is_none()) {
                *slot = Some(best);
            }
        }
    }
}

/// The score lead a `rival` grid needs to replace `grid`, which has held for `held_for` seconds: it grows from
/// the least margin to the full one over `settle_beats` beats, more for a metrical relative (another level or
/// the off-beat of the same rhythm).
fn switch_margin(rival: &Grid, grid: &Grid, held_for: f64, params: &BeatParams) -> f64 {
    let held = (held_for / grid.period / params.settle_beats).clamp(0.0, 1.0);
    let relative = if rival.is_metrical_relative(grid, params.same_tempo) {
        params.relative_switch_margin
    } else {
        0.0
    };
    params.min_switch_margin + held * (params.switch_margin + relative)
}

/// The grid in use before a tempo step, kept while the step is on trial: a step is believed at its first
/// onset (waiting would cost its beats), so a stray onset early for a beat that then goes unplayed can pass
/// for one. When the step grid loses the onsets again, the contest is with the grid it stepped from, which
/// had held for many beats and had earned the margin against metrical rivals (above all its off-beat, which
/// eighth notes fill as well as its beats): a rival that would never have beaten that grid must not take the
/// beat over through a step grid adopted for a beat.
#[derive(Clone, Copy, Debug)]
pub(super) struct Standing {
    /// The model in use before the step.
    model: Model,
    /// When its grid was adopted.
    locked_since: f64,
    /// The end of the trial (s): a step that has held for [`BeatParams::step_settle_beats`] beats of its
    /// tempo is the grid in use in its own right.
    until: f64,
}

/// Refines and scores the hypothesis `grid` against the evidence gathered, given the model in use
/// (`current`), with a tap tempo `tap_bpm` (0 for none). A grid near the one in use inherits its tempo history; a grid within a tempo step of it
/// is also judged as a change from it at the newest onset they share (see [`model`]), and keeps the better
/// reading.
pub(super) fn judge(
    grid: Grid,
    current: Option<Model>,
    locked_since: f64,
    evidence: &Evidence,
    tap_bpm: f64,
    params: &BeatParams,
) -> Scored {
    let score = |model: Model| {
        let refined = refine(&model, evidence, params);
        let refined = refine(&refined, evidence, params);
        Scored {
            model: refined,
            score: log_fill(&refined, evidence, params)
                + log_prior(refined.first_grid().bpm(), tap_bpm, params),
            lead: 0.0,
        }
    };
    let Some(current) = current else {
        return score(Model::plain(grid));
    };
    let in_use = current.grid();
    if grid.is_near(&in_use, params.same_tempo, params.same_phase) {
        return score(current.with_grid(grid));
    }
    let plain = score(Model::plain(grid));
    let steps = params.min_step.ln_1p()..=params.max_step.ln_1p();
    let is_step = |grid: &Grid| steps.contains(&(grid.period / in_use.period).ln().abs());
    if !is_step(&grid) {
        return plain;
    }
    let Some(at) = step_point(&current, &grid, evidence, params) else {
        return plain;
    };
    if at < locked_since + params.step_settle_beats * in_use.period {
        return plain;
    }
    let mut stepped = score(current.with_change(grid, at));
    stepped.score -= params.step_cost;
    if stepped.score > plain.score && is_step(&stepped.model.grid()) {
        stepped
    } else {
        plain
    }
}
