//! Chord recognition: notes transcribed from spectral peaks, folded to chroma, fitted to chord templates, and a
//! label held while the chord rings.
//!
//! The input is low-passed and decimated to about 12 kHz ([`front`]). Every few blocks the samples since the last
//! attack (up to 170 ms) are windowed and transformed; the spectral peaks are explained as notes, strongest first,
//! each with its harmonics, and the notes vote for their pitch classes ([`spectrum`]). Each of the 84 chords
//! (7 qualities x 12 roots) is scored by the chroma on its tones, its missing tones, the chroma outside it, and
//! whether its root is the bass note ([`templates`]). The label changes only when another chord wins by a margin;
//! silence, noise and a single note are "no chord".

mod background;
mod front;
mod spectrum;
mod templates;

use front::{AttackFinder, Front, HISTORY};
pub use spectrum::SpectrumParams;
use spectrum::{RECENT, Spectrum};
pub use templates::FitParams;
use templates::{Fitter, HYPOTHESES, hypothesis_of, label_of};

/// Share of the strongest pitch class from which a pitch class new to the chord in force means a new chord.
const NEWCOMER: f32 = 0.4;

/// Index of "no chord" among the scored hypotheses, after the chords.
const NO_CHORD: usize = HYPOTHESES;

use super::{BLOCK, Chord, Onset};

/// Mean-square level (of the band-limited signal) below which the guitar is silent: about -66 dBFS RMS.
const SILENCE_POWER: f32 = 2.5e-7;
/// The same once a chord is heard, 20 dB lower: a chord ringing out stays a chord while its notes stand out of the
/// noise (a gate with hysteresis).
const HELD_SILENCE_POWER: f32 = SILENCE_POWER * 0.01;

/// Every tunable of the tracker, with the defaults measured on the development takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChordParams {
    /// Seconds between analyses while the window still starts at an attack (rounded to whole blocks: 4 at 48 kHz,
    /// 2 at 22.05 kHz, 8 at 96 kHz). In seconds, not blocks: at a low sample rate a block lasts longer, and a fixed
    /// count of blocks would leave a new chord unread for twice as long.
    pub hop_s: f32,
    /// Seconds between analyses once the window is full and slides over a ringing chord: the label rarely changes
    /// then, so fewer analyses save CPU where it costs least latency.
    pub ringing_hop_s: f32,
    /// Shortest window after an attack worth analysing, in seconds: shorter ones cannot separate semitones.
    pub min_window_s: f32,
    /// Attacks closer than this to the previous one belong to the same strum and do not restart the window.
    pub refractory_s: f32,
    /// A chord needs at least this score, else the sound is noise or unlike any chord.
    pub min_score: f32,
    /// Margin a new label needs over the current one in a window that starts at a fresh attack.
    pub margin_after_attack: f32,
    /// Margin a new label needs while the window slides over a ringing chord (no attack seen).
    pub margin_ringing: f32,
    /// Share of the way the smoothed scores move toward a full-length analysis's scores after an attack.
    pub rate_after_attack: f32,
    /// The same while the chord rings with no attack in the window.
    pub rate_ringing: f32,
    /// A window started at an attack whose best chord beats the current label by this much (in that analysis
    /// alone) switches at once and the smoothed evidence restarts from it: a clear new chord need not wait for the
    /// old one's evidence to fade, while a re-strum of the same chord, or an unclear one, goes through smoothing.
    pub switch_margin: f32,
    /// Once an attack has switched the label, the margin by which a later, longer window of the same attack
    /// replaces it. Small: the first switch took a clear margin, and each longer window hears more of the strum (its
    /// last strings, finer frequencies), so its own reading is the better one; a large margin keeps a first guess
    /// made on part of the strum (a power chord before the third has sounded) for another few analyses.
    pub refine_margin: f32,
    /// How long a chord label outlives silence or noise, in seconds: a rest between chugs or strums keeps the
    /// chord; only a longer silence clears it.
    pub hold_silence_s: f32,
    /// Whether the tracker also restarts its window on attacks it finds itself (for use without an onset detector).
    pub own_attacks: bool,
    /// How notes are read from the spectrum.
    pub spectrum: SpectrumParams,
    /// How chroma is fitted to chords.
    pub fit: FitParams,
}

impl Default for ChordParams {
    fn default() -> Self {
        Self {
            hop_s: 256.0 / 48_000.0,
            ringing_hop_s: 512.0 / 48_000.0,
            min_window_s: 0.040,
            refractory_s: 0.060,
            min_score: 0.3,
            margin_after_attack: 0.02,
            margin_ringing: 0.05,
            rate_after_attack: 0.5,
            rate_ringing: 0.2,
            switch_margin: 0.5,
            refine_margin: 0.02,
            hold_silence_s: 0.5,
            own_attacks: true,
            spectrum: SpectrumParams::default(),
            fit: FitParams::default(),
        }
    }
}

/// Per-block chord tracker.
///
/// # Examples
///
/// ```
/// use agents::listen::{BLOCK, ChordQuality, chord::ChordTracker};
///
/// let mut tracker = ChordTracker::new(48_000.0);
/// let silence = [0.0f32; BLOCK];
/// let chord = tracker.process(&silence, None);
/// assert_eq!(chord.quality, ChordQuality::None);
/// ```
pub struct ChordTracker {
    params: ChordParams,
    front: Front,
    attacks: AttackFinder,
    spectrum: Spectrum,
    fitter: Fitter,
    /// This analysis's score per hypothesis (chords, then no chord).
    frame: [f32; HYPOTHESES + 1],
    /// Scores smoothed over analyses; the label follows these.
    smoothed: [f32; HYPOTHESES + 1],
    hop_phase: u32,
    /// The two hops in blocks at this sample rate.
    hop_blocks: u32,
    ringing_hop_blocks: u32,
    refractory_blocks: u64,
    min_window: usize,
    decimation: f32,
    blocks: u64,
    /// Block and decimated sample index of the last attack that started a window.
    attack_block: u64,
    attack_sample: u64,
    label: Chord,
    chroma: spectrum::Chroma,
    /// The pitch classes clear in the last analysis.
    clear: [bool; 12],
    /// Whether the label was switched in the window of the current attack.
    switched_at_attack: bool,
    /// Whether the current window was started by an attack the onset detector reported.
    onset_window: bool,
    /// Block of the last analysis that heard a chord, or a single tone of the chord in force.
    last_heard_block: u64,
    hold_blocks: u64,
}

impl ChordTracker {
    /// Builds the tracker for `sample_rate` with the default settings; plans the FFT and allocates every buffer.
    pub fn new(sample_rate: f32) -> Self {
        Self::with_params(sample_rate, ChordParams::default())
    }

    /// Builds the tracker with explicit settings (for tuning and tests).
    pub fn with_params(sample_rate: f32, params: ChordParams) -> Self {
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
            fitter: Fitter::new(params.fit),
            frame: [0.0; HYPOTHESES + 1],
            smoothed: [0.0; HYPOTHESES + 1],
            hop_phase: 0,
            hop_blocks: blocks_of(params.hop_s, block_rate),
            ringing_hop_blocks: blocks_of(params.ringing_hop_s, block_rate),
            refractory_blocks: (params.refractory_s * block_rate) as u64,
            min_window: (params.min_window_s * rate) as usize,
            decimation: sample_rate / rate,
            blocks: 0,
            attack_block: 0,
            attack_sample: 0,
            label: Chord::default(),
            chroma: spectrum::Chroma::default(),
            last_heard_block: 0,
            switched_at_attack: false,
            onset_window: false,
            clear: [false; 12],
            hold_blocks: (params.hold_silence_s.max(0.0) * block_rate) as u64,
            front,
            params,
        }
    }

    /// The settings in force.
    pub fn params(&self) -> ChordParams {
        self.params
    }

    /// Hears one block; returns the chord label in force after it.
    pub fn process(&mut self, block: &[f32], onset: Option<Onset>) -> Chord {
        let peak = self.front.push(block);
        let found = self.attacks.push(peak) && self.params.own_attacks;
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
            self.onset_window = onset.is_some();
            self.spectrum.attack(self.front.written());
            self.switched_at_attack = false;
        }
        self.hop_phase += 1;
        let fresh = self.front.written() - self.attack_sample < HISTORY as u64;
        let hop = if fresh {
            self.hop_blocks
        } else {
            self.ringing_hop_blocks
        };
        if self.hop_phase >= hop {
            self.hop_phase = 0;
            self.analyse();
        }
        self.label
    }

    /// The chroma of the last analysis (12 pitch classes, C first; 0..1 per note), e.g. for a monitor.
    pub fn chroma(&self) -> [f32; 12] {
        self.chroma.full
    }

    /// The notes read in the last analysis, strongest first: MIDI number and salience relative to the strongest.
    pub fn notes(&self) -> &[(u8, f32)] {
        self.chroma
            .notes
            .get(..self.chroma.peaks as usize)
            .unwrap_or(&[])
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
        let chroma = self
            .spectrum
            .analyse(len, self.front.written(), &self.params.spectrum);
        self.chroma = chroma;
        let p = self.params;
        let current = hypothesis_of(self.label).unwrap_or(NO_CHORD);
        // An attack the onset detector reported is a note however softly played: its window is gated like a chord
        // that rings, so a quiet player's strums (40 dB down) are read. Sound with no reported attack still has to
        // clear the absolute gate, and noise, however loud, fails the spectrum's crest test either way.
        let gate = if current == NO_CHORD && !(fresh && self.onset_window) {
            SILENCE_POWER
        } else {
            HELD_SILENCE_POWER
        };
        let quiet = chroma.power.min(chroma.recent_power) < gate || chroma.peaks < 1;
        let single = !quiet && self.fitter.clear_pitch_classes(&chroma) < 2;
        let newcomer = self.newcomer(&chroma, current, quiet || single);
        if newcomer && !fresh && self.blocks - self.attack_block > self.refractory_blocks {
            // A pitch class foreign to the chord has just risen in a window that slides over a ringing chord: a
            // new chord struck with no attack heard (its level no higher than the old one's). The window restarts
            // just before, so the next analyses hear the newcomer alone.
            self.attack_block = self.blocks;
            self.attack_sample = self
                .front
                .written()
                .saturating_sub(self.min_window as u64 + RECENT as u64 / 2);
            self.switched_at_attack = false;
            self.onset_window = false;
            return;
        }
        if current != NO_CHORD {
            if quiet {
                // A rest: the chord is still the harmony until the silence outlasts the hold.
                if self.blocks - self.last_heard_block <= self.hold_blocks {
                    return;
                }
                self.label = Chord::default();
                self.set_no_chord_frame();
                self.smoothed = self.frame;
                return;
            }
            let tone = Fitter::strongest_pitch_class(&chroma);
            // No attack in the window and the newest part no louder than the whole: the sound only dies away.
            let decaying = !fresh && chroma.recent_power <= chroma.power;
            if single
                && tone.is_some_and(|pc| {
                    pc == current % 12 || (decaying && templates::has_tone(current, pc))
                })
            {
                // Nothing contradicts the chord: its root alone (a chug on the bass string, the doubled root ringing
                // longest), or any of its tones dying away with nothing new in the window. Another single note,
                // or one that brings new energy, may be a melody line and goes through the smoothing.
                self.last_heard_block = self.blocks;
                return;
            }
        }
        if quiet || single {
            // Silence, noise or a single note: every chord scores nothing and "no chord" scores fully.
            self.set_no_chord_frame();
        } else {
            self.last_heard_block = self.blocks;
            let mut chords = [0.0f32; HYPOTHESES];
            self.fitter.score(&chroma, &mut chords);
            for (f, c) in self.frame.iter_mut().zip(chords.iter()) {
                *f = *c;
            }
            if let Some(none) = self.frame.get_mut(NO_CHORD) {
                *none = p.min_score;
            }
        }
        if fresh {
            // Only chords switch at once: a single note under a ringing chord (an arpeggio) must not clear it.
            let (best, best_score) = argmax(self.frame.get(..NO_CHORD).unwrap_or(&[]));
            let current_score = self.frame.get(current).copied().unwrap_or(0.0);
            // Once this attack has switched the label, each longer window of the same strum sees more of it (the
            // last strings, the thirds on top): its own best chord replaces the first guess on a small margin.
            let margin = if self.switched_at_attack {
                p.refine_margin
            } else {
                p.switch_margin
            };
            if best != current && best_score > p.min_score && best_score > current_score + margin {
                self.smoothed = self.frame;
                self.label = label_of(best);
                self.switched_at_attack = true;
                return;
            }
        }
        // Evidence is smoothed over analyses, more quickly in a fresh window after an attack (the chord may have
        // changed) and in proportion to the window's length (short windows blur semitones).
        let reliability = len as f32 / HISTORY as f32;
        let rate = if fresh {
            p.rate_after_attack
        } else {
            p.rate_ringing
        } * reliability;
        let rate = rate.clamp(0.0, 1.0);
        for (s, f) in self.smoothed.iter_mut().zip(self.frame.iter()) {
            *s += rate * (f - *s);
            if !s.is_finite() {
                *s = 0.0;
            }
        }
        let (best, best_score) = argmax(&self.smoothed);
        if best == current {
            return;
        }
        let current_score = self.smoothed.get(current).copied().unwrap_or(0.0);
        let margin = if fresh {
            p.margin_after_attack
        } else {
            p.margin_ringing
        };
        if best_score > current_score + margin {
            self.label = label_of(best);
        }
    }
}

impl ChordTracker {
    /// Whether a clear pitch class outside the chord in force appears in this analysis that was not clear in the
    /// previous one; remembers this analysis's clear pitch classes.
    fn newcomer(&mut self, chroma: &spectrum::Chroma, current: usize, unclear: bool) -> bool {
        let top = chroma.full.iter().fold(0.0f32, |a, &b| a.max(b));
        let mut found = false;
        for (pc, (&v, was)) in chroma.full.iter().zip(self.clear.iter_mut()).enumerate() {
            let clear = !unclear && top > 1e-12 && v >= NEWCOMER * top;
            if clear && !*was && current != NO_CHORD && !templates::has_tone(current, pc) {
                found = true;
            }
            *was = clear;
        }
        found
    }

    /// This analysis heard no chord: every chord scores nothing and "no chord" scores fully.
    fn set_no_chord_frame(&mut self) {
        self.frame.iter_mut().for_each(|v| *v = 0.0);
        if let Some(none) = self.frame.get_mut(NO_CHORD) {
            *none = 1.0;
        }
    }
}

/// A duration in whole blocks at `block_rate`, at least one.
fn blocks_of(seconds: f32, block_rate: f32) -> u32 {
    let blocks = (seconds * block_rate).round();
    if blocks.is_finite() && blocks >= 1.0 {
        blocks.min(u32::MAX as f32) as u32
    } else {
        1
    }
}

/// Index and value of the largest score ("no chord" when the slice is empty).
fn argmax(scores: &[f32]) -> (usize, f32) {
    scores
        .iter()
        .copied()
        .enumerate()
        .fold(
            (NO_CHORD, f32::MIN),
            |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
        )
}
