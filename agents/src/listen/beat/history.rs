//! The recent onsets the beat tracker reasons over: a fixed ring of (time, weight), newest last.

/// Most onsets kept; at 16th notes of 200 bpm that is still more than the history window holds.
pub(super) const CAPACITY: usize = 64;

/// One remembered onset.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PastOnset {
    /// Seconds since the tracker started (the attack, not when it was reported).
    pub time: f64,
    /// Normalised strength, around 1 for a typical onset of the take.
    pub weight: f64,
}

/// Ring buffer of the last [`CAPACITY`] onsets; allocation-free after construction.
pub(super) struct OnsetHistory {
    ring: [PastOnset; CAPACITY],
    /// Index where the next onset goes.
    head: usize,
    len: usize,
}

impl OnsetHistory {
    pub fn new() -> Self {
        Self {
            ring: [PastOnset::default(); CAPACITY],
            head: 0,
            len: 0,
        }
    }

    pub fn push(&mut self, onset: PastOnset) {
        self.ring[self.head] = onset;
        self.head = (self.head + 1) % CAPACITY;
        self.len = (self.len + 1).min(CAPACITY);
    }

    /// The `age`-th newest onset (0 = newest), if there is one.
    pub fn newest(&self, age: usize) -> Option<PastOnset> {
        if age >= self.len {
            return None;
        }
        self.ring
            .get((self.head + CAPACITY - 1 - age) % CAPACITY)
            .copied()
    }

    /// Scales the weight of the newest onset by `factor` (an accent learnt only when the next onset comes).
    pub fn scale_newest(&mut self, factor: f64) {
        if self.len > 0
            && let Some(onset) = self.ring.get_mut((self.head + CAPACITY - 1) % CAPACITY)
        {
            onset.weight *= factor;
        }
    }

    /// Onsets newest first, no older than `since` seconds.
    pub fn iter_since(&self, since: f64) -> impl Iterator<Item = PastOnset> + '_ {
        (0..self.len).map_while(move |age| self.newest(age).filter(|o| o.time >= since))
    }
}
