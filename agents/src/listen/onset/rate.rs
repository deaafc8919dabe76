//! The onset detector's view of sample rates other than 44.1 and 48 kHz: the input is resampled by a small
//! rational factor to a rate between 40 and 50 kHz, the rates its settings are measured at.
//!
//! The detector's time scales are counted in samples in places where counting is what makes it cheap: sub-blocks
//! of 16 samples, a 512-point spectrum, flux compared 8 blocks back, two-sample click trims. At 96 kHz all of them
//! halve: the sub-blocks' energy churns with hiss, the spectrum cannot tell a vibrato from a new note, and on
//! guitar-dev resampled to 96 kHz the detector made 11.5 false onsets a minute (0.5 at 48 kHz) and missed 5 % more.
//! At 22.05 kHz they double: a sub-block spans 0.7 ms, the spectrum 23 ms and the flux reference 23 ms back, so a
//! legato slide's partials moving within that span look new (8.5 false onsets a minute on guitar-dev at 22.05 kHz,
//! 2.2 at 32 kHz). Resampling keeps every setting what it was tuned as: 88.2 to 192 kHz are low-passed and
//! decimated by 2 or 4; 11.025 to 32 kHz are upsampled by 3/2 to 4 (zeros between the samples, then the same kind of
//! low-pass removes the images, and every second sample is kept where the factor is 3/2; see
//! [`UPSAMPLE_BELOW_HZ`]). An attack is heard once the
//! native block that holds it is complete: at most one native block later than at the native rate.

use super::{BLOCK, OnsetFrame};
use crate::listen::biquad::{BUTTERWORTH6_Q, Biquad};

/// The rates the detector runs at: anything above is decimated into this range, anything below
/// [`UPSAMPLE_BELOW_HZ`] upsampled into it.
const NATIVE_MIN_HZ: f32 = 40_000.0;
const NATIVE_MAX_HZ: f32 = 50_000.0;
/// Below this the input is upsampled (32 kHz by 3/2 to 48 kHz). Heard natively, 32 kHz made 2.2 false onsets a
/// minute on guitar-dev resampled to it (hammer-ons whose splice it did not tell, palm-muted chugs heard twice: the
/// spectrum spans 16 ms and the flux reference lies 16 ms back); upsampled, 0.3 (F 0.961 -> 0.965; median delay
/// 2.4 -> 2.6 ms, a native block gathered). Upsampled, the rate tests' phrase made one false onset, a ringing
/// strum's beating partials, until the held reference remembered each bin's peak (`flux.rs`).
const UPSAMPLE_BELOW_HZ: f32 = 36_000.0;
/// Largest upsampling factor (11.025 kHz to 44.1 kHz): an input block then completes this many native blocks.
const MAX_UP: usize = 4;
/// Corner of the low-pass, as a fraction of the lower of the input and native rates (21.6 kHz at 48 kHz: above
/// any pluck's audible partials; a 6th-order Butterworth leaves what folds back or is imaged 20 dB down at worst).
const CORNER: f32 = 0.45;

/// Resamples the input by `up / down` and gathers it into native blocks of `BLOCK` samples.
pub(super) struct RateFront {
    /// Zeros stuffed per input sample, plus one; and every how many of those samples one is kept.
    up: usize,
    down: usize,
    /// Anti-alias and anti-image low-pass, run at `up` times the input rate.
    low_pass: [Biquad; 3],
    phase: usize,
    /// The native block being gathered, and how many of its samples are in.
    pending: [f32; BLOCK],
    filled: usize,
    /// The novelty of the latest native block, reported again until the next one completes.
    pub(super) held_odf: f32,
}

/// The native blocks one input block completed, each with where it starts relative to the input block, in native
/// samples (negative: it began in an earlier input block).
pub(super) struct Completed {
    blocks: [[f32; BLOCK]; MAX_UP],
    starts: [isize; MAX_UP],
    count: usize,
}

impl Completed {
    /// The completed blocks in order, with their starts.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&[f32; BLOCK], isize)> {
        self.blocks.iter().zip(self.starts).take(self.count)
    }
}

impl OnsetFrame {
    /// What two native blocks heard, as one input block's frame (input below 36 kHz is heard upsampled, one to four
    /// native blocks at a time): the first attack or legato change, the largest novelty and rises.
    pub(super) fn then(self, later: OnsetFrame) -> OnsetFrame {
        let onset = self.onset.or(later.onset);
        OnsetFrame {
            odf: self.odf.max(later.odf),
            onset,
            // (never together with an onset)
            change: if onset.is_some() {
                None
            } else {
                self.change.or(later.change)
            },
            rise_db: self.rise_db.max(later.rise_db),
            low_rise_db: self.low_rise_db.max(later.low_rise_db),
            high_rise_db: self.high_rise_db.max(later.high_rise_db),
            mid_rise_db: self.mid_rise_db.max(later.mid_rise_db),
        }
    }
}

/// A broken sample (non-finite, or beyond 8 times full scale) holds the last good one: a lone NaN read as silence
/// would be a click, which is an attack.
pub(super) fn hold_broken(x: f32, last_good: &mut f32) -> f32 {
    if x.is_finite() && x.abs() <= 8.0 {
        *last_good = x;
    }
    *last_good
}

/// `(up, down)` taking `sample_rate` into the native range: decimation by a power of two above it, upsampling by
/// 2 to 4 (and halving, if that overshoots) below 36 kHz; as near as these factors allow at the extremes.
fn factors(sample_rate: f32) -> (usize, usize) {
    let mut down = 1usize;
    while sample_rate / down as f32 > NATIVE_MAX_HZ && down < BLOCK / 16 {
        down *= 2;
    }
    if down > 1 || sample_rate >= UPSAMPLE_BELOW_HZ {
        return (1, down);
    }
    // The factors whose native rate lies nearest the range (in it, where some do). Taking the first in range and
    // else the largest factor sent 16.7-20 kHz and 25-26.7 kHz, which no factor takes into the range, to 67-107 kHz.
    let distance = |(up, down): (usize, usize)| {
        let native = sample_rate * up as f32 / down as f32;
        (NATIVE_MIN_HZ - native)
            .max(native - NATIVE_MAX_HZ)
            .max(0.0)
    };
    (2..=MAX_UP)
        .flat_map(|up| [(up, 1), (up, 2)])
        .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
        .unwrap_or((MAX_UP, 1))
}

impl RateFront {
    /// The front for input at `sample_rate`, and the native rate it delivers.
    pub(super) fn new(sample_rate: f32) -> (Self, f32) {
        let (up, down) = factors(sample_rate);
        let native = sample_rate * up as f32 / down as f32;
        let front = Self {
            up,
            down,
            low_pass: BUTTERWORTH6_Q.map(|q| {
                Biquad::low_pass(sample_rate * up as f32, CORNER * sample_rate.min(native), q)
            }),
            phase: 0,
            pending: [0.0; BLOCK],
            filled: 0,
            held_odf: 0.0,
        };
        (front, native)
    }

    /// Whether the input is used as it is.
    pub(super) fn passes_through(&self) -> bool {
        self.up == 1 && self.down == 1
    }

    /// Feeds one block of input (finite samples); returns the native blocks it completed.
    pub(super) fn push(&mut self, block: &[f32]) -> Completed {
        let mut completed = Completed {
            blocks: [[0.0; BLOCK]; MAX_UP],
            starts: [0; MAX_UP],
            count: 0,
        };
        // native samples delivered since the start of this input block
        let mut delivered = 0isize;
        for &x in block {
            for stuffed in 0..self.up {
                // a zero between input samples; the input sample itself carries the gain the zeros take away
                let x = if stuffed == 0 {
                    x * self.up as f32
                } else {
                    0.0
                };
                let y = (self.low_pass.iter_mut()).fold(x, |y, section| section.run(y));
                self.phase += 1;
                if self.phase < self.down {
                    continue;
                }
                self.phase = 0;
                self.pending[self.filled] = y;
                self.filled += 1;
                delivered += 1;
                if self.filled == BLOCK {
                    self.filled = 0;
                    if let (Some(slot), Some(start)) = (
                        completed.blocks.get_mut(completed.count),
                        completed.starts.get_mut(completed.count),
                    ) {
                        *slot = self.pending;
                        *start = delivered - BLOCK as isize;
                        completed.count += 1;
                    }
                }
            }
        }
        for section in &mut self.low_pass {
            section.flush();
        }
        completed
    }

    /// The offset within the input block of native sample `offset` of a native block starting at `start` (an
    /// attack in an earlier input block is reported at its first sample).
    pub(super) fn input_offset(&self, offset: u32, start: isize) -> u32 {
        let native = (start + offset as isize).max(0) as usize;
        (native * self.down / self.up) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_from_11k_to_192k_are_brought_between_40_and_50k_and_44k_and_48k_pass_through() {
        for (rate, native) in [
            (11_025.0, 44_100.0),
            (16_000.0, 48_000.0),
            (22_050.0, 44_100.0),
            (24_000.0, 48_000.0),
            (32_000.0, 48_000.0),
            (44_100.0, 44_100.0),
            (48_000.0, 48_000.0),
            (88_200.0, 44_100.0),
            (96_000.0, 48_000.0),
            (192_000.0, 48_000.0),
        ] {
            let (front, got) = RateFront::new(rate);
            assert_eq!(got, native, "{rate} Hz");
            assert_eq!(front.passes_through(), rate == native);
        }
    }

    #[test]
    fn every_rate_between_11k_and_36k_is_brought_near_the_native_range() {
        // 16.7-20 kHz and 25-26.7 kHz have no factor into 40-50 kHz; they must land next to it, not at 67-107 kHz.
        for rate in (11_000..36_000).step_by(250).map(|r| r as f32) {
            let (_, native) = RateFront::new(rate);
            assert!(
                (33_000.0..=60_000.0).contains(&native),
                "{rate} Hz is heard at {native} Hz"
            );
        }
    }

    /// Feeds 200 blocks of a 1 kHz sine at `rate`; returns (native blocks completed, their peak after the start).
    fn sine_through(rate: f32, mut each: impl FnMut(usize, isize)) -> (usize, f32) {
        let (mut front, _) = RateFront::new(rate);
        let sine = |i: usize| (2.0 * core::f32::consts::PI * 1000.0 * i as f32 / rate).sin();
        let (mut count, mut peak) = (0, 0.0f32);
        for b in 0..200 {
            let block: Vec<f32> = (b * BLOCK..(b + 1) * BLOCK).map(sine).collect();
            for (samples, start) in front.push(&block).iter() {
                each(b, start);
                count += 1;
                if b > 20 {
                    peak = samples.iter().fold(peak, |p, s| p.max(s.abs()));
                }
            }
        }
        (count, peak)
    }

    #[test]
    fn at_96k_a_native_block_completes_every_second_block_and_keeps_a_low_sine() {
        let (count, peak) = sine_through(96_000.0, |b, start| {
            assert_eq!(b % 2, 1, "a native block completes on every second block");
            assert_eq!(
                start,
                -(BLOCK as isize) / 2,
                "its first half came in the block before"
            );
        });
        assert_eq!(count, 100);
        assert!((peak - 1.0).abs() < 0.02, "1 kHz passes: peak {peak}");
        let (front, _) = RateFront::new(96_000.0);
        assert_eq!(
            front.input_offset(40, -32),
            16,
            "native sample 40 is input sample 16"
        );
        assert_eq!(
            front.input_offset(10, -32),
            0,
            "an attack in the earlier block is reported at once"
        );
    }

    #[test]
    fn at_22k_and_16k_every_block_completes_two_or_three_native_blocks_and_keeps_a_low_sine() {
        let mut starts = Vec::new();
        let (count, peak) = sine_through(22_050.0, |_, start| starts.push(start));
        assert_eq!(count, 400);
        assert!(
            (peak - 1.0).abs() < 0.02,
            "1 kHz passes at 22.05 kHz: peak {peak}"
        );
        assert!(
            starts.iter().all(|&s| s == 0 || s == BLOCK as isize),
            "{starts:?}"
        );
        let (count, peak) = sine_through(16_000.0, |_, _| {});
        assert_eq!(count, 600);
        assert!(
            (peak - 1.0).abs() < 0.02,
            "1 kHz passes at 16 kHz: peak {peak}"
        );
        let (front, _) = RateFront::new(22_050.0);
        assert_eq!(
            front.input_offset(40, BLOCK as isize),
            52,
            "native sample 64 + 40 is input sample 52"
        );
    }
}
