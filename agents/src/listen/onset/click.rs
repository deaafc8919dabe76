//! The click watch of the onset detector: a discontinuity (splice) in the waveform with no new excitation after it.
//!
//! A legato note change of a render (a hammer-on, a pull-off, a fret slide cut in as a new pitch) often joins the
//! old waveform to the new one within a sample or two. In the pre-emphasised signal (the first difference) that is
//! one step far larger than any the tone took before: every step of a periodic tone recurs within its period (at
//! most 12 ms, E2), so a sample whose energy stands 6 dB (twice the amplitude) over the largest of the last 15 ms
//! is no part of it. A pick's attack can start with such a step too, but it excites the string anew: the energy of
//! the following 2 ms rises well above the mean of the 12 ms (a period of the lowest string) before it (pick
//! noise, fresh high partials), while after a splice it stays where it was:
//! the new pitch's partials carry the string's old energy on, and a hammer-on of at most 4 frets raises the
//! first difference's energy (as the square of the frequency) by 2 dB at most, so 3 dB is the limit. The spectral
//! flux that the new pitch makes is then a legato change, not an attack. A pitch change with no splice (the phase
//! runs on) and a flux onset stays an onset: nothing in the energy tells it from a soft re-pick.
//!
//! A treble boost (a bridge pickup, a bright amp or equaliser) rings on after the step for a few samples, which can
//! spill into the next sub-blocks: the energy after a strong step is therefore measured on trimmed sub-blocks (their
//! two largest samples left out), as is the energy before it. On guitar-dev through a +12 dB shelf that was one
//! splice of f2 heard as an attack (the spill raised the energy after it by 5 dB).
//!
//! A resampled take (a take sped up or slowed down, a converter at another rate) has passed an anti-aliasing
//! filter, which spreads the one-sample step over a few samples: its largest sample stands 4-5 dB over the tone's
//! peaks instead of 6-7 dB (guitar-dev two semitones up and down). A step that is only *weak* (between
//! `weak_step_db` and `step_db`) is a splice only on stricter terms: the energy after it must not rise at all over
//! the energy before it (a hammer-on or pull-off hands the string's energy on with a loss; a soft re-pick of the
//! same note, whose pick click can be such a weak step, adds energy: 0.4-2.5 dB on guitar-dev's repeated notes),
//! and no energy rise (of the pre-emphasised energy or the low band) of `weak_rise_db` may have come with the flux
//! (a palm-muted chug adds little energy after its click, but its low band or its attack rises 1-2 dB, while the
//! energy of a spliced legato line churns by less than 1 dB).

use super::OnsetParams;
use super::energy::SubBlockEnergy;
use crate::listen::power_ratio;

/// Most sub-blocks kept (15 ms at 192 kHz with 16-sample sub-blocks).
const MAX_SUBS: usize = 192;

/// Watches the pre-emphasised sub-blocks for the latest splice-like step and whether the string was excited after
/// it.
pub(super) struct ClickWatch {
    /// Mean, trimmed mean and peak sample energies of the latest sub-blocks, rings of `MAX_SUBS` by sequence number.
    energies: Box<[f32]>,
    trimmed: Box<[f32]>,
    peaks: Box<[f32]>,
    count: usize,
    /// Sub-blocks of the mean before a step, and of the window of peaks it must stand above.
    before_subs: usize,
    peak_subs: usize,
    after_subs: usize,
    /// Linear forms of the step's least height over the earlier peaks, and of the most the energy after may rise.
    step_ratio: f32,
    post_ratio: f32,
    /// The same for a weak step (`weak_step_ratio` == `step_ratio`: no weak steps).
    weak_step_ratio: f32,
    weak_post_ratio: f32,
    weak_rise_db: f32,
    /// Whether the latest step was weak.
    weak: bool,
    /// The latest step: mean energy of the sub-blocks before it, sum and count of the sub-blocks after it (their
    /// means, and their trimmed means), and its age in sub-blocks (`u32::MAX`: none yet).
    before: f32,
    before_trimmed: f32,
    after_sum: f32,
    after_trimmed_sum: f32,
    after_count: usize,
    age: u32,
}

impl ClickWatch {
    /// A watch for `subs_per_ms` sub-blocks per millisecond with the detector's splice settings.
    pub(super) fn from_params(subs_per_ms: f32, params: &OnsetParams) -> Self {
        Self::new(
            subs_per_ms,
            params.splice_step_db,
            params.splice_post_db,
            params.splice_weak_step_db,
            params.splice_weak_post_db,
            params.splice_weak_rise_db,
        )
    }

    /// A watch for `subs_per_ms` sub-blocks per millisecond: a step must stand `step_db` over the peaks of the last
    /// 15 ms, and the energy of the 2 ms after it rise at most `post_db` over the mean of the 12 ms before; a weak
    /// step, `weak_step_db` (less than `step_db`; 0: none) over those peaks, must be followed by at most
    /// `weak_post_db`, and the flux it explains come with an energy rise under `weak_rise_db`.
    pub(super) fn new(
        subs_per_ms: f32,
        step_db: f32,
        post_db: f32,
        weak_step_db: f32,
        weak_post_db: f32,
        weak_rise_db: f32,
    ) -> Self {
        let subs = |ms: f32| ((ms * subs_per_ms).round() as usize).clamp(1, MAX_SUBS - 1);
        let weak_db = if weak_step_db > 0.0 {
            weak_step_db.min(step_db)
        } else {
            step_db
        };
        Self {
            energies: vec![0.0; MAX_SUBS].into_boxed_slice(),
            trimmed: vec![0.0; MAX_SUBS].into_boxed_slice(),
            peaks: vec![0.0; MAX_SUBS].into_boxed_slice(),
            count: 0,
            before_subs: subs(12.0),
            peak_subs: subs(15.0),
            after_subs: subs(2.0),
            step_ratio: power_ratio(step_db),
            post_ratio: power_ratio(post_db),
            weak_step_ratio: power_ratio(weak_db),
            weak_post_ratio: power_ratio(weak_post_db),
            weak_rise_db,
            weak: false,
            before: 0.0,
            before_trimmed: 0.0,
            after_sum: 0.0,
            after_trimmed_sum: 0.0,
            after_count: 0,
            age: u32::MAX,
        }
    }

    /// Takes in one pre-emphasised sub-block, by its energies, whose samples are audible (above the gate and noise
    /// floor) or not.
    pub(super) fn push(&mut self, sub_block: &SubBlockEnergy, audible: bool) {
        let (energy, trimmed, peak) = (sub_block.mean, sub_block.trimmed, sub_block.peak);
        self.age = self.age.saturating_add(1);
        if self.age != u32::MAX && self.after_count < self.after_subs {
            self.after_sum += energy;
            self.after_trimmed_sum += trimmed;
            self.after_count += 1;
        }
        if audible && self.count >= self.peak_subs {
            let earlier_peak =
                latest(&self.peaks, self.count, self.peak_subs).fold(0.0f32, f32::max);
            if peak > self.weak_step_ratio * earlier_peak {
                self.weak = peak <= self.step_ratio * earlier_peak;
                self.before = latest(&self.energies, self.count, self.before_subs).sum::<f32>()
                    / self.before_subs as f32;
                self.before_trimmed = latest(&self.trimmed, self.count, self.before_subs)
                    .sum::<f32>()
                    / self.before_subs as f32;
                self.after_sum = 0.0;
                self.after_trimmed_sum = 0.0;
                self.after_count = 0;
                self.age = 0;
            }
        }
        if let Some(slot) = self.energies.get_mut(self.count % MAX_SUBS) {
            *slot = energy;
        }
        if let Some(slot) = self.trimmed.get_mut(self.count % MAX_SUBS) {
            *slot = trimmed;
        }
        if let Some(slot) = self.peaks.get_mut(self.count % MAX_SUBS) {
            *slot = peak;
        }
        self.count = self.count.wrapping_add(1);
    }

    /// Whether a step came within the last `within_subs` sub-blocks and the energy since (at least one sub-block
    /// of it) has stayed within the post limit of the energy before it: a splice, not an attack. `rise_db` is the
    /// largest energy rise (dB) heard in the last blocks. A strong step is measured on trimmed energies, which leave
    /// out its own spill into the next sub-block (a treble boost spreads a splice over a few samples); a weak one on
    /// the full energies, in which a soft re-pick's click counts as the excitation it is.
    pub(super) fn heard_splice(&self, within_subs: u32, rise_db: f32) -> bool {
        if self.age > within_subs || self.after_count == 0 {
            return false;
        }
        let (before, after_sum, post_ratio) = if self.weak {
            (self.before, self.after_sum, self.weak_post_ratio)
        } else {
            (self.before_trimmed, self.after_trimmed_sum, self.post_ratio)
        };
        (!self.weak || rise_db < self.weak_rise_db)
            && after_sum / (self.after_count as f32) <= before * post_ratio
    }

    /// Whether the latest step was strong (at least `step_db` over the peaks before it).
    pub(super) fn step_was_strong(&self) -> bool {
        !self.weak
    }

    /// Sub-blocks since the latest step (strong or weak; 0: in the newest sub-block; `u32::MAX`: none yet).
    pub(super) fn step_age(&self) -> u32 {
        self.age
    }
}

/// The `n` entries of a ring before sequence number `count`, newest first.
fn latest(ring: &[f32], count: usize, n: usize) -> impl Iterator<Item = f32> + '_ {
    (1..=n).map(move |age| {
        ring.get(count.wrapping_sub(age) % MAX_SUBS)
            .copied()
            .unwrap_or(0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::super::energy::sub_block_energy;
    use super::ClickWatch;

    /// A ringing tone whose waveform is inverted from sample `splice` on (a jump of 1.8 times its amplitude there).
    fn spliced_tone(n: usize, splice: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let flip = if i >= splice {
                    std::f32::consts::PI
                } else {
                    0.0
                };
                0.01 * (i as f32 * 0.3 + flip).sin()
            })
            .collect()
    }

    #[test]
    fn a_jump_in_a_ringing_tone_is_a_splice_and_a_burst_after_it_is_not() {
        for burst in [false, true] {
            let mut watch = ClickWatch::new(3.0, 6.0, 3.0, 0.0, 0.0, 0.0);
            let splice = 16 * 60 + 10;
            let mut signal = spliced_tone(16 * 80, splice);
            if burst {
                for (i, s) in signal.iter_mut().enumerate().skip(splice + 1) {
                    *s += 0.03 * ((i * 7919 % 13) as f32 / 6.0 - 1.0);
                }
            }
            let emphasised: Vec<f32> = signal.windows(2).map(|w| w[1] - w[0]).collect();
            for sub in emphasised.chunks(16) {
                watch.push(&sub_block_energy(sub, 0), true);
            }
            assert_eq!(watch.heard_splice(25, 0.0), !burst, "burst {burst}");
            assert!(!watch.heard_splice(5, 0.0));
        }
        let mut steady = ClickWatch::new(3.0, 6.0, 3.0, 0.0, 0.0, 0.0);
        for sub in spliced_tone(16 * 80, usize::MAX)
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect::<Vec<_>>()
            .chunks(16)
        {
            steady.push(&sub_block_energy(sub, 0), true);
        }
        assert!(!steady.heard_splice(80, 0.0));
    }

    #[test]
    fn a_strong_splice_whose_step_spills_into_the_next_sub_block_is_still_a_splice() {
        // the tone inverted at the last sample of a sub-block, the step followed by a few samples of a treble
        // boost's ringing (as an equaliser leaves it), which fall into the first sub-block after the step
        // (where the inversion jumps by 1.97 times the tone's amplitude)
        let splice = 16 * 59 + 15;
        let mut signal = spliced_tone(16 * 80, splice);
        let jump = signal[splice] - signal[splice - 1];
        for (k, s) in signal.iter_mut().skip(splice + 1).take(4).enumerate() {
            *s += 0.6 * jump * (-0.6f32).powi(k as i32);
        }
        let emphasised: Vec<f32> = signal.windows(2).map(|w| w[1] - w[0]).collect();
        let mut watch = ClickWatch::new(3.0, 6.0, 3.0, 0.0, 0.0, 0.0);
        for sub in emphasised.chunks(16) {
            watch.push(&sub_block_energy(sub, 2), true);
        }
        assert!(watch.step_was_strong());
        assert!(watch.heard_splice(25, 0.0));
    }

    /// A slowly dying low tone (a free string) that jumps by `jump` from sample `splice` on, with a burst of noise
    /// after the jump if `excited`, as the watch sees it: its first difference in sub-blocks.
    fn watch_small_jump(watch: &mut ClickWatch, jump: f32, excited: bool) {
        let splice = 16 * 60 + 10;
        let signal: Vec<f32> = (0..16 * 80)
            .map(|i| {
                let tone = 0.01 * 0.9995f32.powi(i as i32) * (i as f32 * 0.05).sin();
                let after = i >= splice;
                let burst = if after && excited {
                    0.002 * ((i * 7919 % 13) as f32 / 6.0 - 1.0)
                } else {
                    0.0
                };
                tone + if after { jump } else { 0.0 } + burst
            })
            .collect();
        let emphasised: Vec<f32> = signal.windows(2).map(|w| w[1] - w[0]).collect();
        for sub in emphasised.chunks(16) {
            watch.push(&sub_block_energy(sub, 0), true);
        }
    }

    #[test]
    fn a_weak_step_is_a_splice_only_when_nothing_excited_the_string() {
        // a step 5 dB over the tone's largest first difference (5e-4): what a resampler leaves of a splice
        let jump = 5e-4 * 10f32.powf(5.0 / 20.0);
        let mut strong_only = ClickWatch::new(3.0, 6.0, 3.0, 0.0, 0.0, 0.0);
        watch_small_jump(&mut strong_only, jump, false);
        assert!(!strong_only.heard_splice(25, 0.0));
        let mut weak = ClickWatch::new(3.0, 6.0, 3.0, 4.0, 0.0, 1.0);
        watch_small_jump(&mut weak, jump, false);
        assert!(weak.heard_splice(25, 0.0));
        assert!(!weak.heard_splice(25, 1.5), "an energy rise came with it");
        let mut excited = ClickWatch::new(3.0, 6.0, 3.0, 4.0, 0.0, 1.0);
        watch_small_jump(&mut excited, jump, true);
        assert!(!excited.heard_splice(25, 0.0), "energy rose after the step");
        // a step under the weak threshold is no splice at all
        let mut tiny = ClickWatch::new(3.0, 6.0, 3.0, 4.0, 0.0, 1.0);
        watch_small_jump(&mut tiny, 5e-4 * 10f32.powf(2.0 / 20.0), false);
        assert!(!tiny.heard_splice(25, 0.0));
    }
}
