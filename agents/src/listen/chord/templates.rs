//! Chord hypotheses and how well a chroma fits each: tones present, tones missing, tones that should not be there.

use super::spectrum::Chroma;
use crate::listen::{Chord, ChordQuality};

/// Qualities with their intervals above the root, in semitones.
const QUALITIES: [(ChordQuality, &[usize]); 7] = [
    (ChordQuality::Major, &[0, 4, 7]),
    (ChordQuality::Minor, &[0, 3, 7]),
    (ChordQuality::Dominant7, &[0, 4, 7, 10]),
    (ChordQuality::Major7, &[0, 4, 7, 11]),
    (ChordQuality::Minor7, &[0, 3, 7, 10]),
    (ChordQuality::Sus4, &[0, 5, 7]),
    (ChordQuality::Power, &[0, 7]),
];

/// Hypotheses: every quality on every root.
pub const HYPOTHESES: usize = QUALITIES.len() * 12;

/// Weights of the fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitParams {
    /// A chord tone weaker than this share of the strongest pitch class counts as (partly) missing.
    pub presence: f32,
    /// Cost of a chord tone wholly missing; one short of `presence` costs in proportion.
    pub missing_cost: f32,
    /// Cost per unit of energy on pitch classes outside the chord.
    pub outside_cost: f32,
    /// Bonus when the chord's root is the lowest clear note.
    pub bass_bonus: f32,
    /// A second pitch class weaker than this share of the strongest leaves a single note: no chord.
    pub chord_floor: f32,
}

impl Default for FitParams {
    fn default() -> Self {
        Self {
            presence: 0.3,
            missing_cost: 0.3,
            outside_cost: 0.7,
            bass_bonus: 0.3,
            chord_floor: 0.2,
        }
    }
}

/// Scores chroma against every hypothesis.
pub struct Fitter {
    params: FitParams,
}

impl Fitter {
    pub fn new(params: FitParams) -> Self {
        Self { params }
    }

    /// How many pitch classes reach `chord_floor` of the strongest: a chord needs two at least.
    pub fn clear_pitch_classes(&self, chroma: &Chroma) -> usize {
        let top = chroma.full.iter().fold(0.0f32, |a, &b| a.max(b));
        chroma
            .full
            .iter()
            .filter(|&&v| top > 1e-12 && v >= self.params.chord_floor * top)
            .count()
    }

    /// The strongest pitch class of `chroma`, if any sounds.
    pub fn strongest_pitch_class(chroma: &Chroma) -> Option<usize> {
        let (pc, top) = chroma
            .full
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, 0.0f32),
                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
            );
        (top > 1e-12).then_some(pc)
    }

    /// Scores every hypothesis into `scores` (higher is better; about 0..1.5) for a chroma scaled to a maximum of 1.
    pub fn score(&self, chroma: &Chroma, scores: &mut [f32; HYPOTHESES]) {
        let top = chroma.full.iter().fold(0.0f32, |a, &b| a.max(b));
        let mut c = [0.0f32; 12];
        if top > 1e-12 {
            for (v, &x) in c.iter_mut().zip(chroma.full.iter()) {
                *v = x / top;
            }
        }
        let total: f32 = c.iter().sum();
        let p = &self.params;
        for (h, score) in scores.iter_mut().enumerate() {
            let root = h % 12;
            let Some((_, intervals)) = QUALITIES.get(h / 12) else {
                continue;
            };
            let mut inside = 0.0;
            let mut missing = 0.0;
            for &i in intervals.iter() {
                let v = c.get((root + i) % 12).copied().unwrap_or(0.0);
                inside += v;
                missing += ((p.presence - v) / p.presence.max(1e-6)).max(0.0);
            }
            let outside = total - inside;
            let bass = chroma.bass.get(root).copied().unwrap_or(0.0);
            *score = inside / total.max(1e-12)
                - p.missing_cost * missing
                - p.outside_cost * outside / total.max(1e-12)
                + p.bass_bonus * bass;
        }
    }
}

/// Whether pitch class `pc` is one of the tones of chord `hypothesis`.
pub fn has_tone(hypothesis: usize, pc: usize) -> bool {
    let root = hypothesis % 12;
    QUALITIES
        .get(hypothesis / 12)
        .is_some_and(|(_, intervals)| intervals.iter().any(|&i| (root + i) % 12 == pc % 12))
}

/// The chord a hypothesis stands for.
pub fn label_of(hypothesis: usize) -> Chord {
    let quality = QUALITIES
        .get(hypothesis / 12)
        .map(|q| q.0)
        .unwrap_or(ChordQuality::None);
    Chord {
        root: if quality == ChordQuality::None {
            0
        } else {
            (hypothesis % 12) as u8
        },
        quality,
    }
}

/// The hypothesis index of a chord label, if it is one.
pub fn hypothesis_of(chord: Chord) -> Option<usize> {
    let q = QUALITIES.iter().position(|(q, _)| *q == chord.quality)?;
    Some(q * 12 + (chord.root as usize % 12))
}
