//! The onset detector's tunable settings and their defaults.

/// Tunable settings of the detector; [`Default`] is what the listener uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OnsetParams {
    /// How far (dB) a sub-block's energy must rise above the background to be an onset.
    pub rise_db: f32,
    /// How far (dB) above the tracked noise floor an onset's sub-block must be.
    pub floor_margin_db: f32,
    /// Absolute gate (dB re full scale, of the pre-emphasised energy): nothing quieter is an onset.
    pub gate_db: f32,
    /// Absolute gate (dB re full scale) of the mean energy of a sub-block's own samples: a signal of a few steps of
    /// a 16-bit converter (the ringing of a resampler's filter at Nyquist, +-1 LSB, is -90 dB, yet its first
    /// difference clears `gate_db`) is no onset.
    pub raw_gate_db: f32,
    /// Length (ms) of the window whose maximum is the background.
    pub background_ms: f32,
    /// Newest sub-blocks left out of the background, so an attack's own start does not hide it.
    pub gap_subs: usize,
    /// Time (ms) after an onset during which no other onset is reported (strums).
    pub refractory_ms: f32,
    /// How fast (dB per second) the noise floor may rise when the level stays above it.
    pub floor_rise_db_per_s: f32,
    /// Time (ms) from the start during which the low band's noise floor follows its smoothed energy both ways (0: it
    /// starts at silence and rises only at `floor_rise_db_per_s`, as the pre-emphasised energy's does): the low band
    /// of hiss is narrow and churns, and a floor that has not learnt it lets that churn confirm a flux onset.
    pub low_floor_learning_ms: f32,
    /// Spectral flux (sum over bins of natural-log magnitude rises) that makes an onset.
    pub flux_threshold: f32,
    /// Blocks between a spectrum and its flux reference.
    pub flux_lag_blocks: usize,
    /// Band of the flux, Hz.
    pub flux_low_hz: f32,
    pub flux_high_hz: f32,
    /// Spectral floor as a multiple of the noise floor's magnitude in a bin.
    pub flux_floor_over_noise: f32,
    /// Corner (Hz) of the one-pole low-pass before the first difference: with it the emphasis peaks in the
    /// attack's band instead of in the top octave, where hiss lives.
    pub emphasis_lowpass_hz: f32,
    /// Spectral floor (dB) below the loudest bin heard lately: quieter detail makes no flux.
    pub flux_range_db: f32,
    /// How fast (dB per second) the loudest-bin reference of `flux_range_db` falls.
    pub flux_release_db_per_s: f32,
    /// Time constant (ms) of the running mean of the flux.
    pub flux_mean_ms: f32,
    /// The flux must also exceed this multiple of its running mean.
    pub flux_mean_factor: f32,
    /// The running mean takes in the flux only up to this multiple of `flux_threshold` (0: no limit), so one
    /// loud attack does not deafen the detector to the next note.
    pub flux_mean_cap: f32,
    /// Samples over which the spectral window falls at its newest end (0: a symmetric Hann window). A short fall
    /// puts the newest samples, where an attack appears, near full weight, so the flux sees it blocks sooner; but
    /// its leakage makes vibrato and beating churn (64 samples: median delay 2.9 -> 2.0 ms on guitar-dev, yet
    /// false onsets in a ringing chord with vibrato), so it is off here and used by the fast view instead.
    pub window_fall: usize,
    /// The running mean takes in the flux only up to this multiple of itself (0: no limit): attacks then hardly
    /// raise it, and it follows the churn of what is ringing rather than the last strum.
    pub flux_mean_clip: f32,
    /// A flux above `confirm_flux` and `confirm_mean_factor` times its running mean is also an onset when an
    /// energy rise of at least `confirm_rise_db` came with it (within `RISE_MEMORY` blocks): a strum over a
    /// ringing chord, whose flux stays under the plain mean threshold (0: off).
    pub confirm_rise_db: f32,
    pub confirm_mean_factor: f32,
    /// Least flux that a confirmed energy rise needs.
    pub confirm_flux: f32,
    /// Bins either side whose maximum in the reference frame a bin is compared with (1 to 4; 2 costs legato
    /// changes a semitone apart: F 0.950 -> 0.928 on guitar-dev).
    pub flux_neighbours: usize,
    /// Fall (samples) of a second, fast spectral window whose flux is an onset only when an energy rise of at
    /// least `fast_rise_db` came with it in this block or the one before (0: no fast view).
    pub fast_window_fall: usize,
    pub fast_rise_db: f32,
    /// The fast flux must exceed this multiple of its own running mean (and `flux_threshold`).
    pub fast_mean_factor: f32,
    /// Like `confirm_mean_factor`, for the fast view's flux, whose confirming rise must also reach `fast_rise_db`
    /// (0: off).
    pub fast_confirm_mean_factor: f32,
    /// Band (Hz) of the low-band energy envelope: the fundamentals of the lower strings.
    pub low_band_hz: (f32, f32),
    /// How far (dB) the low band's energy must rise above its own background to be an onset (0: off).
    pub low_rise_db: f32,
    /// Newest sub-blocks left out of the low band's background: more than the gap of the pre-emphasised energy, so
    /// the swell of a distorted note (its level reaches -20 dB re its peak within 3.5 ms) is measured whole.
    pub low_gap_subs: usize,
    /// Length (ms) of the window whose maximum is the low band's background (before its gap).
    pub low_background_ms: f32,
    /// Largest samples (0 to 2) of each pre-emphasised sub-block left out of its energy, so a click is no attack
    /// (0: off; 2 takes the edge off sharp pick attacks too: on guitar-dev one false onset fewer, two attacks fewer
    /// and the 90th percentile of b1's delay 7.8 -> 9.6 ms).
    pub click_trim: usize,
    /// Whether a rise of the low band counts as the energy rise that the confirmed and the fast flux paths need (a
    /// down-strum starts on its lowest string). On guitar-dev: onset F50 0.958 -> 0.961, recall 0.927 -> 0.933
    /// (same false onsets), c1's 90th percentile of delay 24.6 -> 17.1 ms, d2's 14.6 -> 12.0; chords acc 0.869 ->
    /// 0.871, delay p90 161 -> 133 ms, <=100 ms 0.784 -> 0.818; beats F 0.935 -> 0.932, CMLc 0.897 -> 0.879, all of
    /// it f1, where one onset comes 2.7 ms closer to the truth (4.8 -> 2.1 ms after it).
    pub low_rise_confirms: bool,
    /// A sample of the pre-emphasised signal this far (dB) above the largest of the 15 ms before it is a step no
    /// periodic tone takes (0: no legato changes); when the energy of the 2 ms after it rises at most
    /// `splice_post_db` over the mean of the 12 ms before it, it was a splice, and a flux onset heard without an
    /// energy rise within `splice_within_ms` of it is a legato change, not an onset (f2 of guitar-dev: false onsets
    /// 28 -> 7 per minute, no attack lost on the corpus; see `click.rs`).
    pub splice_step_db: f32,
    pub splice_post_db: f32,
    pub splice_within_ms: f32,
    /// A step only this far (dB) over the peaks before it (0: off), less than `splice_step_db`, is a splice too when
    /// the energy after it rises at most `splice_weak_post_db`: a resampled take's anti-aliasing filter spreads a
    /// splice's one-sample step (guitar-dev two semitones up and down: 4-5 dB instead of 6-7), while a soft re-pick
    /// of the same note, whose click can be as weak, adds energy (0.4-2.5 dB on guitar-dev's f1); nor may an energy
    /// rise of `splice_weak_rise_db` (pre-emphasised or low band) have come with the flux (a palm-muted chug: 1.7 dB;
    /// a spliced legato line's energy churns by less than 1 dB).
    pub splice_weak_step_db: f32,
    pub splice_weak_post_db: f32,
    pub splice_weak_rise_db: f32,
    /// A sub-block whose pre-emphasised energy is this far (dB) below its background is a collapse (a cut to
    /// digital silence, a dropout; 0: off): no music falls that fast (a damped string loses 6 dB in 20 ms, and the
    /// deepest dip of a pure E2 sine's first difference in a sub-block is 29 dB below its peak), and while a
    /// collapse is inside the spectral frame its flux is no onset.
    pub collapse_db: f32,
    /// Frames, from `flux_lag_blocks` back, whose bin-wise maximum is the main view's *held* reference (8: the
    /// frames 10.7 to 20 ms old at 48 kHz; 0: none).
    pub flux_hold_blocks: usize,
    /// Least flux (natural-log units summed over bins) of the newest frame over the held reference that a flux
    /// onset of the main view needs (0: off): a bin that only climbs back to where it stood within the last 20 ms
    /// (the way out of a beat's trough between two strings' partials, a reverberant tail's random swells) is
    /// nothing new, while an attack's partials and noise stand over everything heard lately. On guitar-dev and
    /// its altered copies, churn and room false onsets had a held flux of 0 to 3 (median 0.5), the flux onsets
    /// heard without an energy rise 2.8 or more in 98 %; 1.5 cost no attack on guitar-dev and halved the false
    /// onsets with reverb (13 -> 6).
    pub held_flux_min: f32,
    /// Band (Hz) of the pick's click above the partials (`onset/high.rs`): a fourth-order high-pass at the first,
    /// a second-order low-pass at the second.
    pub high_band_hz: (f32, f32),
    /// How far (dB) the high band's energy must rise above its own background, over three sub-blocks, to be an
    /// onset (0: off). Through a 2 kHz tone control (guitar-dev's dark copy), onset recall 0.911 -> 0.912 and the
    /// median delay 3.5 -> 2.3 ms; on guitar-dev itself recall 0.933 -> 0.935, median delay 2.2 -> 1.8 ms, false
    /// onsets unchanged (6 dB: a little less of both; with a rise over two sub-blocks, splices in f2 were onsets).
    pub high_rise_db: f32,
    /// Band (Hz) of the mid band (`onset/held.rs`): a fourth-order high-pass at the first, a second-order low-pass
    /// at the second; where the pick of a distorted or palm-muted note shows first.
    pub mid_band_hz: (f32, f32),
    /// How far (dB) the mid band's energy must rise above its own background (that of the pre-emphasised energy:
    /// `background_ms`, `gap_subs`), held over `mid_hold_subs` sub-blocks (1 to 4), to be an onset (0: off).
    pub mid_rise_db: f32,
    pub mid_hold_subs: usize,
    /// How far (dB) the mid band's energy in a single sub-block must rise above its background to be an onset
    /// without being held (0: off; off with the mid band too), when it also stands `mid_quick_floor_db` over the
    /// band's noise floor and the pre-emphasised sub-block is no spike (`onset/held.rs`). A pick whose first
    /// sub-block is the last of a block, or whose rise falls back for a sub-block, is heard a block sooner. On
    /// guitar-dev: onsets later than 4 ms 205 -> 199 of 1062, 90th percentile of the delay 5.24 -> 5.14 ms, nothing
    /// lost or added; with a room 253 -> 247 (6.25 -> 5.97 ms). Hiss at -55 dBFS (guitar-dev's noise copy: white
    /// and high-passed brown) churns the band's single sub-blocks up to 6.9 dB over their 20 ms maximum (10 minutes
    /// of it, five seeds; at 6 dB that made three onsets): with the floor margin, none.
    pub mid_quick_rise_db: f32,
    pub mid_quick_floor_db: f32,
    /// Band (Hz) of the pick view (`onset/pick.rs`): bins of the fast view's spectrum above the partials of what
    /// rings, where a pick's noise stands out.
    pub pick_band_hz: (f32, f32),
    /// Least novelty of the pick view in one block that, with a whole rise (no dead zone) of `pick_follow` in the
    /// block before or after it, is an onset (0: the view is off); the novelty is each bin's rise (nepers of
    /// magnitude) over its largest value in the last `pick_hold_blocks` frames, less `pick_dead_zone_db`, summed
    /// over the band. A pick's noise lasts a few milliseconds, a peak of a clipped chord or a splice's ringing
    /// hardly a block.
    pub pick_novelty: f32,
    pub pick_follow: f32,
    /// Least novelty that is an onset by itself, without a neighbouring block's rise (0: none). With 15, a splice of
    /// guitar-dev's legato clip heard at 22.05 kHz through the upsampler (which smooths the step the click watch
    /// looks for) made two false onsets; without it, one onset more of guitar-dev is heard later than 4 ms.
    pub pick_alone: f32,
    pub pick_hold_blocks: usize,
    /// Rise (dB) of a bin over its held value that counts for nothing in the novelty (the swell and beating of
    /// partials and distortion products).
    pub pick_dead_zone_db: f32,
    /// Time (ms) after a step of the waveform (a splice) during which the pick view is not heard: a step is
    /// broadband too, and its frames brighten for a block or two as it moves into the window's peak.
    pub pick_after_step_ms: f32,
}

impl Default for OnsetParams {
    fn default() -> Self {
        Self {
            rise_db: 6.0,
            floor_margin_db: 12.0,
            gate_db: -85.0,
            raw_gate_db: -80.0,
            background_ms: 20.0,
            gap_subs: 3,
            refractory_ms: 50.0,
            floor_rise_db_per_s: 1.0,
            low_floor_learning_ms: 100.0,
            flux_threshold: 8.0,
            flux_lag_blocks: 8,
            flux_low_hz: 200.0,
            flux_high_hz: 6100.0,
            flux_floor_over_noise: 4.0,
            emphasis_lowpass_hz: 0.0,
            flux_range_db: 45.0,
            flux_release_db_per_s: 20.0,
            flux_mean_ms: 50.0,
            flux_mean_factor: 3.8,
            flux_mean_cap: 2.0,
            window_fall: 0,
            flux_mean_clip: 0.0,
            confirm_rise_db: 2.0,
            confirm_mean_factor: 2.5,
            confirm_flux: 8.0,
            flux_neighbours: 1,
            fast_window_fall: 64,
            fast_rise_db: 3.0,
            fast_mean_factor: 4.5,
            fast_confirm_mean_factor: 3.5,
            low_band_hz: (60.0, 200.0),
            low_rise_db: 8.0,
            low_gap_subs: 12,
            low_background_ms: 40.0,
            click_trim: 2,
            low_rise_confirms: true,
            splice_step_db: 6.0,
            splice_post_db: 3.0,
            splice_within_ms: 15.0,
            splice_weak_step_db: 4.0,
            splice_weak_post_db: 0.0,
            splice_weak_rise_db: 1.0,
            collapse_db: 40.0,
            flux_hold_blocks: 8,
            held_flux_min: 1.5,
            high_band_hz: (8000.0, 12000.0),
            high_rise_db: 4.5,
            mid_band_hz: (800.0, 3200.0),
            mid_rise_db: 6.0,
            mid_hold_subs: 2,
            mid_quick_rise_db: 7.0,
            mid_quick_floor_db: 18.0,
            pick_band_hz: (3000.0, 12000.0),
            pick_novelty: 6.0,
            pick_follow: 3.0,
            pick_alone: 0.0,
            pick_hold_blocks: 15,
            pick_dead_zone_db: 3.0,
            pick_after_step_ms: 6.0,
        }
    }
}
