//! One energy envelope of the onset detector: sub-block energies, their background and their noise floor.

use super::{HISTORY, TINY};

/// The recent sub-block energies of one filtered copy of the input, with the background a new sub-block is
/// compared with (the largest energy of the last ~20 ms, leaving out the newest few) and a tracked noise floor.
pub(super) struct EnergyTrack {
    /// Ring of past sub-block mean energies (linear), newest at `pos - 1`.
    history: [f32; HISTORY],
    pos: usize,
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
}

impl EnergyTrack {
    /// A track whose background spans `window` sub-blocks less the newest `gap`; `smooth_coef` and `floor_rise`
    /// are per sub-block.
    pub(super) fn new(window: usize, gap: usize, smooth_coef: f32, floor_rise: f32) -> Self {
        Self {
            history: [TINY; HISTORY],
            pos: 0,
            window: window.clamp(gap + 1, HISTORY),
            gap,
            smoothed: TINY,
            smooth_coef,
            noise_floor: 1.0,
            floor_rise,
        }
    }

    /// Takes in one sub-block's energy and returns the background it is to be compared with (computed before it
    /// entered).
    pub(super) fn push(&mut self, energy: f32) -> f32 {
        let background = self.background();
        self.history[self.pos % HISTORY] = energy;
        self.pos = (self.pos + 1) % HISTORY;
        // minimum tracker over the smoothed energy: falls at once, rises slowly
        self.smoothed += self.smooth_coef * (energy - self.smoothed);
        self.smoothed = self.smoothed.max(TINY);
        self.noise_floor = (self.noise_floor * self.floor_rise)
            .min(self.smoothed)
            .max(TINY);
        background
    }

    /// Noise-floor estimate (linear energy).
    pub(super) fn noise_floor(&self) -> f32 {
        self.noise_floor
    }

    /// Largest sub-block energy in the background window, leaving out the newest `gap`.
    fn background(&self) -> f32 {
        let mut largest = TINY;
        for age in self.gap..self.window {
            // age 0 is the newest stored sub-block
            let index = (self.pos + HISTORY - 1 - age) % HISTORY;
            largest = largest.max(self.history[index]);
        }
        largest
    }
}

/// Mean energy of a sub-block of samples, never below `TINY`.
pub(super) fn mean_energy(samples: &[f32]) -> f32 {
    samples.iter().map(|y| y * y).sum::<f32>() / samples.len().max(1) as f32 + TINY
}

/// Mean energy of a sub-block of samples leaving out its `trim` largest (at most 2), never below `TINY`: a click (a
/// discontinuity of one or two samples) then weighs no more than the samples around it, while the energy of an
/// attack, spread over the sub-block, hardly changes.
pub(super) fn trimmed_energy(samples: &[f32], trim: usize) -> f32 {
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
    (sum - removed).max(0.0) / (samples.len() - trim).max(1) as f32 + TINY
}

#[cfg(test)]
mod tests {
    use super::{mean_energy, trimmed_energy};

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
