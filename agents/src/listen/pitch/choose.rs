//! Which of the windows' readings names the note: the most periodic of the windows started since the last attack,
//! on the plain signal and on the one with the old note cancelled, unless it could be the second harmonic of a lower
//! note not yet testable.

use super::nsdf::{ReadRules, Reading, is_multiple};
use super::{CLARITY_ON, PitchTracker, RULES, SAME_NOTE_TOLERANCE};

/// Clarity needed to trust a period whose double has not been tested yet (it may be the second harmonic).
const CLARITY_YOUNG: f32 = 0.9;
/// ... once the window holds this many pairs at that period (2 ms at the analysis rate): a single clean reading
/// over fewer is as often a chance alignment of an attack's partials.
const YOUNG_CLEAN_PAIRS: f32 = 24.0;
/// ... or from the fewest pairs any lag is tested on (16) when this clean: an attack's partials hardly line up
/// that well by chance (guitar-dev: of the candidates of young windows read over 16 to 24 pairs, the 143 this
/// clean all named the note, of those from 0.95 to 0.98 seven in 37 did not).
const CLARITY_YOUNG_PURE: f32 = 0.98;
/// Such a period is still trusted from this clarity when the previous block's clearest candidate had the same
/// period (within [`AGREE_TOLERANCE`]): in the first, aperiodic milliseconds of a nylon or jazz note a single
/// reading is rarely that clean, but a second harmonic read by chance seldom comes out clearest twice in a row.
const CLARITY_YOUNG_AGREED: f32 = 0.7;
/// How the previous block's windows since the attack are also read for [`CLARITY_YOUNG_AGREED`]: with the same
/// minimum of pairs but not half a period of them, so that a period first testable in a full read was already
/// read a block before (from 150 to 250 Hz a block is a quarter of a period or less, so agreement used to cost
/// a whole block). Such a read is too unreliable to name a note, but a chance candidate (the attack's partials
/// beating in step) seldom comes out clearest both in it and in the full read a block later (guitar-dev: settle
/// median 11.2 -> 10.9 ms, 44.1 kHz 11.7 -> 11.3 ms; RPA, octave and wrong-pitch frames unchanged or better;
/// down to 8 pairs it gains 0.3 ms more but names an attack's partials of low notes for a few milliseconds).
const PREVIEW_RULES: ReadRules = ReadRules {
    min_pairs_ratio: 0.25,
    ..RULES
};
/// Two consecutive candidates this close (fraction of the period) agree.
const AGREE_TOLERANCE: f32 = 0.02;
/// The cancelled signal is only read while it keeps this fraction of the plain signal's energy: less means the
/// new note's period divides the old one (the same note again, or an octave up) and the plain signal is read.
const CANCELLED_ENERGY_MIN: f32 = 0.1;
/// A reading of the cancelled signal within this fraction of the old note's period is what is left of the
/// old note, not the new one (also the tolerance of [`is_multiple`]).
const OLD_NOTE_TOLERANCE: f32 = 0.03;

impl PitchTracker {
    /// The best reading of the new note: the most periodic of the windows that started at or after the last
    /// attack, on the plain signal and, while the old note may still ring, on the cancelled one. Windows that
    /// start later miss the attack's transients (a body's thump, a pick's scrape); the oldest hold the most periods.
    pub(super) fn reading(&mut self) -> Option<Reading> {
        let mut best: Option<Reading> = None;
        self.raw_best = None;
        self.continuing_best = None;
        let oldest = self.plain.oldest_since(self.attack_start);
        let plain_energy = self.plain.mean_square(oldest).max(1.0e-20);
        for slot in 0..self.plain.slots() {
            if self.plain.start(slot) < self.attack_start {
                continue;
            }
            if let Some(r) = self.plain.read(slot, &RULES) {
                best = self.better(best, self.noise.judge(r, 1.0));
            }
        }
        if self.cancel_period <= 0.0 || self.cancel_left == 0 {
            return best;
        }
        let plain_best = best;
        let mut cancelled_best: Option<Reading> = None;
        for slot in 0..self.cancelled.slots() {
            if self.cancelled.start(slot) < self.cancel_attack_start {
                continue;
            }
            let kept = self.cancelled.mean_square(slot) / plain_energy;
            if kept.is_nan() || kept < CANCELLED_ENERGY_MIN {
                continue;
            }
            if let Some(r) = self.cancelled.read(slot, &RULES) {
                // The cancelled signal holds the noise twice: now and one old period earlier.
                let r = self.noise.judge(r, 2.0);
                // What is left of the old note after cancelling it is not the new note.
                if (r.period / self.cancel_period - 1.0).abs() < OLD_NOTE_TOLERANCE {
                    continue;
                }
                // The comb that cancels the old note also weakens the new one and lifts faint subharmonics of
                // its waveform: a period twice or three times the plain signal's is one of those.
                if plain_best
                    .is_some_and(|p| is_multiple(r.period, p.period, 2..=3, OLD_NOTE_TOLERANCE))
                {
                    continue;
                }
                if cancelled_best.is_none_or(|c| c.clarity < r.clarity) && self.admissible(&r) {
                    cancelled_best = Some(r);
                }
                best = self.better(best, r);
            }
        }
        // The old note ringing on and the new one repeat together at a common multiple of their periods (a fifth
        // over the old note: twice the old period, three times the new), and the plain signal is about as periodic
        // there as the cancelled one is at the new period (guitar-dev: a run of F#4 over B3 read as B2 for 15 ms).
        // The old note goes on being cancelled while both are heard.
        if let (Some(p), Some(c)) = (plain_best, cancelled_best)
            && best == plain_best
            && c.clarity >= CLARITY_ON
            && both_notes(p.period, self.cancel_period, c.period)
        {
            self.cancel_left = self.cancel_left.max(self.cancel_len);
            return Some(c);
        }
        best
    }

    /// [`Self::reading`], remembering this block's clearest candidate for the next block's agreement test.
    pub(super) fn reading_remembered(&mut self) -> Option<Reading> {
        let best = self.reading();
        self.previous_raw = self.raw_best;
        self.previous_preview = self.preview();
        best
    }

    /// The clearest in-range candidate of the plain windows started since the last attack, read by
    /// [`PREVIEW_RULES`]; none once those windows are old enough for every candidate's double to be tested.
    fn preview(&mut self) -> Option<Reading> {
        let young = 1.5 * self.max_period + 2.0;
        let periods = self.min_period..=self.max_period;
        let (best, tested) =
            (self.plain).preview(self.attack_start, young, periods, &RULES, &PREVIEW_RULES);
        self.previous_tested = tested;
        best
    }

    /// Whichever of two readings is admissible and clearer.
    fn better(&mut self, best: Option<Reading>, candidate: Reading) -> Option<Reading> {
        if !self.admissible(&candidate) {
            return best;
        }
        if self.last.hz > 0.0
            && (self.rate / candidate.period / self.last.hz - 1.0).abs() < SAME_NOTE_TOLERANCE
        {
            self.continuing_best = Some(candidate.note_clearer(self.continuing_best));
        }
        match best {
            Some(b) if b.clarity >= candidate.clarity => Some(b),
            _ => Some(candidate),
        }
    }

    /// In range, and not possibly the second harmonic of an untested lower note unless very clean or clean and
    /// agreeing with the previous block's clearest candidate. Notes the clearest in-range candidate.
    fn admissible(&mut self, reading: &Reading) -> bool {
        let in_range = reading.period >= self.min_period && reading.period <= self.max_period;
        if !in_range {
            return false;
        }
        if self.raw_best.is_none_or(|b| b.clarity < reading.clarity) {
            self.raw_best = Some(*reading);
        }
        let sub_octave_untested = !reading.double_tested && 2.0 * reading.period <= self.max_period;
        if !sub_octave_untested {
            return true;
        }
        let pairs = reading.window as f32 - reading.period;
        if (reading.clarity >= CLARITY_YOUNG && pairs >= YOUNG_CLEAN_PAIRS)
            || reading.clarity >= CLARITY_YOUNG_PURE
        {
            return true;
        }
        // The preview only stands in for a full read that could not have found this period.
        let unseen = reading.period + 1.0 > self.previous_tested as f32;
        let agrees = |p: Option<Reading>| {
            p.is_some_and(|p| (p.period / reading.period - 1.0).abs() < AGREE_TOLERANCE)
        };
        reading.clarity >= CLARITY_YOUNG_AGREED
            && (agrees(self.previous_raw) || (unseen && agrees(self.previous_preview)))
    }
}

/// Whether `mixed` is a period both an old note's (`old`: once to three times) and a new note's (`new`: two to four
/// times) fit into, within [`OLD_NOTE_TOLERANCE`].
fn both_notes(mixed: f32, old: f32, new: f32) -> bool {
    is_multiple(mixed, old, 1..=3, OLD_NOTE_TOLERANCE)
        && is_multiple(mixed, new, 2..=4, OLD_NOTE_TOLERANCE)
}
