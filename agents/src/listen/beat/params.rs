//! The beat tracker's settings, with the defaults the listener uses.

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
    /// ... and the weight so made is kept within `1 / strength_range ..= strength_range`. A detector's strength
    /// says little about a player's accent (a muted chug's spectral rise, hum under the notes or clipping change
    /// it several times over, where an accent is a few dB): accents may break ties between grids the timing
    /// leaves close, never outweigh the timing.
    pub strength_range: f64,
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
    /// Whether swung eighths (the off-beat note near two thirds of the beat, nothing at one third) fill the
    /// subdivision as straight ones do.
    pub swing: bool,
    /// An onset after a silence of at least this (s) begins a phrase (fully at twice it) ... A second, not a
    /// beat: inside a riff a rest of a beat and a half (or an on-beat note the detector missed under a ringing
    /// chord) leaves a gap of 0.6-0.9 s before an off-beat note at 100-140 bpm, and taking that note for a
    /// phrase start handed the beat to the off-beat.
    pub phrase_gap_s: f64,
    /// ... and weighs this much more (phrases start on a beat more often than between beats).
    pub phrase_start_boost: f64,
    /// An onset followed by a gap this many times the typical inter-onset interval ...
    pub duration_accent_ratio: f64,
    /// ... weighs this much more (a note followed by a rest is heard as accented, Povel and Essens).
    pub duration_accent: f64,
    /// Smallest tempo step (a fraction) judged as a change of grid at a beat; smaller ones are followed by
    /// refinement.
    pub min_step: f64,
    /// Largest tempo step (a fraction) judged as a change of grid at a beat.
    pub max_step: f64,
    /// Cost (log score) of a tempo change inside the history window: the evidence a new tempo needs beyond
    /// fitting the onsets since the change.
    pub step_cost: f64,
    /// An onset farther than this fraction of the hit window from a beat is off it (for a tempo step), and a
    /// beat with no onset nearer is missed.
    pub step_evidence: f64,
    /// ... or this fraction of the period, if that is more.
    pub step_evidence_fraction: f64,
    /// A tempo change is looked for at most this many beats back.
    pub step_lookback_beats: f64,
    /// A tempo change is judged only at a change point this many beats after the grid in use was adopted:
    /// before that the grid rests on a few onsets, and a grid that explains them better is a better first
    /// reading (a plain rival), not a change of tempo.
    pub step_settle_beats: f64,
    /// Once a grid has held this many beats, a rival ahead of it by the switching margin replaces it only if
    /// it led it at the onset before too (then held to the margin of that onset): one onset after a hole in
    /// the playing is one interval's chance. Tempo steps are exempt.
    pub confirm_after_beats: f64,
    /// Score lead (log) over the grid in use that a rival must keep up for its lead to grow (a CUSUM's drift):
    /// smaller leads are the noise of a few onsets more or less.
    pub lead_drift: f64,
    /// Lead (log score × beats) at which a rival ahead of the grid in use replaces it although it never beat it
    /// by the switching margin: a reading the onsets have favoured for many beats is not a bar of syncopation.
    pub lead_to_switch: f64,
    /// Most beats one interval between onsets adds to a lead (a long rest is no evidence).
    pub lead_max_beats: f64,
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
            strength_range: 1.25,
            onset_delay_s: 0.0,
            late_beat_s: 0.05,
            subdivision_weight: 0.5,
            triplet_weight: 0.0,
            swing: true,
            subdivision_saturation: 0.5,
            subdivision_widen: 1.0,
            phrase_gap_s: 1.0,
            phrase_start_boost: 1.0,
            duration_accent_ratio: 1.6,
            duration_accent: 0.3,
            min_step: 0.05,
            max_step: 0.25,
            step_cost: 0.05,
            step_evidence: 0.5,
            step_evidence_fraction: 0.08,
            step_lookback_beats: 4.0,
            step_settle_beats: 4.0,
            confirm_after_beats: 2.0,
            lead_drift: 0.1,
            lead_to_switch: 3.0,
            lead_max_beats: 2.0,
        }
    }
}
