//! Onset detection with the sample offset of the attack inside the block.
//!
//! A time-domain log-energy rise detector, chosen for latency: an FFT frame would have to wait for its samples,
//! while a pluck's attack is a broadband jump of energy that shows within a millisecond. Each block is cut into
//! sub-blocks of 16 samples (0.33 ms at 48 kHz). The signal is pre-emphasised by a first difference (hum at 50 Hz
//! loses 44 dB, the attack's high partials stand out over the ringing of older notes, whose high partials have
//! died), and the mean energy of each sub-block is compared with a *background*: the largest sub-block energy of
//! the previous ~20 ms, leaving out the newest sub-blocks. Taking the maximum over more than one period of the
//! lowest guitar note (E2, 12 ms) makes a ringing, vibrating or sliding note its own background, so only a jump
//! above everything heard lately counts (the "adaptive threshold relative to recent level"). An absolute floor
//! a fixed distance above a tracked noise floor (slow-rising minimum of the smoothed energy) keeps hiss and hum
//! out (as does an absolute gate on the raw samples: a resampler's ±1 LSB ringing at Nyquist before an attack
//! passes any gate on the first difference, which doubles it), and a refractory time folds the strings of a strum (10–40 ms) into one onset. The two largest samples of a
//! sub-block are left out of its energy: a click (a splice, a crackle: one or two samples) is no attack, while an
//! attack's energy, spread over the sub-block, hardly changes.
//!
//! The pre-emphasis hides what happens below a few hundred Hz under the high partials of whatever rings: an
//! overdriven or distorted note churns up there all the time, and a palm-muted chug or a swelling power chord
//! under it adds almost nothing to the pre-emphasised energy (on guitar-dev's c3 and b4 clips it rises 0 dB at
//! most of their onsets) while the band of the lower strings' fundamentals (60–200 Hz) rises 8–14 dB within a few
//! ms. So the same rise test runs on that low band too, against its own background: the largest sub-block energy
//! of 40 ms, leaving out the newest 4 ms so the swell of a distorted note (-20 dB re its peak within 3.5 ms of the
//! foot) is measured whole. 40 ms, longer than the 20 ms of the pre-emphasised energy, because low notes a few Hz
//! apart beat: the rise out of a beat's trough is as slow as the fall into it, and a window that reaches back
//! across the trough holds the beat's previous peak.
//!
//! A dark tone (the tone knob rolled off: a 12 dB/octave low-pass at 2 kHz) leaves the pre-emphasised energy to
//! the partials that ring on, and a new note hardly rises above them; but the pick's click still jumps in the band
//! of 8 to 12 kHz, where the strings' partials have died. So the rise test runs on that band too, held over three
//! sub-blocks so a splice's ringing is no attack (`onset/held.rs`).
//!
//! The pick of a distorted or palm-muted note shows first in the mids: its fizz above 4 kHz is already there from
//! the notes before and fills the pre-emphasised energy, the low strings still ring in the low band, while 800 to
//! 3200 Hz jumps 10-20 dB within a sub-block or two. So the rise test runs on that band too, held over two
//! sub-blocks, but not while the ringing of a step of the waveform (a splice, or a cut: the energy collapsing
//! after it) fills the band (`onset/held.rs`); a larger rise in one sub-block, far over the band's noise floor,
//! counts alone, so a pick that starts in a block's last sub-block is heard in that block.
//!
//! A second path catches what the energy cannot: a new note that replaces a dying one at the same level (legato
//! melody) and strums whose first strings are soft over a ringing chord. Every block a 512-point spectrum of the
//! newest samples is compared, bin by bin, with the one of ~10 ms earlier (SuperFlux-style: the reference is the
//! maximum of three neighbouring bins, so vibrato does not count), on a log scale with a floor applied to both
//! frames alike: above the noise floor (hiss makes no flux) and at most `flux_range_db` below the loudest bin heard
//! lately (detail far below the music, such as the faint glitch of a slide or the beating of a ringing chord's
//! weak partials, makes no flux). Its positive sum is the novelty the beat tracker gets as `odf`. It must exceed
//! a fixed threshold and a multiple of its own running mean (whose input is capped, so one loud attack does not
//! deafen the detector): a distorted chord's spectrum churns all the time, a clean note's hardly at all. While the
//! last chord rings that mean stays high, and a soft strum over it would be lost; so a flux that clears the fixed
//! threshold and a lower multiple of the mean is an onset too when an energy rise of a few dB (the pick's click)
//! came with it in the last few blocks.
//!
//! A bin that climbs back to where it stood 10 to 20 ms ago is nothing new: two strings' near-coincident partials
//! beating out of a trough, a reverberant tail's random swells, rise as fast as an attack's partials within 10 ms.
//! So the flux is also taken against a *held* reference, each bin's largest value over the frames 10.7 to 20 ms old,
//! and a flux onset of the main view needs some of it (`held_flux_min`); an attack stands over everything heard
//! lately. On guitar-dev with a room added (RT60 0.5 s) false onsets fell from 2.0 to 0.9 a minute (2 of its 1131
//! attacks were lost); on guitar-dev itself none.
//!
//! The symmetric window of that spectrum gives the newest samples, where an attack appears, little weight, so its
//! flux sees an attack a few blocks late. A second, fast view windows the same samples with a Hann window that
//! falls only over its newest 64 samples; its leakage makes vibrato and beating churn, so its flux counts only
//! together with an energy rise of at least 3 dB (in this block or the one before for the plain threshold, in the
//! last few blocks for the lower, confirmed one), and over higher multiples of its own running mean. On guitar-dev
//! it brings the median delay from 2.9 to 2.3 ms and the 90th percentile from 8.2 to 7.8 ms at the same F and
//! false-onset rate. The `odf` stays the symmetric view's.
//!
//! A strum over a ringing chord whose first string is soft (or rings already) leaves the energy and the flux quiet
//! until its second or third string; but the first string's pick fills the bins between 3 and 12 kHz at once,
//! where the partials have died. The pick view (`onset/pick.rs`) hears that, bin by bin, in the fast view's spectrum.
//!
//! When the input stops dead (a take cut off, a dropout, a stopped interface) the cut splatters over the spectrum of
//! every frame that holds it, however quiet the hum or hiss it cut: on guitar-dev with hum or hiss added, nearly
//! every take's end was an onset. No music loses 40 dB of its pre-emphasised energy within a sub-block, so such a
//! collapse below the background marks the next `FRAME` samples, and the flux heard while it is in the frame is no
//! onset (the energy paths need a rise, which a collapse never is; a pluck after the silence is heard by them).
//!
//! A broken sample (NaN, infinity, or far beyond full scale) holds the last good one: read as silence, a lone NaN
//! in a ringing note would be a click, which is an attack.
//!
//! Rates above 50 kHz (88.2 to 192 kHz) are heard decimated to 44.1 or 48 kHz, and rates below 36 kHz (11.025 to 32
//! kHz) upsampled to them, the rates all the settings above are tuned at (`onset/rate.rs`).
//!
//! Thresholds in the spirit of aubio's peak picker (`src/onset/peakpicker.c`: a threshold over a local median/
//! mean, a silence gate and a minimum inter-onset interval) and SuperCollider's OnsetsDS (`server/plugins/
//! onsetsds.c`: a relaxing adaptive whitening and a median threshold), but on a time-domain envelope so the
//! attack is caught in the block where it happens or the next.

use super::biquad::Biquad;
use super::{BLOCK, Onset, power_ratio};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

mod click;
mod energy;
mod flux;
mod held;
mod params;
mod pick;
mod rate;
mod report;

use click::ClickWatch;
use energy::{EnergyTrack, mean_energy, sub_block_energy};
use flux::FluxView;
use held::{Band, HeldBand, rise_or_off};
pub use params::OnsetParams;
use pick::PickView;
use rate::{RateFront, hold_broken};

/// Samples per sub-block: the time resolution of the energy envelope.
const SUB: usize = 16;
/// Sub-blocks per block.
const SUBS_PER_BLOCK: usize = BLOCK / SUB;
/// Capacity of the ring of past sub-block energies (enough for 40 ms at 192 kHz).
const HISTORY: usize = 512;
/// Energy that stands for silence: keeps logarithms finite and stops denormals.
const TINY: f32 = 1e-14;
/// Length of the spectral frame (10.7 ms at 48 kHz).
const FRAME: usize = 512;
/// Spectral frames kept for the flux reference (the newest plus `FLUX_LAG` older ones).
const FLUX_FRAMES: usize = 16;
/// Most bins the flux looks at.
const MAX_BINS: usize = 128;
/// Blocks of energy rises remembered for confirming a flux onset.
const RISE_MEMORY: usize = 4;

/// What the onset detector saw in one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OnsetFrame {
    /// Onset-detection-function value for this block (novelty, >= 0), fed to the beat tracker: the spectral flux
    /// against ~10 ms earlier (natural-log units summed over bins), zero under the noise gate.
    pub odf: f32,
    /// An attack: a pick or a strum (an energy rise, or a spectral change the energy does not contradict).
    pub onset: Option<Onset>,
    /// A legato note change: a spectral change that came right after a splice of the waveform (a hammer-on, a
    /// pull-off, a slide) with no new excitation of the string. Never together with `onset`; the trackers that
    /// restart on a new note (pitch, chord, beat) take it as they take an onset.
    pub change: Option<Onset>,
    /// Largest rise (dB) of a sub-block's pre-emphasised energy over its background in this block.
    pub rise_db: f32,
    /// Largest rise (dB) of a sub-block's low-band energy over its own background in this block.
    pub low_rise_db: f32,
    /// Largest rise (dB) of a sub-block's high-band energy (the pick's click above the partials) over its own
    /// background in this block.
    pub high_rise_db: f32,
    /// Largest rise (dB) of the mid band's energy (held over its sub-blocks) over its own background in this block.
    pub mid_rise_db: f32,
}

/// Per-block onset detector.
pub struct OnsetDetector {
    params: OnsetParams,
    /// Brings high sample rates down to the one the detector runs at.
    rate: RateFront,
    /// Last low-passed sample of the previous block, for the first difference.
    previous_sample: f32,
    /// Last finite input sample, which stands in for non-finite ones.
    last_input: f32,
    /// State and coefficient of the one-pole low-pass of the emphasis.
    lowpass: f32,
    lowpass_coef: f32,
    /// Energy envelope of the pre-emphasised signal.
    broadband: EnergyTrack,
    /// Pre-emphasised samples of the current block, for locating the attack.
    emphasised: [f32; BLOCK],
    /// Band-pass of the low band (fundamentals of the lower strings) and its energy envelope.
    low_filters: [Biquad; 2],
    low: EnergyTrack,
    /// Low-band samples of the current block.
    low_band: [f32; BLOCK],
    /// The band of the pick's click above the partials (`onset/held.rs`).
    high: HeldBand,
    /// The band where the pick of a distorted or palm-muted note shows first (`onset/held.rs`).
    mid: HeldBand,
    /// Whether the previous sub-block's pre-emphasised energy was mostly one sample's (a step).
    spike_before: bool,
    /// Linear forms of the dB thresholds.
    rise_ratio: f32,
    low_rise_ratio: f32,
    floor_ratio: f32,
    gate: f32,
    raw_gate: f32,
    /// Sub-blocks since the last onset (saturating).
    since_onset: u32,
    /// Sub-blocks since the pre-emphasised energy last collapsed far below its background (saturating), and how
    /// far below counts as a collapse (linear; 0: never).
    since_collapse: u32,
    collapse_ratio: f32,
    refractory_subs: u32,
    /// The newest `FRAME` input samples, oldest first.
    recent: Box<[f32]>,
    /// The spectral view behind `odf` and the plain flux onsets.
    main: FluxView,
    /// The fast view (short fall at the newest end), when on.
    fast: Option<FluxView>,
    fft: Arc<dyn RealToComplex<f32>>,
    fft_input: Box<[f32]>,
    fft_output: Box<[Complex<f32>]>,
    fft_scratch: Box<[Complex<f32>]>,
    /// Row of the views' spectra rings written this block.
    spectrum_pos: usize,
    first_bin: usize,
    bins: usize,
    flux_lag: usize,
    /// Magnitude in a spectral bin of white noise whose pre-emphasised energy per sample is 1 (window gain).
    noise_bin_scale: f32,
    /// Fall per block of a view's loudest-bin reference, and the floor's distance below it.
    level_release: f32,
    range: f32,
    /// Per-block coefficient of the flux's running mean.
    flux_mean_coef: f32,
    /// Energy rises (dB) of the latest blocks, newest at `rise_pos - 1`.
    recent_rises: [f32; RISE_MEMORY],
    rise_pos: usize,
    /// The latest spike of the pre-emphasised signal and what followed it, and how many sub-blocks back a splice
    /// makes a flux onset a legato change (0: never).
    click: ClickWatch,
    splice_within_subs: u32,
    /// The pick view (`onset/pick.rs`), when on (it reads the fast view's spectrum).
    pick: Option<PickView>,
}

impl OnsetDetector {
    /// A detector with the default settings.
    pub fn new(sample_rate: f32) -> Self {
        Self::with_params(sample_rate, OnsetParams::default())
    }

    /// A detector with explicit settings (for tuning and tests).
    pub fn with_params(sample_rate: f32, params: OnsetParams) -> Self {
        let sr = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let (rate, sr) = RateFront::new(sr);
        let subs_per_ms = sr / 1000.0 / SUB as f32;
        let background_subs = (params.background_ms * subs_per_ms).round() as usize;
        let smooth_coef = 1.0 - (-1.0 / (5.0 * subs_per_ms)).exp();
        let floor_rise = power_ratio(params.floor_rise_db_per_s / (1000.0 * subs_per_ms));
        let held = |band| HeldBand::of(band, sr, &params, background_subs, smooth_coef, floor_rise);
        let main = FluxView::new(params.window_fall);
        let window_power: f32 = main.window.iter().map(|w| w * w).sum();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FRAME);
        let bin_hz = sr / FRAME as f32;
        let first_bin = ((params.flux_low_hz / bin_hz).round() as usize).clamp(1, FRAME / 2 - 2);
        let last_bin =
            ((params.flux_high_hz / bin_hz).round() as usize).clamp(first_bin + 1, FRAME / 2);
        let bins = (last_bin - first_bin).min(MAX_BINS);
        Self {
            params,
            rate,
            previous_sample: 0.0,
            last_input: 0.0,
            lowpass: 0.0,
            lowpass_coef: if params.emphasis_lowpass_hz > 0.0 {
                1.0 - (-2.0 * std::f32::consts::PI * params.emphasis_lowpass_hz / sr).exp()
            } else {
                1.0
            },
            // (the tracks clamp their windows to what their history holds)
            broadband: EnergyTrack::new(
                background_subs,
                params.gap_subs,
                smooth_coef,
                floor_rise,
                0,
            ),
            emphasised: [0.0; BLOCK],
            low_filters: [
                Biquad::high_pass(sr, params.low_band_hz.0, std::f32::consts::FRAC_1_SQRT_2),
                Biquad::low_pass(sr, params.low_band_hz.1, std::f32::consts::FRAC_1_SQRT_2),
            ],
            low: EnergyTrack::new(
                (params.low_background_ms * subs_per_ms).round() as usize + params.low_gap_subs,
                params.low_gap_subs,
                smooth_coef,
                floor_rise,
                (params.low_floor_learning_ms * subs_per_ms).round() as usize,
            ),
            low_band: [0.0; BLOCK],
            high: held(Band::High),
            mid: held(Band::Mid),
            spike_before: false,
            rise_ratio: power_ratio(params.rise_db),
            low_rise_ratio: rise_or_off(params.low_rise_db),
            floor_ratio: power_ratio(params.floor_margin_db),
            gate: power_ratio(params.gate_db),
            raw_gate: power_ratio(params.raw_gate_db),
            // Start as if an onset had just been heard: until the background window has filled, whatever is
            // already sounding (hiss, hum) would otherwise look like an attack out of silence.
            since_onset: 0,
            since_collapse: u32::MAX,
            collapse_ratio: if params.collapse_db > 0.0 {
                power_ratio(-params.collapse_db)
            } else {
                0.0
            },
            refractory_subs: (params.refractory_ms * subs_per_ms).round().max(1.0) as u32,
            recent: vec![0.0; FRAME].into_boxed_slice(),
            main,
            fast: (params.fast_window_fall > 0).then(|| FluxView::new(params.fast_window_fall)),
            fft_input: fft.make_input_vec().into_boxed_slice(),
            fft_output: fft.make_output_vec().into_boxed_slice(),
            fft_scratch: fft.make_scratch_vec().into_boxed_slice(),
            fft,
            spectrum_pos: 0,
            first_bin,
            bins,
            flux_lag: params.flux_lag_blocks.clamp(1, FLUX_FRAMES - 1),
            // white noise of energy e per sample (first differences of noise of energy e/2) has
            // E|X|^2 = (e/2) * sum(w^2) in a bin of the raw signal
            noise_bin_scale: (window_power / 2.0).sqrt(),
            // nepers of magnitude per block
            level_release: params.flux_release_db_per_s / 8.686 * BLOCK as f32 / sr,
            range: if params.flux_range_db > 0.0 {
                params.flux_range_db / 8.686
            } else {
                f32::MAX
            },
            flux_mean_coef: 1.0
                - (-(BLOCK as f32) / (params.flux_mean_ms.max(1.0) / 1000.0 * sr)).exp(),
            recent_rises: [0.0; RISE_MEMORY],
            rise_pos: 0,
            click: ClickWatch::from_params(subs_per_ms, &params),
            splice_within_subs: if params.splice_step_db > 0.0 {
                (params.splice_within_ms * subs_per_ms).round() as u32
            } else {
                0
            },
            pick: (params.pick_novelty > 0.0 && params.fast_window_fall > 0)
                .then(|| PickView::from_params(sr, &params)),
        }
    }

    /// Settings in use.
    pub fn params(&self) -> OnsetParams {
        self.params
    }

    /// Hears one block (normally `BLOCK` samples; shorter or longer blocks are handled, only the first `BLOCK`
    /// samples are used). Never allocates; a broken sample (non-finite or
    /// beyond 8 times full scale) holds the last good one.
    pub fn process(&mut self, block: &[f32]) -> OnsetFrame {
        if self.rate.passes_through() {
            return self.process_native(block);
        }
        let mut input = [0.0; BLOCK];
        let n = block.len().min(BLOCK);
        for (x, &raw) in input.iter_mut().zip(block) {
            *x = hold_broken(raw, &mut self.last_input);
        }
        let completed = self.rate.push(&input[..n]);
        let heard = completed.iter().map(|(native, start)| {
            let mut heard = self.process_native(native);
            for onset in [&mut heard.onset, &mut heard.change].into_iter().flatten() {
                onset.offset = self.rate.input_offset(onset.offset, start);
            }
            heard
        });
        // (no native block completed: the last one's novelty holds)
        let Some(frame) = heard.reduce(OnsetFrame::then) else {
            return OnsetFrame {
                odf: self.rate.held_odf,
                ..OnsetFrame::default()
            };
        };
        self.rate.held_odf = frame.odf;
        frame
    }

    /// [`process`](Self::process) at the native rate.
    fn process_native(&mut self, block: &[f32]) -> OnsetFrame {
        let n = block.len().min(BLOCK);
        self.recent.copy_within(n.., 0);
        let recent_start = FRAME - n;
        let mut previous = self.previous_sample;
        for (((((e, l), h), m), r), &x) in self
            .emphasised
            .iter_mut()
            .zip(self.low_band.iter_mut())
            .zip(self.high.band.iter_mut())
            .zip(self.mid.band.iter_mut())
            .zip(self.recent[recent_start..].iter_mut())
            .zip(block.iter())
        {
            let x = hold_broken(x, &mut self.last_input);
            *r = x;
            self.lowpass += self.lowpass_coef * (x - self.lowpass);
            // flush to zero: a decaying low-pass state must never turn denormal
            if self.lowpass.abs() < 1e-20 {
                self.lowpass = 0.0;
            }
            *e = self.lowpass - previous;
            previous = self.lowpass;
            *l = self.low_filters.iter_mut().fold(x, |y, f| f.run(y));
            *h = self.high.filters.iter_mut().fold(x, |y, f| f.run(y));
            *m = self.mid.filters.iter_mut().fold(x, |y, f| f.run(y));
        }
        for filter in &mut self.low_filters {
            filter.flush();
        }
        self.high.end_block(n);
        self.mid.end_block(n);
        self.emphasised[n..].fill(0.0);
        self.low_band[n..].fill(0.0);
        self.previous_sample = previous;

        let mut frame = OnsetFrame::default();
        let mut best_rise = 0.0f32;
        let mut best_sub = 0usize;
        let mut best_background = TINY;
        let mut best_low_rise = 1.0f32;
        let mut best_high_rise = 1.0f32;
        let mut best_mid_rise = 1.0f32;
        let mut loudest_raw = 0.0f32;
        for sub in 0..SUBS_PER_BLOCK {
            let start = sub * SUB;
            let samples = &self.emphasised[start..start + SUB];
            let sub_block = sub_block_energy(samples, self.params.click_trim);
            let energy = sub_block.trimmed;
            let background = self.broadband.push(energy);
            let low_energy = mean_energy(&self.low_band[start..start + SUB]);
            let low_background = self.low.push(low_energy);
            let (trim, gate, floor) = (self.params.click_trim, self.gate, self.floor_ratio);
            let high_rise = self.high.push_sub(start, trim, gate, floor).map(|r| r.held);
            let mid_rise = self.mid.push_sub(start, trim, gate, floor);
            self.since_onset = self.since_onset.saturating_add(1);
            // (the zeros that pad a short block are no collapse)
            self.since_collapse = if start + SUB <= n && energy < background * self.collapse_ratio {
                0
            } else {
                self.since_collapse.saturating_add(1)
            };

            // (the raw samples of this sub-block: fewer at the end of a short block)
            let raw = self
                .recent
                .get(recent_start + start..(recent_start + start + SUB).min(FRAME))
                .unwrap_or(&[]);
            let raw_energy = mean_energy(raw);
            loudest_raw = loudest_raw.max(raw_energy);
            let audible = energy > self.gate
                && raw_energy > self.raw_gate
                && energy > self.broadband.noise_floor() * self.floor_ratio;
            self.click.push(&sub_block, audible);
            // (a sub-block whose energy is mostly one sample's: a step of the waveform, however quiet around it)
            let spike = sub_block.peak > 0.5 * SUB as f32 * sub_block.mean;
            let rise = energy / background;
            if audible && rise > best_rise {
                best_rise = rise;
                best_sub = start;
                best_background = background;
            }
            if audible && rise > self.rise_ratio {
                let offset = self.attack_offset(start, background);
                self.energy_onset(&mut frame, offset, rise);
            }
            // the high band: the pick's click, when a dark tone leaves the emphasised energy to the partials that ring
            // (a rise held over three sub-blocks, which a splice's ringing is not)
            let high_rise = high_rise.filter(|_| raw_energy > self.raw_gate);
            if let Some(rise) = high_rise {
                best_high_rise = best_high_rise.max(rise);
            }
            if let Some(rise) = high_rise.filter(|&r| r > self.high.rise_ratio) {
                // (the rise has held since the first of the held sub-blocks)
                self.energy_onset(&mut frame, self.high.held_from(start), rise);
            }
            // the mid band: the pick of a distorted or palm-muted note, before its swell reaches the emphasised
            // energy (`onset/held.rs`)
            let mid_rise = mid_rise.filter(|_| raw_energy > self.raw_gate);
            if let Some(rise) = mid_rise {
                best_mid_rise = best_mid_rise.max(rise.held);
            }
            self.hear_mid(&mut frame, start, mid_rise, spike);
            // the low band: a swelling distorted note or a palm-muted chug under the churn of a ringing chord
            let low_audible =
                low_energy > self.gate && low_energy > self.low.noise_floor() * self.floor_ratio;
            let low_rise = low_energy / low_background;
            if low_audible {
                best_low_rise = best_low_rise.max(low_rise);
            }
            if low_audible && low_rise > self.low_rise_ratio {
                self.energy_onset(&mut frame, start, low_rise);
            }
        }
        frame.rise_db = if best_rise > 1.0 {
            10.0 * best_rise.log10()
        } else {
            0.0
        };

        frame.low_rise_db = 10.0 * best_low_rise.log10();
        frame.high_rise_db = 10.0 * best_high_rise.log10();
        frame.mid_rise_db = 10.0 * best_mid_rise.log10();
        let previous_rise = self.recent_rises[(self.rise_pos + RISE_MEMORY - 1) % RISE_MEMORY];
        // a rise of the low band is evidence of an attack as good as one of the pre-emphasised energy: a down-strum
        // over a ringing chord starts on its lowest string
        let evidence = if self.params.low_rise_confirms {
            frame.rise_db.max(frame.low_rise_db)
        } else {
            frame.rise_db
        };
        self.recent_rises[self.rise_pos % RISE_MEMORY] = evidence;
        self.rise_pos = (self.rise_pos + 1) % RISE_MEMORY;
        let recent_rise = self.recent_rises.iter().fold(0.0f32, |a, &b| a.max(b));

        let (flux, flux_mean, updated_mean, held_flux) = self.flux_of(false);
        frame.odf = flux;
        let flux_threshold = self
            .params
            .flux_threshold
            .max(self.params.flux_mean_factor * flux_mean);
        // something new: the flux over the held reference, not only a bin climbing back where it stood lately
        let novel = held_flux >= self.params.held_flux_min;
        let confirmed = self.params.confirm_rise_db > 0.0
            && novel
            && recent_rise >= self.params.confirm_rise_db
            && flux > self.params.confirm_flux
            && flux > self.params.confirm_mean_factor * updated_mean;
        let mut heard = (novel && flux > flux_threshold) || confirmed;
        let mut fast_heard = false;
        if self.fast.is_some() {
            let (fast_flux, fast_mean, fast_updated, _) = self.flux_of(true);
            let fast_threshold = self
                .params
                .flux_threshold
                .max(self.params.fast_mean_factor * fast_mean);
            // the fast view's flux needs an energy rise with it, either the plain one or, like the main view's,
            // a smaller one over a lower multiple of its mean
            fast_heard |= fast_flux > fast_threshold
                && evidence.max(previous_rise) >= self.params.fast_rise_db;
            fast_heard |= self.params.fast_confirm_mean_factor > 0.0
                && recent_rise >= self.params.confirm_rise_db.max(self.params.fast_rise_db)
                && fast_flux > self.params.confirm_flux
                && fast_flux > self.params.fast_confirm_mean_factor * fast_updated;
        }
        // the pick view reads the fast view's spectrum, still in the transform's output
        let noise_magnitude = self.bin_noise_magnitude();
        let step_age = self.click.step_age();
        let pick_heard = self
            .pick
            .as_mut()
            .is_some_and(|pick| pick.push(&self.fft_output, noise_magnitude, step_age));
        self.spectrum_pos = (self.spectrum_pos + 1) % FLUX_FRAMES;
        heard |= fast_heard || pick_heard;
        // a collapse of the energy (a cut to digital silence, a dropout) splatters over the spectrum of every frame
        // that holds it: that flux is the sound stopping, not an attack; and a tail within a few steps of a 16-bit
        // converter churns as its quantization error changes: that flux is no attack either
        let collapse_in_frame = (self.since_collapse as usize) < FRAME / SUB;
        if frame.onset.is_none()
            && heard
            && !collapse_in_frame
            && loudest_raw > self.raw_gate
            && self.since_onset > self.refractory_subs
        {
            self.since_onset = 0;
            let onset = Onset {
                offset: if best_rise > 1.0 {
                    self.attack_offset(best_sub, best_background) as u32
                } else {
                    0
                },
                strength: frame.odf,
            };
            // heard by the main view's flux right after a splice: a legato change; a small energy rise that confirmed
            // the flux does not make it an attack when the step was strong (its own click, spread by a treble boost,
            // is that rise; the energy after it, its spill left out, stayed where it was)
            let legato = !fast_heard
                && !pick_heard
                && self.splice_within_subs > 0
                && self
                    .click
                    .heard_splice(self.splice_within_subs, recent_rise)
                && (!confirmed || self.click.step_was_strong());
            if legato {
                frame.change = Some(onset);
            } else {
                frame.onset = Some(onset);
            }
        }
        frame
    }
}
