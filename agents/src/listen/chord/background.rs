//! The steady background of the chord tracker's spectrum: mains hum and its harmonics, a fan, a buzzing amp, any
//! line that holds its level and is not struck.
//!
//! Each bin's level (magnitude per window sample, so windows of any length compare) is watched over short stretches
//! of long analysis windows; a chain of stretches in a row in which a bin stays at one level (within
//! [`STEADY_RATIO`]) makes it a steady line. A bin that an attack raised belongs to a string until it falls back to
//! its level before that attack: a sampled guitar's sustain can be as flat as hum. A steady line no attack raised is
//! background from the next attack on (hum under the first strum is known when that strum is analysed), or once it
//! has held for [`LONG_S`] (hum alone, or present when listening began). While music sounds in a bin its background
//! is kept as it was; a later steady level replaces it.

/// A bin is steady over a stretch when its highest level is at most this many times its lowest (2.3 dB); the
/// stretches of a chain stay within the same ratio of the first. A plucked string decays by more over a chain.
const STEADY_RATIO: f32 = 1.3;
/// A bin whose level right after an attack exceeds its steady level by this much was struck (3.5 dB).
const STRUCK_RATIO: f32 = 1.5;
/// Shortest window after an attack that tells which bins it raised (in decimated samples, 85 ms): shorter ones
/// smear a string's partial over its neighbours, and a steady line beside it would seem struck.
const WATCH_WINDOW: usize = super::front::HISTORY / 2;
/// Length of a stretch in seconds.
const STRETCH_S: f32 = 0.3;
/// Fewest analyses a stretch needs to judge steadiness (full windows come one per 10.7 ms at most).
const MIN_ANALYSES: u32 = 12;
/// Stretches a chain needs before an attack for its bin to be taken as background when the attack leaves it as it
/// was.
const CHAIN_BEFORE_ATTACK: u8 = 2;
/// A steady line no attack raised is background once it has held this long (in seconds) with no attack at all.
const LONG_S: f32 = 0.9;

/// Per-bin background levels.
pub struct Background {
    /// The background level per bin (magnitude per window sample); 0 where none is known.
    level: Vec<f32>,
    /// Lowest and highest level of each bin over the current stretch.
    low: Vec<f32>,
    high: Vec<f32>,
    /// Level of each bin's chain of steady stretches (its first stretch's lowest level), 0 if none.
    chain_level: Vec<f32>,
    /// Stretches in each bin's chain.
    chain: Vec<u8>,
    /// Whether the latest attack raised each bin.
    struck: Vec<bool>,
    /// Whether an attack raised each bin and it has not yet fallen back to where it was: a string's sustain,
    /// however even, is no background.
    owned: Vec<bool>,
    /// The level each owned bin had before the attack that raised it.
    owner_floor: Vec<f32>,
    /// Each bin's lowest level over the stretch the latest attack ended.
    pre_attack: Vec<f32>,
    /// Whether a full window was analysed yet: what already sounds when listening begins is not struck.
    watched: bool,
    /// An attack came and its effect on the bins is not yet judged.
    pending: bool,
    /// Whether a window after the latest attack was long enough to tell which bins it raised.
    attack_watched: bool,
    stretch_start: u64,
    stretch_len: u64,
    long_chain: u8,
    analyses: u32,
}

impl Background {
    /// Builds an empty background for `bins` bins at a decimated rate of `rate`.
    pub fn new(bins: usize, rate: f32) -> Self {
        Self {
            level: vec![0.0; bins],
            low: vec![f32::MAX; bins],
            high: vec![0.0; bins],
            chain_level: vec![0.0; bins],
            chain: vec![0; bins],
            struck: vec![false; bins],
            owned: vec![false; bins],
            owner_floor: vec![0.0; bins],
            pre_attack: vec![0.0; bins],
            watched: false,
            pending: false,
            attack_watched: false,
            stretch_start: 0,
            stretch_len: (STRETCH_S * rate).max(1.0) as u64,
            long_chain: (LONG_S / STRETCH_S).ceil().clamp(1.0, 250.0) as u8,
            analyses: 0,
        }
    }

    /// The background level of bin `k` (magnitude per window sample).
    pub fn level(&self, k: usize) -> f32 {
        self.level.get(k).copied().unwrap_or(0.0)
    }

    /// An attack `now` decimated samples into the stream: the previous attack is judged, the stretch under way ends
    /// (judged if long enough: it had no attack in it), and the bins this attack raises are watched for.
    pub fn attack(&mut self, now: u64) {
        self.judge_attack();
        for (pre, &low) in self.pre_attack.iter_mut().zip(self.low.iter()) {
            if low < f32::MAX {
                *pre = low;
            }
        }
        self.close_stretch();
        self.stretch_start = now;
        // Every line that was steady before the attack and was no string's is background, from this attack's
        // first analysis on (whether or not the attack struck a string there too: the steady level is what the bin
        // holds without it).
        for ((level, &chain_level), (&chain, &owned)) in self
            .level
            .iter_mut()
            .zip(self.chain_level.iter())
            .zip(self.chain.iter().zip(self.owned.iter()))
        {
            if chain >= CHAIN_BEFORE_ATTACK && chain_level > 0.0 && !owned {
                *level = chain_level;
            }
        }
        self.struck.iter_mut().for_each(|s| *s = false);
        self.pending = true;
        self.attack_watched = false;
    }

    /// Watches the magnitudes `mags[first..=last]` of a short window after an attack: a bin raised clearly above its
    /// steady level was struck (a string sounds there, or beside it).
    pub fn watch_attack(&mut self, mags: &[f32], first: usize, last: usize, len: usize) {
        if !self.watched || len < WATCH_WINDOW {
            return;
        }
        self.attack_watched = true;
        let limit = STRUCK_RATIO * len as f32;
        let range = first..=last;
        let (Some(chain_level), Some(struck), Some(mags)) = (
            self.chain_level.get(range.clone()),
            self.struck.get_mut(range.clone()),
            mags.get(range),
        ) else {
            return;
        };
        for ((&c, s), &m) in chain_level.iter().zip(struck.iter_mut()).zip(mags.iter()) {
            if m > limit * c {
                *s = true;
            }
        }
    }

    /// Watches the magnitudes `mags[first..=last]` of a full window analysed `now` decimated samples into the stream.
    pub fn learn(&mut self, mags: &[f32], first: usize, last: usize, len: usize, now: u64) {
        self.judge_attack();
        self.watched = true;
        if now.saturating_sub(self.stretch_start) >= self.stretch_len {
            self.close_stretch();
            self.stretch_start = now;
        }
        let scale = 1.0 / len.max(1) as f32;
        let range = first..=last;
        let (Some(low), Some(high), Some(mags)) = (
            self.low.get_mut(range.clone()),
            self.high.get_mut(range.clone()),
            mags.get(range),
        ) else {
            return;
        };
        for ((l, h), &m) in low.iter_mut().zip(high.iter_mut()).zip(mags.iter()) {
            let m = m * scale;
            *l = l.min(m);
            *h = h.max(m);
        }
        self.analyses += 1;
    }

    /// After an attack: a line it raised belongs to a string from now on.
    fn judge_attack(&mut self) {
        if !self.pending {
            return;
        }
        self.pending = false;
        // When the next attack came too soon to tell what this one raised, ownership stays as it was: the next
        // watched attack still sees the raised bins above their old steady levels.
        let watched = self.attack_watched;
        if !watched {
            return;
        }
        for (((((chain_level, chain), &struck), owned), floor), &pre) in self
            .chain_level
            .iter_mut()
            .zip(self.chain.iter_mut())
            .zip(self.struck.iter())
            .zip(self.owned.iter_mut())
            .zip(self.owner_floor.iter_mut())
            .zip(self.pre_attack.iter())
        {
            if struck {
                *chain = 0;
                *chain_level = 0.0;
                if !*owned {
                    *owned = true;
                    *floor = pre.max(1e-9);
                }
            }
        }
    }

    /// Ends a stretch: each bin's chain grows if it stayed steady at the chain's level, else restarts or ends.
    fn close_stretch(&mut self) {
        // A stretch cut short by an attack still tells whether a bin moved, but is too short to lengthen a chain.
        let judged = self.analyses >= MIN_ANALYSES;
        let measured = self.analyses > 0;
        self.analyses = 0;
        if !measured {
            return;
        }
        let long_chain = self.long_chain;
        for ((((((level, low), high), chain_level), chain), owned), &floor) in self
            .level
            .iter_mut()
            .zip(self.low.iter_mut())
            .zip(self.high.iter_mut())
            .zip(self.chain_level.iter_mut())
            .zip(self.chain.iter_mut())
            .zip(self.owned.iter_mut())
            .zip(self.owner_floor.iter())
        {
            if *owned && *high <= STEADY_RATIO * floor {
                // Back to where it was before the string was struck: the note is over.
                *owned = false;
            }
            let steady = *low < f32::MAX && *high <= STEADY_RATIO * *low;
            let same = *chain > 0 && chain_level.max(*low) <= STEADY_RATIO * chain_level.min(*low);
            if steady && same {
                if judged {
                    *chain = chain.saturating_add(1);
                }
            } else if steady && judged {
                *chain = 1;
                *chain_level = *low;
            } else {
                *chain = 0;
                *chain_level = 0.0;
            }
            if *chain >= long_chain && !*owned {
                *level = *chain_level;
            }
            *low = f32::MAX;
            *high = 0.0;
        }
    }
}
