//! Chord recognition: chroma from spectral peaks, matched against chord templates, held while the chord rings.
//!
//! The input is low-passed and decimated to about 12 kHz ([`front`]); every few blocks the samples since the last
//! attack (up to 170 ms) are windowed and transformed, and the spectral peaks are folded into a 12-bin chroma plus
//! a bass chroma ([`spectrum`]). Each of the 84 chords (7 qualities x 12 roots) and 12 single notes is scored by
//! cosine similarity with a template that includes the notes' harmonics ([`templates`]). The label changes only
//! when another hypothesis wins by a margin; a single note, silence or noise is "no chord".

mod front;
mod spectrum;
mod templates;

use front::{AttackFinder, Front, HISTORY};
use spectrum::Spectrum;
use templates::{FitParams, Fitter, HYPOTHESES, hypothesis_of, label_of};

use super::{BLOCK, Chord, ChordQuality, Onset};

/// Blocks between analyses: 5.3 ms at 48 kHz.
const HOP_BLOCKS: u32 = 4;
/// Shortest window after an attack worth analysing, in seconds: shorter ones cannot separate semitones.
const MIN_WINDOW_S: f32 = 0.040;
/// Attacks closer than this to the previous one belong to the same strum and do not restart the window.
const REFRACTORY_S: f32 = 0.060;
/// Mean-square level (of the band-limited signal) below which the guitar is silent: about -66 dBFS RMS.
const SILENCE_POWER: f32 = 2.5e-7;
/// A chord needs at least this cosine score, else it is noise or something unlike any chord.
const MIN_SCORE: f32 = 0.3;
/// Margin a new label needs over the current one in a window that starts at a fresh attack.
const MARGIN_AFTER_ATTACK: f32 = 0.02;
/// Margin a new label needs while the window slides over a ringing chord (no attack seen).
const MARGIN_RINGING: f32 = 0.05;
/// Analyses in a row a challenger must win while the chord rings before it takes over.
const PERSIST_RINGING: u32 = 3;

/// Per-block chord tracker.
pub struct ChordTracker {
    front: Front,
    attacks: AttackFinder,
    spectrum: Spectrum,
    fitter: Fitter,
    scores: [f32; HYPOTHESES],
    blocks_per_hop: u32,
    hop_phase: u32,
    refractory_blocks: u64,
    min_window: usize,
    decimation: f32,
    blocks: u64,
    /// Block and decimated sample index of the last attack that started a window.
    attack_block: u64,
    attack_sample: u64,
    label: Chord,
    chroma: spectrum::Chroma,
    challenger: Option<usize>,
    challenger_wins: u32,
}

impl ChordTracker {
    /// Builds the tracker for `sample_rate`; plans the FFT and allocates every buffer.
    pub fn new(sample_rate: f32) -> Self {
        let front = Front::new(sample_rate);
        let rate = front.rate;
        let sample_rate = if sample_rate.is_finite() && sample_rate > 1000.0 {
            sample_rate
        } else {
            48_000.0
        };
        let block_rate = sample_rate / BLOCK as f32;
        Self {
            attacks: AttackFinder::new(block_rate),
            spectrum: Spectrum::new(rate),
            fitter: Fitter::new(FitParams::default()),
            scores: [0.0; HYPOTHESES],
            blocks_per_hop: HOP_BLOCKS,
            hop_phase: 0,
            refractory_blocks: (REFRACTORY_S * block_rate) as u64,
            min_window: (MIN_WINDOW_S * rate) as usize,
            decimation: sample_rate / rate,
            blocks: 0,
            attack_block: 0,
            attack_sample: 0,
            label: Chord::default(),
            chroma: spectrum::Chroma::default(),
            challenger: None,
            challenger_wins: 0,
            front,
        }
    }

    /// Hears one block; returns the chord label in force after it.
    pub fn process(&mut self, block: &[f32], onset: Option<Onset>) -> Chord {
        let peak = self.front.push(block);
        let found = self.attacks.push(peak);
        self.blocks += 1;
        let since_attack = self.blocks - self.attack_block;
        if (found || onset.is_some())
            && (since_attack > self.refractory_blocks || self.attack_block == 0)
        {
            // The window restarts at the attack, so the old chord's tail does not smear the new one.
            let after = match onset {
                Some(o) => block.len().saturating_sub(o.offset as usize),
                None => block.len(),
            };
            let back = (after as f32 / self.decimation) as u64;
            self.attack_block = self.blocks;
            self.attack_sample = self.front.written().saturating_sub(back);
        }
        self.hop_phase += 1;
        if self.hop_phase >= self.blocks_per_hop {
            self.hop_phase = 0;
            self.analyse();
        }
        self.label
    }

    /// The chroma of the last analysis (12 pitch classes, C first; arbitrary units), e.g. for a monitor.
    pub fn chroma(&self) -> [f32; 12] {
        self.chroma.full
    }

    /// The pitch class of the lowest clear note of the last analysis, if one was heard.
    pub fn bass(&self) -> Option<u8> {
        self.chroma
            .bass
            .iter()
            .position(|&v| v > 0.0)
            .map(|pc| pc as u8)
    }

    fn analyse(&mut self) {
        let since = (self.front.written() - self.attack_sample) as usize;
        let fresh = since < HISTORY;
        let len = since.min(HISTORY);
        if len < self.min_window {
            return;
        }
        self.front.copy_last(len, self.spectrum.window_input());
        let chroma = self.spectrum.analyse(len);
        self.chroma = chroma;
        if chroma.power < SILENCE_POWER || chroma.peaks < 2 {
            self.adopt(None);
            return;
        }
        self.fitter.score(&chroma, &mut self.scores);
        let (best, best_score) =
            self.scores
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
                );
        let target = if best_score >= MIN_SCORE {
            Some(best)
        } else {
            None
        };
        let target_label = target.map(label_of).unwrap_or_default();
        if target_label == self.label {
            self.challenger = None;
            self.challenger_wins = 0;
            return;
        }
        let current = hypothesis_of(self.label)
            .and_then(|h| self.scores.get(h).copied())
            .unwrap_or(MIN_SCORE);
        let margin = best_score.max(MIN_SCORE) - current;
        if self.challenger == target {
            self.challenger_wins += 1;
        } else {
            self.challenger = target;
            self.challenger_wins = 1;
        }
        let switch = if fresh {
            margin > MARGIN_AFTER_ATTACK
        } else {
            margin > MARGIN_RINGING && self.challenger_wins >= PERSIST_RINGING
        };
        if switch {
            self.adopt(target);
        }
    }

    fn adopt(&mut self, hypothesis: Option<usize>) {
        self.label = hypothesis.map(label_of).unwrap_or(Chord {
            root: 0,
            quality: ChordQuality::None,
        });
        self.challenger = None;
        self.challenger_wins = 0;
    }
}
