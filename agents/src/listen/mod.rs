//! The listener: onsets, level, pitch, chord, tempo and beat of a guitar, one 64-sample block at a time.
//!
//! Each part is its own detector with its own file; [`Listener`] runs them in order on one block and returns
//! what was heard as a [`Heard`]. Everything is allocated in `new`; `process` never allocates, locks or blocks.

pub mod beat;
mod biquad;
pub mod chord;
pub mod level;
pub mod onset;
pub mod pitch;
pub mod tuning;

/// Samples per control block: the unit of time of the whole listener.
pub const BLOCK: usize = 64;

/// The power (energy) ratio of `db` decibels: the detectors keep their dB settings as the linear ratios their
/// energies are compared with.
pub(crate) fn power_ratio(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// An attack found inside a block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Onset {
    /// Sample index of the attack inside the block, `0..BLOCK`.
    pub offset: u32,
    /// How strong the attack was (detector units, > 0).
    pub strength: f32,
}

/// Chord qualities the listener names; `None` is "no chord".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ChordQuality {
    #[default]
    None = 0,
    Major = 1,
    Minor = 2,
    Dominant7 = 3,
    Major7 = 4,
    Minor7 = 5,
    Sus4 = 6,
    Power = 7,
}

/// A chord label: root pitch class (C = 0) and quality. `root` is meaningless when `quality` is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chord {
    pub root: u8,
    pub quality: ChordQuality,
}

/// The beat tracker's view after one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BeatFrame {
    /// Sample index inside this block where a predicted beat falls, if one does.
    pub beat: Option<u32>,
    /// Position in the current beat, `0.0..1.0` at the end of the block (0 = on the beat).
    pub phase: f32,
    /// Current tempo estimate in beats per minute; 0 until the tracker has one.
    pub tempo_bpm: f32,
}

/// Everything heard in one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Heard {
    /// An attack (pick or strum) in this block; a legato note change (hammer-on, pull-off, slide) is none.
    pub onset: Option<Onset>,
    /// Level of the block (linear RMS-like amplitude, 0..~1).
    pub level: f32,
    /// Pitch in Hz of the single note sounding; 0 when unvoiced.
    pub pitch_hz: f32,
    /// Confidence of `pitch_hz`, 0..1.
    pub pitch_confidence: f32,
    pub chord: Chord,
    pub beat: BeatFrame,
}

/// Runs every detector of the listener on one block, in dependency order.
pub struct Listener {
    level: level::LevelMeter,
    onset: onset::OnsetDetector,
    pitch: pitch::PitchTracker,
    chord: chord::ChordTracker,
    beat: beat::BeatTracker,
}

impl Listener {
    /// Builds every detector for `sample_rate`; this is where all memory is allocated.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            level: level::LevelMeter::new(sample_rate),
            onset: onset::OnsetDetector::new(sample_rate),
            pitch: pitch::PitchTracker::new(sample_rate),
            chord: chord::ChordTracker::new(sample_rate),
            beat: beat::BeatTracker::new(sample_rate),
        }
    }

    /// Hears one block of `BLOCK` samples. `tempo_prior_bpm` is a tap-tempo hint, 0 for none.
    pub fn process(&mut self, block: &[f32], tempo_prior_bpm: f32) -> Heard {
        let level = self.level.process(block);
        let onset_frame = self.onset.process(block);
        // a legato change starts a new note as an attack does: the trackers restart on either
        let note_start = onset_frame.onset.or(onset_frame.change);
        let pitch = self.pitch.process(block, note_start);
        let chord = self.chord.process(block, note_start);
        let beat = self
            .beat
            .process(onset_frame.odf, note_start, tempo_prior_bpm);
        Heard {
            onset: onset_frame.onset,
            level,
            pitch_hz: pitch.hz,
            pitch_confidence: pitch.confidence,
            chord,
            beat,
        }
    }
}
