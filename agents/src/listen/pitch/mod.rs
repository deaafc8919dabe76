//! Pitch of single notes, E2–E6, with a confidence.
//!
//! The input is low-passed and decimated to about 12 kHz, with a gentle extra low-pass so the lower partials
//! weigh most ([`filter`]); mains hum is learnt and subtracted ([`hum`]), and a high-pass at 300 Hz removes the
//! body's thump at each attack, which would otherwise be read as a lower note. McLeod's normalized square
//! difference function (NSDF) is then read from running windows ([`nsdf`]). Windows restart in turn every few milliseconds and at each attack the onset detector
//! reports, so some window always starts at the attack: the new note is read without the old note's tail, and
//! as early as physics allows (a lag is tested once the window holds half a period of pairs beyond it, and at
//! least 16, so a low E's first estimate comes about 1.5 periods after its attack). Of the windows that started at or after the
//! last attack, the most periodic is read: later ones miss the attack's thump and scrape, older ones hold more
//! periods, and without attacks the younger ones follow hammer-ons and slides.
//!
//! The previous note often rings on under the new one; a second set of windows reads the signal minus itself
//! one old period earlier, where the old note cancels out (unless the new note's period divides the old one:
//! then little is left and the plain signal is read).
//!
//! Octave errors are guarded three ways: McLeod's rule (the *first* NSDF peak within 90 % of the highest, so a
//! period's multiples are not taken); a much more periodic peak at twice or three times the lag replaces the one
//! found (it was a dominant harmonic, as on a low string picked near its middle); and a young window whose
//! candidate could still be the second harmonic of a lower note not yet testable must be clean (or fairly clean
//! and the same as the previous block's).
//!
//! A note is voiced until it is damped ([`release`]: its level falls faster than a free string's) or has faded
//! 50 dB below its attack; a note left to ring is a note, however quiet, while a damped string's periodic tail is
//! not, nor is its room's ([`tail`]). Under hiss a note is judged by its own periodicity, the noise floor's share
//! of the energy divided out ([`floor`]); once the short windows can no longer tell a note ringing away from the
//! hiss, a long window read at its period hears it on, until its level shows it has ended ([`sustain`]).

mod choose;
mod filter;
mod floor;
mod hum;
mod lobes;
mod nsdf;
mod products;
mod release;
mod sustain;
mod tail;

use super::Onset;
use filter::{Decimator, HighPass};
use floor::NoiseFloor;
use hum::HumCanceller;
use nsdf::{LagBank, ReadRules, Reading, is_multiple};
use release::ReleaseDetector;
use sustain::{LongWindow, SustainedNote};
use tail::RoomTail;

/// The pitch tracker's estimate after one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PitchFrame {
    /// Hz; 0 when unvoiced.
    pub hz: f32,
    /// 0..1.
    pub confidence: f32,
}

/// Rate the lag search runs at (the input rate divided by a whole number).
const ANALYSIS_RATE: f32 = 12_000.0;
/// Lowest and highest pitch reported (a little outside E2..E6, for detuned strings and bends).
const MIN_HZ: f32 = 72.0;
const MAX_HZ: f32 = 1500.0;
/// Corner of the DC blocker.
const DC_HZ: f32 = 8.0;
/// Corner of a 4th-order high-pass on the analysed signal. A guitar body's air and top-plate resonances (about
/// 100–250 Hz) thump for 30–50 ms at each attack; left in, that thump is periodic enough to be read as the note
/// an octave or a twelfth down. Notes below the corner are still read by their period, which their upper
/// harmonics share (an E2 keeps its 4th harmonic and up).
const BODY_HZ: f32 = 300.0;
/// Extra low-pass corner (Hz) of the analysed signal, 0 for none.
const SMOOTHING_HZ: f32 = 2000.0;
/// Windows on the plain signal: they restart in turn this often (seconds) when no attack is heard, and the
/// oldest one since the last attack is read, so without attacks the window is `SLOTS - 1` to `SLOTS` times this.
const SLOTS: usize = 4;
const RESTART_SECONDS: f32 = 0.008;
/// `peak_ratio` is McLeod's k, below his 0.9: right after an attack the old note still rings in the window, and
/// a peak at twice the new period can come out a little clearer than the period's own (guitar-dev resampled to
/// 44.1 kHz: E4 and C6 read an octave down, octave errors 0.9 % with 0.9, 0.3 % with 0.85; 48 kHz unchanged).
const RULES: ReadRules = ReadRules {
    min_pairs_ratio: 0.5,
    min_pairs: 16,
    peak_ratio: 0.85,
    multiple_ratio: 0.5,
    multiple_margin: 0.04,
};
/// Clarity (NSDF peak) needed to start a note, and to keep one going.
const CLARITY_ON: f32 = 0.70;
const CLARITY_KEEP: f32 = 0.60;
/// How long after an attack (seconds) the cancelled signal is still consulted.
const CANCEL_SECONDS: f32 = 0.25;
/// Signals below this mean square (-130 dBFS RMS) are never voiced. Noise is told from notes by its clarity,
/// so this only has to stop readings of vanishing signals; a soft note's tail is still a note, also in a take
/// recorded 40 dB quieter than guitar-dev's, in float samples (with -100 dBFS here such a take lost 3 % of its
/// voiced time, 1.7 % at 20 dB quieter).
const FLOOR_MEAN_SQUARE: f32 = 1.0e-13;
/// A pitch heard without an attack (not the note attacked nor one going on) is not voiced below this mean square
/// (-100 dBFS RMS): a 16-bit take's last bits hold periodic traces too, such as a resampler's pre-echo of the
/// first note, a second before it.
const UNATTACKED_FLOOR_MEAN_SQUARE: f32 = 1.0e-10;
/// Once an attack was heard, the noise floor is only learnt from a level this far below the loudest since the last
/// one (power ratio, -12 dB): an unvoiced chord or a noise burst the onset detector heard is not the floor.
const FLOOR_BELOW_PEAK: f32 = 0.063;
/// A note fades out of voicing this far below the loudest moment since its attack (power ratio, -50 dB). A
/// damped note is unvoiced long before ([`release`]); this only ends notes that ring away to nearly nothing.
const RELATIVE_FLOOR: f32 = 1.0e-5;
/// Two pitches this close (fraction) are the same note.
const SAME_NOTE_TOLERANCE: f32 = 0.03;
/// Time constant (seconds) of the level the gate reads.
const LEVEL_SECONDS: f32 = 0.004;
/// Time constant (seconds) with which the remembered peak level fades when no attack renews it.
const PEAK_FADE_SECONDS: f32 = 1.5;
/// A note heard without an attack (none in the last `ATTACK_HOLD_SECONDS`) is only voiced from a window at least
/// this long (seconds): a short window of noise can look periodic by chance, a guitar note is heard at its attack.
const UNATTACKED_WINDOW_SECONDS: f32 = 0.02;
/// A new pitch heard without an attack (a hammer-on, a note under one just damped, a note from silence) must be
/// louder than this fraction of the mains hum being removed (power ratio, -25 dB): subtracting a learnt waveform
/// leaves a little of the hum (its slow drift, the learning's own noise), as periodic as the hum itself, and a
/// take with hum and no hiss then reads that residue as a note between notes. Attacked notes are exempt: the
/// onset detector heard them, however soft.
const HUM_RESIDUE: f32 = 3.2e-3;
/// The hum canceller does not learn from an attack until this long (seconds) after the last block voiced with an
/// attacked note (or its slides and hammer-ons): a note whose partial sits on a mains harmonic (E5 = 11 x 60 Hz,
/// F4 = 7 x 50 Hz) is as periodic at the mains period as the hum for a second, and learnt under a run of such notes
/// or under the tail of the last one (where the learning weights are highest), it stays in the waveform: once the
/// notes are over, subtracting it leaves a ghost at their pitch, read as the note going on. A damped string dies
/// 40 dB within this time. The hum does not change meanwhile; what was learnt before the notes still holds.
const HUM_PAUSE_SECONDS: f32 = 0.1;
/// ... but never for longer than this (seconds) after the last attack: the hum read as a note while the waveform is
/// still unlearnt (a take that starts with notes) would otherwise keep it unlearnt for good. A note ringing longer
/// has faded far below its attack, and is learnt with the small weight of its level.
const HUM_PAUSE_MAX_SECONDS: f32 = 1.0;
/// How long after an attack (seconds) its note's first pitch is still judged without the noise floor's share: a
/// soft note under hiss may only be read clearly once the window holds several periods.
const FIRST_READING_SECONDS: f32 = 0.1;
/// After an attack, the previous pitch is held at most this long (seconds) while the new window fills.
const ATTACK_HOLD_SECONDS: f32 = 0.030;
/// A note read on from the long window ([`sustain`]) needs at least this share of that window's energy (power
/// ratio; 0.15 is the note 7.5 dB under the hiss) ...
const SUSTAIN_SHARE_MIN: f32 = 0.15;
/// ... and this clarity as read, the hiss's share left in: the hiss's own chance products over that window stay
/// a few hundredths.
const SUSTAIN_CLARITY_MIN: f32 = 0.1;
/// ... unless it reads at least this clarity: then the note is most of what the window holds, whatever is known of
/// the hiss (a floor learnt from the tails of loud notes lies above the hiss).
const SUSTAIN_CLEAR: f32 = 0.2;
/// A window whose share of energy that is not the hiss is below this (power ratio; the hiss 10 dB under the
/// window) may read a note going on at a multiple of its period.
const HISSY_SHARE: f32 = 0.9;
/// The recent level must be at least this fraction of the long window's (power ratio, -3 dB): the long window goes
/// on hearing a note damped under the hiss for a while, but the recent level then falls to the hiss's at once,
/// while a note ringing on falls a decibel or two over the window's length.
const SUSTAIN_RECENT_MIN: f32 = 0.5;

/// Per-block pitch tracker.
pub struct PitchTracker {
    decimator: Decimator,
    /// Removes mains hum from the decimated signal.
    hum: HumCanceller,
    /// High-pass above the body's resonances (see [`BODY_HZ`]).
    body_filter: HighPass,
    /// Windows on the decimated signal.
    plain: LagBank,
    /// One window on the decimated signal minus itself one old period earlier, restarted at each attack:
    /// the previous note, still ringing, cancels out of it and only the new note is left.
    cancelled: LagBank,
    /// Index, in the cancelled signal, of the last attack.
    cancel_attack_start: u64,
    /// Period (decimated samples) of the note sounding before the last attack; 0 when none is cancelled.
    cancel_period: f32,
    /// Decimated samples the cancelled signal is still fed.
    cancel_left: usize,
    cancel_len: usize,
    /// Analysis rate in Hz.
    rate: f32,
    /// Decimated samples between periodic restarts.
    restart_period: usize,
    since_restart: usize,
    /// Absolute decimated index of the last attack (0 before any).
    attack_start: u64,
    /// Weight of each decimated sample in `level`.
    level_weight: f32,
    /// Mean square of the signal before the body high-pass (which would make low notes' tails seem to fade
    /// faster than they do), smoothed.
    level: f32,
    /// Loudest recent mean square, fading.
    peak_level: f32,
    peak_fade: f32,
    /// Blocks the previous pitch may still be held after an attack.
    hold_blocks_left: u32,
    hold_blocks: u32,
    /// Decimated samples a window needs to start a note without an attack.
    unattacked_window: usize,
    /// Lag of the lowest pitch reported, and of the highest: candidates outside are ignored.
    max_period: f32,
    min_period: f32,
    last: PitchFrame,
    /// Clearest in-range candidate of the block being read, and of the previous block (since the last attack),
    /// for [`choose::CLARITY_YOUNG_AGREED`].
    raw_best: Option<Reading>,
    previous_raw: Option<Reading>,
    /// Of the block being read, the admissible candidate at the last voiced pitch whose note is clearest.
    continuing_best: Option<Reading>,
    /// Clearest in-range candidate of the previous block's windows read by [`choose::PREVIEW_RULES`].
    previous_preview: Option<Reading>,
    /// Largest lag the previous block's full reads could test in a window started since the last attack.
    previous_tested: usize,
    /// Hears the note sounding being damped.
    release: ReleaseDetector,
    /// Noise floor of the analysed signal, divided out of readings' clarity.
    noise: NoiseFloor,
    /// Pitch first read after the last attack (0 until then): that note's own tail, briefly lost, may be voiced
    /// again however far below the hum it has faded.
    attacked_hz: f32,
    /// Pitch of the note last heard damped (0 if it was unvoiced then), while it stays damped.
    damped_hz: Option<f32>,
    /// What a room goes on sounding after a damping.
    tail: RoomTail,
    /// The analysed signal's periodicity over a long window, for a note fading into hiss.
    long: LongWindow,
    /// The last frame was the pitch before an attack, held while the new note's windows fill.
    last_held: bool,
    /// The note the long window may read on.
    sustained_note: SustainedNote,
    /// Blocks since the last attack or the last block voiced with an attacked note's pitch (saturating).
    blocks_since_note: u32,
    /// Blocks since the last attack (saturating).
    blocks_since_attack: u32,
    /// [`HUM_PAUSE_SECONDS`], [`HUM_PAUSE_MAX_SECONDS`] and [`FIRST_READING_SECONDS`] in blocks.
    hum_pause_blocks: u32,
    hum_pause_max_blocks: u32,
    first_reading_blocks: u32,
}

impl PitchTracker {
    /// A tracker for input at `sample_rate` Hz; allocates everything it will use.
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = if sample_rate.is_finite() && sample_rate >= 8_000.0 {
            sample_rate
        } else {
            48_000.0
        };
        let factor = ((sample_rate / ANALYSIS_RATE).round() as u32).max(1);
        let rate = Decimator::out_rate(sample_rate, factor);
        let max_lag = (rate / MIN_HZ).ceil() as usize + 2;
        let min_lag = ((rate / MAX_HZ).floor() as usize).max(2);
        let restart_period = ((RESTART_SECONDS * rate) as usize).max(8);
        let max_age = (restart_period * (SLOTS + 1)).max(max_lag * 2);
        let block_seconds = super::BLOCK as f32 / sample_rate;
        Self {
            decimator: Decimator::new(sample_rate, factor, DC_HZ).with_smoothing(SMOOTHING_HZ),
            hum: HumCanceller::new(rate, super::BLOCK / factor as usize),
            body_filter: HighPass::new(rate, BODY_HZ),
            plain: LagBank::new(SLOTS, min_lag, max_lag, max_age),
            cancelled: LagBank::new(SLOTS, min_lag, max_lag, max_age),
            cancel_attack_start: 0,
            cancel_period: 0.0,
            cancel_left: 0,
            cancel_len: (CANCEL_SECONDS * rate) as usize,
            rate,
            restart_period,
            since_restart: 0,
            attack_start: 0,
            level_weight: 1.0 - (-1.0 / (LEVEL_SECONDS * rate)).exp(),
            level: 0.0,
            peak_level: 0.0,
            peak_fade: (-block_seconds / PEAK_FADE_SECONDS).exp(),
            hold_blocks_left: 0,
            hold_blocks: (ATTACK_HOLD_SECONDS / block_seconds).ceil() as u32,
            unattacked_window: (UNATTACKED_WINDOW_SECONDS * rate) as usize,
            max_period: rate / MIN_HZ,
            min_period: rate / MAX_HZ,
            last: PitchFrame::default(),
            raw_best: None,
            previous_raw: None,
            continuing_best: None,
            previous_preview: None,
            previous_tested: 0,
            release: ReleaseDetector::new(block_seconds),
            noise: NoiseFloor::new(block_seconds),
            attacked_hz: 0.0,
            damped_hz: None,
            tail: RoomTail::new(block_seconds),
            long: LongWindow::new(rate, max_lag),
            last_held: false,
            sustained_note: SustainedNote::new(block_seconds),
            blocks_since_note: u32::MAX,
            blocks_since_attack: u32::MAX,
            hum_pause_blocks: (HUM_PAUSE_SECONDS / block_seconds).ceil() as u32,
            hum_pause_max_blocks: (HUM_PAUSE_MAX_SECONDS / block_seconds).ceil() as u32,
            first_reading_blocks: (FIRST_READING_SECONDS / block_seconds).ceil() as u32,
        }
    }

    /// Hears one block; `onset`, when the onset detector found an attack in this block, restarts the analysis there.
    pub fn process(&mut self, block: &[f32], onset: Option<Onset>) -> PitchFrame {
        let mut attack_at = onset.map(|o| o.offset as usize);
        for (i, &x) in block.iter().enumerate() {
            let Some(y) = self.decimator.push(x) else {
                continue;
            };
            let y = self.hum.run(y);
            self.level += self.level_weight * (y * y - self.level);
            let y = self.body_filter.run(y);
            self.noise.push(y);
            self.long.push(y);
            if attack_at.is_some_and(|a| a <= i) {
                attack_at = None;
                self.attack();
            } else if self.since_restart >= self.restart_period {
                self.restart_oldest();
            }
            self.plain.push(y);
            self.since_restart += 1;
            if self.cancel_left > 0 {
                self.cancel_left -= 1;
                let old = self.plain.past(self.cancel_period);
                self.cancelled.push(y - old);
            }
        }
        self.decimator.flush();
        self.body_filter.flush();
        self.long.end_block();
        self.hum.note_sounding(
            self.blocks_since_note < self.hum_pause_blocks
                && self.blocks_since_attack < self.hum_pause_max_blocks,
        );
        self.blocks_since_attack = self.blocks_since_attack.saturating_add(1);
        self.hum.flush();
        let frame = self.decide();
        self.tail
            .voiced(frame.hz, self.last.hz, SAME_NOTE_TOLERANCE);
        let quiet = frame.hz <= 0.0
            && self.blocks_since_attack > self.hold_blocks
            && (self.attack_start == 0 || self.level < FLOOR_BELOW_PEAK * self.peak_level);
        self.noise.end_block(quiet);
        self.sustained_note
            .follow(frame.hz, self.last.hz, self.last_held, SAME_NOTE_TOLERANCE);
        self.last = frame;
        self.blocks_since_note =
            if self.attack_start > 0 && frame.hz > 0.0 && self.attacked_hz > 0.0 {
                0
            } else {
                self.blocks_since_note.saturating_add(1)
            };
        frame
    }

    /// A new note starts with the next decimated sample.
    fn attack(&mut self) {
        self.blocks_since_note = 0;
        self.blocks_since_attack = 0;
        self.restart_oldest();
        self.attack_start = self.plain.next_index();
        self.hold_blocks_left = self.hold_blocks;
        self.peak_level = 0.0;
        self.previous_raw = None;
        self.previous_preview = None;
        self.previous_tested = 0;
        self.release.attack();
        self.attacked_hz = 0.0;
        self.sustained_note.attack();
        self.tail.attack();
        if self.last.hz > 0.0 {
            self.cancel_period = self.rate / self.last.hz;
            self.cancel_left = self.cancel_len;
            self.cancel_attack_start = self.cancelled.next_index();
        } else {
            self.cancel_left = 0;
            self.cancel_period = 0.0;
        }
    }

    /// Restarts the window that started longest ago, on both signals (windows of the same number start together).
    fn restart_oldest(&mut self) {
        let oldest = (0..self.plain.slots())
            .min_by_key(|&s| self.plain.start(s))
            .unwrap_or(0);
        self.plain.restart(oldest);
        self.cancelled.restart(oldest);
        self.since_restart = 0;
    }

    /// Voicing and pitch while the last note is damped: unvoiced, unless a clear reading of another pitch shows a
    /// new note played without an attack the onset detector heard (a soft note under the loud one just damped, a
    /// hammer-on); a damped string's dying tail keeps its pitch.
    fn after_damping(&mut self, level: f32) -> PitchFrame {
        if self.damped_hz.is_none() {
            self.tail.damping(level);
        }
        let damped_hz = *self.damped_hz.get_or_insert(self.last.hz);
        self.sustained_note.damped();
        // A damped note's tail is over: read again later, its pitch is no longer exempt from the hum guard.
        self.attacked_hz = 0.0;
        let unvoiced = PitchFrame::default();
        if level < UNATTACKED_FLOOR_MEAN_SQUARE {
            return unvoiced;
        }
        let Some(reading) = self.reading_remembered() else {
            return unvoiced;
        };
        let hz = self.rate / reading.period;
        let same_note = (damped_hz > 0.0 && (hz / damped_hz - 1.0).abs() <= SAME_NOTE_TOLERANCE)
            || self.tail.sounds(hz, level, SAME_NOTE_TOLERANCE);
        if same_note
            || reading.clarity < CLARITY_ON
            || reading.window < self.unattacked_window
            || !self.above_hum_residue()
        {
            return unvoiced;
        }
        self.release.new_note();
        self.damped_hz = None;
        PitchFrame {
            hz,
            confidence: reading.clarity.clamp(0.0, 1.0),
        }
    }

    /// The note being sustained, read on from the long window when the short ones no longer tell it from the hiss;
    /// none, and the note is over, once the long window no longer hears it. Not under what removing the mains hum
    /// leaves of it ([`HUM_RESIDUE`]): that residue is as periodic as the hum, and a long window hears it best.
    fn sustained(&mut self) -> Option<PitchFrame> {
        let hz = self.sustained_note.hz()?;
        if !self.above_hum_residue() {
            return None;
        }
        let frame = self.long_reading(hz);
        if frame.is_none() {
            self.sustained_note.lost();
        }
        frame
    }

    /// What is heard when the windows name no note: the pitch before the attack while `hold`, else the note being
    /// sustained if the long window still hears it.
    fn held(&mut self, hold: bool) -> PitchFrame {
        self.last_held = hold;
        if hold {
            self.last
        } else {
            self.sustained().unwrap_or_default()
        }
    }

    /// The long window's reading at `hz`, if it hears a note there over the hiss.
    fn long_reading(&self, hz: f32) -> Option<PitchFrame> {
        let reading = self.long.read_near(self.rate / hz, SAME_NOTE_TOLERANCE)?;
        if self.long.recent_mean_square() < SUSTAIN_RECENT_MIN * reading.mean_square {
            return None;
        }
        let share = self
            .noise
            .share_above(reading.mean_square, 1.0, SUSTAIN_SHARE_MIN);
        let clarity = (reading.clarity / share).min(1.0);
        let heard = reading.clarity >= SUSTAIN_CLEAR
            || (reading.clarity >= SUSTAIN_CLARITY_MIN && clarity >= CLARITY_KEEP);
        heard.then(|| PitchFrame {
            hz: self.rate / reading.period,
            confidence: clarity,
        })
    }

    /// Whether the signal, without the mains hum, stands above what removing the hum leaves of it ([`HUM_RESIDUE`]).
    fn above_hum_residue(&self) -> bool {
        self.hum.unexplained_level() >= HUM_RESIDUE * self.hum.hum_power()
    }

    /// Voicing and pitch for the block just heard.
    fn decide(&mut self) -> PitchFrame {
        if !self.level.is_finite() || self.level < 1.0e-20 {
            self.level = 0.0;
        }
        let level = self.level;
        self.peak_level = (self.peak_level * self.peak_fade).max(level);
        let hold = self.hold_blocks_left > 0;
        self.hold_blocks_left = self.hold_blocks_left.saturating_sub(1);
        self.last_held = false;
        let unvoiced = PitchFrame::default();
        if self.release.damped(level) {
            return self.after_damping(level);
        }
        self.damped_hz = None;
        if level.is_nan() || level < FLOOR_MEAN_SQUARE || level < RELATIVE_FLOOR * self.peak_level {
            return unvoiced;
        }
        let Some(mut reading) = self.reading_remembered() else {
            return self.held(hold);
        };
        // A note fading into noise: the clearest window may hold a chance pitch of the noise that is not clear
        // enough for a new note, while a longer one still hears the note going on.
        if let Some(c) = self.continuing_best
            && reading.clarity < CLARITY_ON
            && c.note_clarity() >= CLARITY_KEEP
        {
            reading = c;
        }
        let hz = self.rate / reading.period;
        let continuing =
            self.last.hz > 0.0 && (hz / self.last.hz - 1.0).abs() < SAME_NOTE_TOLERANCE;
        let needed = if continuing { CLARITY_KEEP } else { CLARITY_ON };
        // The pitch last attacked, read again after a moment lost, is that note's tail: neither new nor unattacked.
        let attacked_note = (hz / self.attacked_hz - 1.0).abs() <= SAME_NOTE_TOLERANCE;
        // A note going on, or the first pitch of a note just attacked, is judged without the noise floor's share;
        // any other pitch as read, lest the hiss's own chance periodicity, amplified, pass for a note.
        let first_of_attack = self.attacked_hz <= 0.0
            && self.attack_start > 0
            && self.blocks_since_attack <= self.first_reading_blocks;
        let clarity = if continuing || attacked_note || first_of_attack {
            reading.note_clarity()
        } else {
            reading.clarity
        };
        if clarity < needed {
            return self.held(hold);
        }
        // neither the note going on, nor the one before the attack, nor the one attacked
        let another_pitch = !continuing && !hold && !attacked_note;
        if another_pitch && !first_of_attack && level < UNATTACKED_FLOOR_MEAN_SQUARE {
            return unvoiced;
        }
        // Under hiss a window may read the note going on at two to four times its period (its own period's peak,
        // weakened by the hiss, falls short of the multiple's). No string slides or hammers an octave or more
        // down: while the long window still hears the note, that is what sounds. (Without much hiss such a reading
        // is rather the fundamental of a note first read an octave too high.)
        if another_pitch
            && let Some(sustain_hz) = self.sustained_note.hz()
            && self
                .noise
                .share(reading.mean_square, 1.0)
                .is_some_and(|s| s < HISSY_SHARE)
            && is_multiple(
                reading.period,
                self.rate / sustain_hz,
                2..=4,
                SAME_NOTE_TOLERANCE,
            )
            && let Some(frame) = self.sustained()
        {
            return frame;
        }
        if self.last.hz <= 0.0 && !hold && !attacked_note && reading.window < self.unattacked_window
        {
            return unvoiced;
        }
        if !continuing && !hold && !attacked_note && !self.above_hum_residue() {
            return unvoiced;
        }
        // The damped note's room, heard again without an attack, is no note.
        if !continuing
            && !hold
            && !attacked_note
            && self.tail.sounds(hz, level, SAME_NOTE_TOLERANCE)
        {
            return unvoiced;
        }
        if self.attacked_hz <= 0.0 && self.attack_start > 0 {
            self.attacked_hz = hz;
        }
        PitchFrame {
            hz,
            confidence: clarity.clamp(0.0, 1.0),
        }
    }
}
