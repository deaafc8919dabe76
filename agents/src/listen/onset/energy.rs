//! One energy envelope of the onset detector: sub-block energies, their background and their noise floor.

use super::{HISTORY, TINY};

/// The recent sub-block energies of one filtered copy of the input, with the background a new sub-block is
/// compared with (the largest energy of the last ~20 ms, leaving out the newest few) and a tracked noise floor.
///
/// The background is a sliding maximum kept in a monotonic queue (each sub-block enters and leaves it once), so it
/// costs the same for a window of 40 ms as for 20.
pub(super) struct EnergyTrack {
    /// Ring of past sub-block energies (linear), by sequence number modulo `HISTORY`.
    history: Box<[f32]>,
    /// Sequence number of the next sub-block (wrapping).
    count: usize,
    /// The queue: (sequence number, energy) of the sub-blocks that can still be the background's maximum, oldest
    /// first, energies falling; a ring of `queue_len` entries from `queue_head`.
    queue: Box<[(usize, f32)]>,
    queue_head: usize,
    queue_len: usize,
    /// Sub-blocks in the background window (including the gap), at most `HISTORY`.
    window: usize,
    /// Newest sub-blocks left out of the background.
    gap: usize,
    /// One-pole smoothed energy (~5 ms) from which the noise floor is tracked.
    smoothed: f32,
    smooth_coef: f32,
    /// Noise-floor estimate (linear energy).
    noise_floor: f32,
    /// Per-sub-block multiplier by which the noise floor may rise.
    floor_rise: f32,
    /// Sub-blocks from the start during which the noise floor follows the smoothed energy.
    learning: usize,
}

impl EnergyTrack {
    /// A track whose background spans `window` sub-blocks less the newest `gap`; `smooth_coef` and `floor_rise`
    /// are per sub-block.
    pub(super) fn new(
        window: usize,
        gap: usize,
        smooth_coef: f32,
        floor_rise: f32,
        learning: usize,
    ) -> Self {
        Self {
            history: vec![TINY; HISTORY].into_boxed_slice(),
            count: 0,
            queue: vec![(0, TINY); HISTORY].into_boxed_slice(),
            queue_head: 0,
            queue_len: 0,
            window: window.clamp(gap + 1, HISTORY),
            gap,
            smoothed: TINY,
            smooth_coef,
            noise_floor: 1.0,
            floor_rise,
            learning,
        }
    }

    /// Takes in one sub-block's energy and returns the background it is to be compared with (computed before it
    /// entered).
    pub(super) fn push(&mut self, energy: f32) -> f32 {
        let background = self.background();
        self.history[self.count % HISTORY] = energy;
        self.count = self.count.wrapping_add(1);
        // minimum tracker over the smoothed energy: falls at once, rises slowly; while it learns (from the start),
        // it follows the smoothed energy both ways, so hiss or hum already sounding is the floor, not a sound
        self.smoothed += self.smooth_coef * (energy - self.smoothed);
        self.smoothed = self.smoothed.max(TINY);
        self.noise_floor = if self.count <= self.learning {
            self.smoothed
        } else {
            (self.noise_floor * self.floor_rise)
                .min(self.smoothed)
                .max(TINY)
        };
        background
    }

    /// Noise-floor estimate (linear energy).
    pub(super) fn noise_floor(&self) -> f32 {
        self.noise_floor
    }

    /// Largest sub-block energy in the background window, leaving out the newest `gap`: of the sub-blocks whose
    /// age (0 = the newest stored) is in `gap..window`. Called once per sub-block, before it is stored.
    fn background(&mut self) -> f32 {
        // sub-blocks older than the window leave the queue (ages count from the newest stored, 0)
        while self.queue_len > 0
            && self
                .count
                .wrapping_sub(1)
                .wrapping_sub(self.queue[self.queue_head].0)
                >= self.window
        {
            self.queue_head = (self.queue_head + 1) % HISTORY;
            self.queue_len -= 1;
        }
        // the sub-block whose age has just reached `gap` joins it, after everything it outweighs has left (before
        // the first sub-blocks that is one of the history's initial `TINY`s, as if silence had come before)
        let joining = self.count.wrapping_sub(1).wrapping_sub(self.gap);
        let energy = self.history[joining % HISTORY];
        while self.queue_len > 0 {
            let last = (self.queue_head + self.queue_len - 1) % HISTORY;
            if self.queue[last].1 > energy {
                break;
            }
            self.queue_len -= 1;
        }
        if self.queue_len < HISTORY {
            self.queue[(self.queue_head + self.queue_len) % HISTORY] = (joining, energy);
            self.queue_len += 1;
        }
        self.queue[self.queue_head].1.max(TINY)
    }
}

/// Mean energy of a sub-block of samples, never below `TINY`.
pub(super) fn mean_energy(samples: &[f32]) -> f32 {
    samples.iter().map(|y| y * y).sum::<f32>() / samples.len().max(1) as f32 + TINY
}

/// The energies of one sub-block, from one pass over its samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct SubBlockEnergy {
    /// Mean energy leaving out the `trim` largest samples (at most 2), never below `TINY`: a click (a
    /// discontinuity of one or two samples) then weighs no more than the samples around it, while the energy of
    /// an attack, spread over the sub-block, hardly changes.
    pub trimmed: f32,
    /// Mean energy of all samples (0 if it is not finite).
    pub mean: f32,
    /// Energy of the largest sample (0 if the mean is not finite).
    pub peak: f32,
}

/// The energies of `samples`, leaving out their `trim` largest for [`SubBlockEnergy::trimmed`].
pub(super) fn sub_block_energy(samples: &[f32], trim: usize) -> SubBlockEnergy {
    let trim = trim.min(2).min(samples.len().saturating_sub(1));
    let (mut sum, mut first, mut second) = (0.0f32, 0.0f32, 0.0f32);
    for y in samples {
        let e = y * y;
        sum += e;
        if e > first {
            second = first;
            first = e;
        } else if e > second {
            second = e;
        }
    }
    let removed = match trim {
        0 => 0.0,
        1 => first,
        _ => first + second,
    };
    let finite = sum.is_finite();
    SubBlockEnergy {
        trimmed: (sum - removed).max(0.0) / (samples.len() - trim).max(1) as f32 + TINY,
        mean: if finite {
            sum / samples.len().max(1) as f32
        } else {
            0.0
        },
        peak: if finite { first } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::{EnergyTrack, mean_energy, sub_block_energy};

    fn trimmed_energy(samples: &[f32], trim: usize) -> f32 {
        sub_block_energy(samples, trim).trimmed
    }

    #[test]
    fn the_background_is_the_largest_energy_aged_gap_to_window() {
        let (window, gap) = (37, 5);
        let mut track = EnergyTrack::new(window, gap, 0.1, 1.0, 0);
        let mut state = 12345u32;
        let mut energies = Vec::new();
        for n in 0..3_000usize {
            let background = track.push_energy_for_test(&mut energies, &mut state);
            // age 0 is the newest stored: energies[n - 1]
            let expected = (gap..window)
                .filter_map(|age| n.checked_sub(1 + age).map(|k| energies[k]))
                .fold(super::TINY, f32::max);
            assert_eq!(background, expected, "sub-block {n}");
        }
    }

    impl EnergyTrack {
        /// Pushes a pseudo-random energy (slow swells and sudden jumps) and returns the background it met.
        fn push_energy_for_test(&mut self, energies: &mut Vec<f32>, state: &mut u32) -> f32 {
            *state ^= *state << 13;
            *state ^= *state >> 17;
            *state ^= *state << 5;
            let n = energies.len() as f32;
            let energy = (1.0 + (n * 0.05).sin()) * (*state % 1000) as f32 * 1e-3 + 1e-9;
            let background = self.push(energy);
            energies.push(energy);
            background
        }
    }

    #[test]
    fn a_one_or_two_sample_spike_leaves_the_trimmed_energy_where_it_was() {
        let ringing: Vec<f32> = (0..16).map(|i| 0.01 * (i as f32 * 0.7).sin()).collect();
        let before = trimmed_energy(&ringing, 2);
        let mut spiked = ringing.clone();
        spiked[5] += 0.3;
        spiked[6] += 0.3;
        assert!(mean_energy(&spiked) > 40.0 * mean_energy(&ringing));
        assert!(trimmed_energy(&spiked, 2) < 1.5 * before);
    }

    #[test]
    fn a_spread_attack_keeps_most_of_its_trimmed_energy() {
        let attack: Vec<f32> = (0..16).map(|i| 0.2 * ((i * 7 % 5) as f32 - 2.0)).collect();
        let ratio = trimmed_energy(&attack, 2) / mean_energy(&attack);
        assert!(ratio > 0.7, "ratio {ratio}");
        assert!(trimmed_energy(&[0.0; 16], 2) > 0.0);
        assert!(trimmed_energy(&[f32::MAX, 1.0], 2).is_finite());
    }
}
