//! From a window of the decimated signal to chroma: FFT, spectral peaks with interpolated frequency, pitch classes.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::background::Background;
use super::front::HISTORY;
use crate::listen::tuning::TuningEstimator;

/// Lowest frequency mapped to chroma: just under drop-D's low D (73 Hz). Lower (to drop C's 65 Hz) mains hum's
/// 60 Hz line and low rumble come into the band and cost more on standard-tuned takes than it gains.
const LOW_HZ: f32 = 70.0;
/// Highest frequency mapped to chroma: above it partials are dense and mostly repeat what lower ones said.
const HIGH_HZ: f32 = 2_000.0;

/// Newest samples of a window that tell whether the guitar still sounds (21 ms at 12 kHz).
pub const RECENT: usize = 256;
/// Most notes one window can hold (six strings and two to spare).
pub const MAX_NOTES: usize = 8;
/// Most spectral peaks kept per window (lowest first).
const MAX_PEAKS: usize = 96;
/// The semitone grid peaks are gathered on starts at D2: a guitar tuned down (E flat or D standard, drop D) sounds
/// below the E2 of standard tuning.
const GRID_LOW_MIDI: usize = 38;
/// Grid length: up to 2 kHz and a little more.
const GRID_LEN: usize = 62;
/// Candidate notes: D2 up to E5, the top string's 12th fret. Chords rarely reach higher, and what sounds there is
/// mostly an upper harmonic of a lower string (D3's 5th is F#5, E2's 10th G#5): read as notes, they would turn
/// power chords into major ones.
const NOTE_CANDIDATES: usize = 39;
/// Notes below this one (E2, standard tuning's low string) are read only with a peak at their fundamental: a
/// string tuned down sounds it, while in standard tuning the octave below a bass note is empty and a candidate
/// there would take the note's harmonics for its own.
const STANDARD_LOW_MIDI: usize = 40;
/// Semitones above a note of its 5th and 7th harmonics (a major third and a minor seventh, two octaves up): a
/// candidate there is that partial left over by the cancellation rather than a string, which would turn a power
/// chord into a major one or a major into a dominant seventh.
const OVERTONE_NOT_NOTE: [usize; 2] = [28, 34];
/// Semitones above a note of its 3rd harmonic (a fifth, an octave up). A candidate there is that partial once the
/// window is full: the fifth's 3rd harmonic would read as a ninth (G3's D5 over a C power chord makes G sus4 of it,
/// most of all when a thin tone has cut the root's fundamental), the third's as a seventh. Shorter windows keep it:
/// there the lower note itself may be misread, and the partial may be all that shows a string's pitch class.
const THIRD_HARMONIC: usize = 19;
/// Semitones above a note of its harmonics 1..=8.
const HARMONIC_SEMITONES: [usize; 8] = [0, 12, 19, 24, 28, 31, 34, 36];
/// Weights of harmonics 1..=8 in a note's salience; falling, so a note an octave too low does not win.
const HARMONIC_WEIGHTS: [f32; 8] = [1.0, 0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55];

/// Lowest note that must show a peak at its fundamental to be read (D3): below it the fundamental may not stand
/// apart from its neighbours, and a low string's fundamental can be weak.
const FUNDAMENTAL_NEEDED_FROM_MIDI: usize = 50;
/// Shortest window (in decimated samples, 85 ms) whose peaks resolve every fundamental from D3 up.
const FUNDAMENTAL_WINDOW: usize = HISTORY / 2;
/// Share of a window shorter than [`FUNDAMENTAL_WINDOW`] over which its weight rises; it falls over the rest.
const LEAN_RISE: f32 = 0.65;
/// A peak is a note's only if it stands this many times above the steady background in its bin (3.5 dB): mains hum
/// and other steady lines are no notes, while a string struck over them is.
const ABOVE_BACKGROUND: f32 = 1.5;

/// A peak of a full window must stand this many times above the band's median magnitude (12 dB).
const ABOVE_MEDIAN: f32 = 4.0;
/// A window whose strongest peak stands less than this many times above the band's median magnitude (12 dB) is
/// noise: white noise's largest bin stands about 3 times (10 dB) above its median, a string's partials 30 dB and more
/// (a distorted chord's dense partials, in a short window, 15 dB and more).
const NOISE_CREST: f32 = 4.0;

/// Tunable settings of the transcription.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectrumParams {
    /// Exponent applied to peak magnitudes (relative to the strongest): below 1 lifts quiet strings.
    pub peak_exponent: f32,
    /// Exponent applied to note saliences before they vote: below 1 lifts notes left ringing from earlier plucks.
    pub note_exponent: f32,
    /// A note weaker than this share of the strongest one is not heard.
    pub note_floor: f32,
    /// The bass is the lowest note at least this share of the strongest one.
    pub bass_floor: f32,
    /// Most notes read from one window (six strings).
    pub max_notes: usize,
    /// 1 removes a found note's partials only down to its smooth envelope; 0 removes them entirely.
    pub smoothness: f32,
}

impl Default for SpectrumParams {
    fn default() -> Self {
        Self {
            peak_exponent: 0.5,
            note_exponent: 1.0,
            note_floor: 0.1,
            bass_floor: 0.3,
            max_notes: 6,
            smoothness: 0.5,
        }
    }
}

/// Chroma of one analysis window.
#[derive(Clone, Copy, Debug, Default)]
pub struct Chroma {
    /// Energy per pitch class (C = 0) over the whole range.
    pub full: [f32; 12],
    /// The lowest clear note's pitch class (1.0 there, 0 elsewhere).
    pub bass: [f32; 12],
    /// Mean-square level of the window.
    pub power: f32,
    /// Mean-square level of the window's newest [`RECENT`] samples: whether anything sounds now, after a damp.
    pub recent_power: f32,
    /// Number of notes heard.
    pub peaks: u32,
    /// The notes heard, strongest first: MIDI number and salience relative to the strongest (first `peaks`).
    pub notes: [(u8, f32); MAX_NOTES],
}

/// FFT plan and buffers, all made in `new`.
pub struct Spectrum {
    fft: Arc<dyn RealToComplex<f32>>,
    hann: Vec<f32>,
    input: Vec<f32>,
    bins: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    mags: Vec<f32>,
    sorted: Vec<f32>,
    peaks: Vec<(f32, f32)>,
    grid: Vec<f32>,
    /// The instrument's offset from A = 440 Hz, learnt from the peaks of long windows.
    tuning: TuningEstimator,
    /// Decimated sample index of the last window the tuning learnt from.
    tuning_heard: u64,
    rate: f32,
    background: Background,
    bin_hz: f32,
    low_bin: usize,
    high_bin: usize,
}

impl Spectrum {
    pub fn new(rate: f32) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(HISTORY);
        let input = fft.make_input_vec();
        let bins = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        // A periodic Hann table, read with a stride for shorter windows.
        let hann = (0..HISTORY)
            .map(|i| 0.5 - 0.5 * (2.0 * core::f32::consts::PI * i as f32 / HISTORY as f32).cos())
            .collect();
        let bin_hz = rate / HISTORY as f32;
        let high_bin = ((HIGH_HZ / bin_hz) as usize + 2).min(HISTORY / 2 - 1);
        let low_bin = ((LOW_HZ / bin_hz) as usize).max(2).min(high_bin);
        Self {
            fft,
            hann,
            input,
            bins,
            scratch,
            mags: vec![0.0; HISTORY / 2 + 1],
            sorted: vec![0.0; HISTORY / 2 + 1],
            peaks: vec![(0.0, 0.0); MAX_PEAKS],
            grid: vec![0.0; GRID_LEN],
            tuning: TuningEstimator::new(),
            tuning_heard: 0,
            rate,
            background: Background::new(HISTORY / 2 + 1, rate),
            bin_hz,
            low_bin,
            high_bin,
        }
    }

    /// Tells the background watch of an attack `now` decimated samples into the stream.
    pub fn attack(&mut self, now: u64) {
        self.background.attack(now);
    }

    /// Window input: the caller fills `window_input()[..len]` with the newest `len` samples, oldest first.
    pub fn window_input(&mut self) -> &mut [f32] {
        &mut self.input
    }

    /// Analyses the first `len` samples of the window input (zero-padding the rest), `now` decimated samples into
    /// the stream.
    pub fn analyse(&mut self, len: usize, now: u64, params: &SpectrumParams) -> Chroma {
        let len = len.clamp(16, HISTORY);
        let mut power = 0.0f32;
        // The Hann table is read with a fixed-point stride, so a window of any length costs no division per sample.
        let step = (HISTORY << 16) / len;
        // A short window (it starts at an attack) leans toward its newest samples: half a Hann window rising over
        // LEAN_RISE of it, the other half falling over the rest. There the strum's last strings (often the third, on
        // top) have sounded and the previous chord's ring has decayed, while its oldest part holds only the first
        // strings over that ring. From FUNDAMENTAL_WINDOW on every string has sounded and the plain window is kept.
        let lean = len < FUNDAMENTAL_WINDOW;
        let rise = ((len as f32 * LEAN_RISE) as usize).clamp(1, len - 1);
        let rise_step = ((HISTORY / 2) << 16) / rise;
        let fall_step = ((HISTORY / 2) << 16) / (len - rise);
        let (head, tail) = self.input.split_at_mut(len.min(HISTORY));
        let recent_from = len.saturating_sub(RECENT);
        let mut recent_power = 0.0f32;
        for (i, x) in head.iter_mut().enumerate() {
            power += *x * *x;
            if i >= recent_from {
                recent_power += *x * *x;
            }
            let at = if !lean {
                (i * step) >> 16
            } else if i < rise {
                (i * rise_step) >> 16
            } else {
                ((len - i) * fall_step) >> 16
            };
            *x *= self.hann.get(at).copied().unwrap_or(0.0);
        }
        tail.iter_mut().for_each(|x| *x = 0.0);
        power /= len as f32;
        let mut chroma = Chroma {
            power,
            recent_power: recent_power / (len - recent_from).max(1) as f32,
            ..Chroma::default()
        };
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.bins, &mut self.scratch)
            .is_err()
        {
            return chroma;
        }
        let (lo, hi) = (self.low_bin, self.high_bin);
        // A peak must dominate half a main lobe each side, so side lobes and ripple of short windows do not count.
        let reach = (HISTORY / len).clamp(1, 16);
        // Magnitudes are needed only in the band and as far beyond it as a peak test looks.
        let last = (hi + reach).min(self.mags.len() - 1);
        let first = lo.saturating_sub(reach);
        for k in first..=last {
            let v = self.bins.get(k).map(|c| c.norm_sqr().sqrt()).unwrap_or(0.0);
            if let Some(m) = self.mags.get_mut(k) {
                *m = if v.is_finite() { v } else { 0.0 };
            }
        }
        if len >= HISTORY {
            // Only full windows teach the background: all of one resolution, so a steady line reads the same each time.
            self.background.learn(&self.mags, first, last, len, now);
        } else {
            self.background.watch_attack(&self.mags, first, last, len);
        }
        let Some(band) = self.mags.get(lo..=hi) else {
            return chroma;
        };
        // The noise floor is the band's median magnitude; a peak must stand well above it and within 40 dB of the top.
        // Every other bin is enough to place the median, at half the cost. A window shorter than the transform is
        // zero-padded: each partial's main lobe spans HISTORY / len bins, and in a chord's dense spectrum (a
        // distorted or bright one most of all, and low strings whose partials lie close) the skirts of neighbouring
        // partials fill the valleys between them, so the median there is the partials' own, not noise. The margin
        // above it shrinks with the square root of the lobe width: a short window after an attack keeps the
        // partials that a full window would show standing clear.
        let mut n = 0;
        for (slot, &m) in self.sorted.iter_mut().zip(band.iter().step_by(2)) {
            *slot = m;
            n += 1;
        }
        let Some(sorted) = self.sorted.get_mut(..n) else {
            return chroma;
        };
        let (_, median, _) = sorted.select_nth_unstable_by(n / 2, |a, b| a.total_cmp(b));
        let median = *median;
        let top = band.iter().fold(0.0f32, |a, &b| a.max(b));
        if top <= 1e-12 || top < NOISE_CREST * median {
            // No line stands out of the band: noise (hiss, a scrape, a touched cable), however loud, holds no notes.
            return chroma;
        }
        let smear = (len as f32 / HISTORY as f32).sqrt();
        let threshold = (ABOVE_MEDIAN * smear * median).max(top * 0.01);
        let mut count = 0;
        let mut top_note = 0.0f32;
        for k in lo..=hi {
            let b = self.mags.get(k).copied().unwrap_or(0.0);
            if b <= threshold {
                continue;
            }
            let lo_k = k.saturating_sub(reach).max(first);
            let hi_k = (k + reach).min(last);
            let mut is_peak = true;
            for j in lo_k..=hi_k {
                let m = self.mags.get(j).copied().unwrap_or(0.0);
                if (j < k && m >= b) || (j > k && m > b) {
                    is_peak = false;
                    break;
                }
            }
            if !is_peak {
                continue;
            }
            // The steady background there (in this window's scale); the peak's own part of the power is what
            // stands above it.
            let floor = self.background.level(k) * len as f32;
            if b < ABOVE_BACKGROUND * floor {
                continue;
            }
            let own = (b * b - floor * floor).max(0.0).sqrt();
            // Parabolic interpolation on log magnitude for the true frequency.
            let a = self.mags.get(k - 1).copied().unwrap_or(0.0).max(1e-20).ln();
            let c = self.mags.get(k + 1).copied().unwrap_or(0.0).max(1e-20).ln();
            let lb = b.ln();
            let denom = a - 2.0 * lb + c;
            let p = if denom.abs() > 1e-12 {
                (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let hz = (k as f32 + p) * self.bin_hz;
            if !(LOW_HZ..=HIGH_HZ).contains(&hz) {
                continue;
            }
            if let Some(slot) = self.peaks.get_mut(count) {
                *slot = (hz, own);
                top_note = top_note.max(own);
                count += 1;
            }
        }
        if top_note <= 1e-12 {
            return chroma;
        }
        for (_, weight) in self.peaks.iter_mut().take(count) {
            // Compressed magnitude: loud low strings must not drown the thin top strings that carry the third.
            *weight = (*weight / top_note).powf(params.peak_exponent);
        }
        let resolved = len >= FUNDAMENTAL_WINDOW;
        if resolved {
            // Only long windows place peaks finely enough to show a few cents of detuning.
            let seconds = now.saturating_sub(self.tuning_heard) as f32 / self.rate;
            self.tuning
                .hear(self.peaks.get(..count).unwrap_or(&[]), seconds.min(1.0));
            self.tuning_heard = now;
        }
        let settled = len >= HISTORY;
        self.transcribe(count, resolved, settled, params, &mut chroma);
        chroma
    }

    /// Finds the notes that explain the peaks, strongest first (iterative estimation and cancellation, after
    /// Klapuri): each candidate note's salience is the weighted sum of the peaks at its harmonics; the winner
    /// votes for its pitch class and its harmonics are removed before the next round. A string then counts once,
    /// and its 3rd, 5th and 7th harmonics do not pass for a fifth, a third and a seventh. `resolved` and `settled`
    /// tell a window long enough to show every fundamental from D3 up, and a full one.
    fn transcribe(
        &mut self,
        count: usize,
        resolved: bool,
        settled: bool,
        params: &SpectrumParams,
        chroma: &mut Chroma,
    ) {
        self.grid.iter_mut().for_each(|v| *v = 0.0);
        for &(hz, weight) in self.peaks.iter().take(count) {
            let midi = 69.0 + 12.0 * (hz / 440.0).log2() - self.tuning.semitones();
            let index = midi.round() - GRID_LOW_MIDI as f32;
            if index >= 0.0
                && let Some(v) = self.grid.get_mut(index as usize)
            {
                *v += weight;
            }
        }
        let mut first = 0.0f32;
        let mut lowest_note = usize::MAX;
        // Notes read so far; unused slots sit far above the grid, so no candidate is one of their overtones.
        let mut found = [usize::MAX / 2; MAX_NOTES];
        for _ in 0..params.max_notes.min(MAX_NOTES) {
            let mut best = (0usize, 0.0f32);
            for n in 0..NOTE_CANDIDATES {
                let midi = n + GRID_LOW_MIDI;
                if found.contains(&n) {
                    // A note counts once: what its cancellation left behind is its own, not a second string.
                    continue;
                }
                let heard = |i: usize| self.grid.get(i).is_some_and(|&v| v > 0.0);
                let below_standard = midi < STANDARD_LOW_MIDI;
                if (below_standard || resolved && midi >= FUNDAMENTAL_NEEDED_FROM_MIDI) && !heard(n)
                {
                    // A string from the middle of the neck up always sounds its fundamental: a candidate with none
                    // there is a coincidence of other notes' upper partials (B3 from the 8th harmonic of B over
                    // C3's 15th and G3's 10th in a distorted C5).
                    continue;
                }
                if below_standard && !heard(n + 12) {
                    // A string tuned below E2 is read only where its octave sounds too: a lone low peak is rumble or
                    // a distorted chord's difference tone, not a string, and a short window's smearing of E2's
                    // fundamental into D#2 does not move E3 into D#3. Short windows count: a guitar tuned down
                    // (D standard, drop D) would otherwise lose its root as the bass for the first 85 ms of each
                    // chord, and the next string up (the fifth) would pass for it.
                    continue;
                }
                if resolved
                    && found
                        .iter()
                        .any(|&f| OVERTONE_NOT_NOTE.iter().any(|&o| f + o == n))
                {
                    // Once the window is long enough that the strings' own fundamentals stand out, the 5th or 7th
                    // harmonic of a note already read is that note's, not another string's. Short windows after
                    // an attack keep it: there it often doubles the real third (C3's 5th is E4's octave in C major).
                    continue;
                }
                if settled && found.iter().any(|&f| f + THIRD_HARMONIC == n) {
                    // A full window over a ringing chord: the 3rd harmonic of a note already read is that note's.
                    continue;
                }
                let mut salience = 0.0;
                for (&offset, &w) in HARMONIC_SEMITONES.iter().zip(HARMONIC_WEIGHTS.iter()) {
                    salience += w * self.grid.get(n + offset).copied().unwrap_or(0.0);
                }
                if salience > best.1 {
                    best = (n, salience);
                }
            }
            let (note, salience) = best;
            if first == 0.0 {
                first = salience;
            }
            if salience <= 1e-9 || salience < params.note_floor * first {
                break;
            }
            // Spectral smoothness (Klapuri): a partial is removed only down to the level of its neighbours in the
            // note's own series, so a partial shared with another note (the fifth's octave is the root's third
            // harmonic) keeps what the other note put there.
            let mut levels = [0.0f32; HARMONIC_SEMITONES.len()];
            for (level, &offset) in levels.iter_mut().zip(HARMONIC_SEMITONES.iter()) {
                *level = self.grid.get(note + offset).copied().unwrap_or(0.0);
            }
            for (h, &offset) in HARMONIC_SEMITONES.iter().enumerate() {
                let lo = h.saturating_sub(1);
                let hi = (h + 1).min(levels.len() - 1);
                let neighbourhood = levels.get(lo..=hi).unwrap_or(&[]);
                let smooth = neighbourhood.iter().sum::<f32>() / neighbourhood.len().max(1) as f32;
                if let Some(v) = self.grid.get_mut(note + offset) {
                    *v -= v.min(smooth * params.smoothness + *v * (1.0 - params.smoothness));
                }
            }
            let pc = (note + GRID_LOW_MIDI) % 12;
            if let Some(v) = chroma.full.get_mut(pc) {
                *v += (salience / first).powf(params.note_exponent);
            }
            if let Some(slot) = chroma.notes.get_mut(chroma.peaks as usize) {
                *slot = ((note + GRID_LOW_MIDI) as u8, salience / first);
            }
            if note < lowest_note && salience >= params.bass_floor * first {
                lowest_note = note;
            }
            if let Some(slot) = found.get_mut(chroma.peaks as usize) {
                *slot = note;
            }
            chroma.peaks += 1;
        }
        if lowest_note != usize::MAX
            && let Some(v) = chroma.bass.get_mut((lowest_note + GRID_LOW_MIDI) % 12)
        {
            *v = 1.0;
        }
    }
}
