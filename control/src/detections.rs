//! Rendered channels → the detection JSON that `guitar-dev/score.py` reads.
//!
//! Times are when the server knew: an event or value of block `b` is reported at the end of that block,
//! `(b + 1) * 64 / sample_rate`, never back-dated to the sample inside the block.

use crate::nrt::BLOCK;
use serde_json::{Value, json};

/// Chord roots, C = 0, spelled with sharps.
const ROOTS: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];
/// `PerfListen`'s chord quality numbers 1..=7 as score.py's quality names (0 is no chord, "N").
const QUALITIES: [&str; 7] = ["maj", "min", "7", "maj7", "min7", "sus4", "5"];

/// What one detector heard in a take; areas it has no output for stay `None` and are left out of the JSON.
#[derive(Default)]
pub struct Detections {
    pub onsets: Option<Vec<f64>>,
    pub pitch: Option<Vec<(f64, f64)>>,
    pub chords: Option<Vec<(f64, String)>>,
    pub beats: Option<Vec<f64>>,
}

impl Detections {
    /// The JSON object score.py reads.
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::Map::new();
        if let Some(onsets) = &self.onsets {
            object.insert("onsets".into(), json!(onsets));
        }
        if let Some(pitch) = &self.pitch {
            object.insert(
                "pitch".into(),
                json!(
                    pitch
                        .iter()
                        .map(|&(t, hz)| json!([t, hz]))
                        .collect::<Vec<_>>()
                ),
            );
        }
        if let Some(chords) = &self.chords {
            object.insert(
                "chords".into(),
                json!(
                    chords
                        .iter()
                        .map(|(t, l)| json!([t, l]))
                        .collect::<Vec<_>>()
                ),
            );
        }
        if let Some(beats) = &self.beats {
            object.insert("beats".into(), json!(beats));
        }
        Value::Object(object)
    }
}

/// Seconds at the end of block `block`.
pub fn block_end(block: usize, sample_rate: u32) -> f64 {
    ((block + 1) * BLOCK) as f64 / f64::from(sample_rate)
}

/// What the analysis reads of one rendered channel, block by block: whether a trigger fired in it, and its first
/// and last samples. Kept instead of the samples: a minute of a 13-channel render at 48 kHz is 150 MB of samples
/// and 1.1 MB of these.
#[derive(Default)]
pub struct BlockValues {
    fired: Vec<bool>,
    first: Vec<f32>,
    last: Vec<f32>,
    frames: usize,
}

impl BlockValues {
    /// The values of a whole channel at once.
    #[cfg(test)]
    pub fn of(samples: &[f32]) -> Self {
        let mut values = Self::default();
        samples.iter().for_each(|&x| values.push(x));
        values
    }

    /// Takes in the channel's next sample.
    pub fn push(&mut self, x: f32) {
        if self.frames.is_multiple_of(BLOCK) {
            self.fired.push(false);
            self.first.push(x);
            self.last.push(x);
        }
        if let (Some(fired), Some(last)) = (self.fired.last_mut(), self.last.last_mut()) {
            *fired |= x > 0.0;
            *last = x;
        }
        self.frames += 1;
    }

    /// Samples taken in.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Times of the blocks holding a trigger (any sample > 0), one per block, each at the end of its block.
    pub fn trigger_times(&self, sample_rate: u32) -> Vec<f64> {
        (self.fired.iter().enumerate())
            .filter(|&(_, &fired)| fired)
            .map(|(block, _)| block_end(block, sample_rate))
            .collect()
    }

    /// The value an audio-rate output held at the end of each whole block: its last sample.
    pub fn audio_rate_values(&self) -> Vec<f32> {
        self.last[..self.frames / BLOCK].to_vec()
    }

    /// The value a control-rate output had in each block, from its `K2A` copy: K2A ramps from the previous value
    /// to the new one across the next block, so the first sample of block b+1 holds block b's value exactly.
    pub fn control_rate_values(&self) -> Vec<f32> {
        self.first.iter().skip(1).copied().collect()
    }
}

/// A pitch track of per-block frequencies: `[t, hz]` at the first block and whenever the value changes
/// (0 Hz when unvoiced or not a usable number), rounded to 0.01 Hz.
pub fn pitch_track(values: &[f32], sample_rate: u32) -> Vec<(f64, f64)> {
    changes(
        values.iter().map(|&hz| {
            if hz.is_finite() && hz > 0.0 {
                (f64::from(hz) * 100.0).round() / 100.0
            } else {
                0.0
            }
        }),
        sample_rate,
    )
}

/// Chord label changes from per-block root (0..11) and quality (0 none, 1..=7) values.
pub fn chord_track(roots: &[f32], qualities: &[f32], sample_rate: u32) -> Vec<(f64, String)> {
    changes(
        roots
            .iter()
            .zip(qualities)
            .map(|(&root, &quality)| chord_label(root, quality)),
        sample_rate,
    )
}

/// score.py's label for a root and quality number: "C:maj", "A:min", … or "N" for no chord.
pub fn chord_label(root: f32, quality: f32) -> String {
    let quality = if quality.is_finite() {
        quality.round() as i64
    } else {
        0
    };
    let root = if root.is_finite() {
        root.round() as i64
    } else {
        -1
    };
    match (usize::try_from(root), usize::try_from(quality - 1)) {
        (Ok(root @ 0..12), Ok(quality @ 0..7)) => format!("{}:{}", ROOTS[root], QUALITIES[quality]),
        _ => "N".to_owned(),
    }
}

/// `(time, value)` at block 0 and at every block whose value differs from the one before.
fn changes<T: PartialEq>(values: impl Iterator<Item = T>, sample_rate: u32) -> Vec<(f64, T)> {
    let mut track: Vec<(f64, T)> = Vec::new();
    for (block, value) in values.enumerate() {
        if track.last().is_none_or(|(_, last)| *last != value) {
            track.push((block_end(block, sample_rate), value));
        }
    }
    track
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_is_reported_at_the_end_of_its_block_once() {
        let mut trigger = vec![0.0; 4 * BLOCK];
        trigger[0] = 1.0;
        trigger[BLOCK * 2 + 5] = 1.0;
        trigger[BLOCK * 2 + 6] = 1.0;
        assert_eq!(
            BlockValues::of(&trigger).trigger_times(48_000),
            vec![64.0 / 48_000.0, 192.0 / 48_000.0]
        );
    }

    #[test]
    fn control_rate_values_read_the_first_sample_of_the_next_block() {
        let mut k2a = vec![0.0; 3 * BLOCK];
        k2a[BLOCK] = 2.0;
        k2a[2 * BLOCK] = 3.0;
        assert_eq!(BlockValues::of(&k2a).control_rate_values(), vec![2.0, 3.0]);
    }

    #[test]
    fn audio_rate_values_read_the_last_sample_of_each_whole_block() {
        let signal: Vec<f32> = (0..2 * BLOCK + 5).map(|i| i as f32).collect();
        let values = BlockValues::of(&signal);
        assert_eq!(values.audio_rate_values(), vec![63.0, 127.0]);
        assert_eq!(values.frames(), 2 * BLOCK + 5);
    }

    #[test]
    fn pitch_track_holds_changes_only_and_unvoices_bad_values() {
        let track = pitch_track(&[0.0, 110.004, 110.0, f32::NAN, -3.0], 48_000);
        let times: Vec<f64> = track.iter().map(|p| p.0 * 48_000.0 / 64.0).collect();
        assert_eq!(times, vec![1.0, 2.0, 4.0]);
        assert_eq!(
            track.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![0.0, 110.0, 0.0]
        );
    }

    #[test]
    fn chord_labels_spell_roots_with_sharps_and_name_every_quality() {
        assert_eq!(chord_label(0.0, 1.0), "C:maj");
        assert_eq!(chord_label(9.0, 2.0), "A:min");
        assert_eq!(chord_label(1.0, 3.0), "C#:7");
        assert_eq!(chord_label(11.0, 4.0), "B:maj7");
        assert_eq!(chord_label(9.0, 5.0), "A:min7");
        assert_eq!(chord_label(2.0, 6.0), "D:sus4");
        assert_eq!(chord_label(4.0, 7.0), "E:5");
        assert_eq!(chord_label(4.0, 0.0), "N");
        assert_eq!(chord_label(12.0, 1.0), "N");
        assert_eq!(chord_label(f32::NAN, 1.0), "N");
    }
}
