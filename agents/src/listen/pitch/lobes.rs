//! The positive lobes of an NSDF after its first negative excursion, and the maximum of each.
//!
//! Every window read walks all its lags. Walked lag by lag with a branch on each value's sign, the walk
//! mispredicts at every lobe's edge, and in a noisy NSDF those come every few lags: the walk cost more than
//! computing the NSDF. Here the signs are first gathered into bits without a branch, lobes are found from the bits,
//! and only positive lags are walked, for their maximum.

/// Largest number of positive NSDF lobes examined.
pub(super) const MAX_LOBES: usize = 24;
/// Lags whose signs fit the bit set; a longer NSDF is walked lag by lag.
const MAX_BITS: usize = 256;

/// The maxima `(lag, value)` of the positive lobes of `n[1..=tested]` after its first value that is not positive,
/// in order of lag, at most [`MAX_LOBES`] of them (the first highest value of each), written to the start of
/// `lobes`. A lobe still rising at `tested` is not a peak yet and is left out.
pub(super) fn positive_lobes<'a>(
    n: &[f32],
    tested: usize,
    lobes: &'a mut [(usize, f32); MAX_LOBES],
) -> &'a [(usize, f32)] {
    let Some(n) = n.get(..=tested) else {
        return &[];
    };
    if n.len() > MAX_BITS {
        return lag_by_lag(n, tested, lobes);
    }
    let mut count = 0;
    let mut positive = [0u64; MAX_BITS / 64];
    for (word, values) in positive.iter_mut().zip(n.chunks(64)) {
        for (bit, &v) in values.iter().enumerate() {
            *word |= u64::from(v > 0.0) << bit;
        }
    }
    // the first lag at or after `from` whose sign bit is `set` (n.len() if none)
    let next = |from: usize, set: bool| -> usize {
        let mut at = from;
        while let Some(&word) = positive.get(at / 64) {
            let bits = (if set { word } else { !word }) >> (at % 64);
            if bits != 0 {
                return (at + bits.trailing_zeros() as usize).min(n.len());
            }
            at = (at / 64 + 1) * 64;
        }
        n.len()
    };
    let mut lag = next(1, false);
    loop {
        let first = next(lag, true);
        let Some(run) = n.get(first..next(first, false)) else {
            break;
        };
        let Some((&v0, rest)) = run.split_first() else {
            break;
        };
        let (mut best_lag, mut best_value) = (first, v0);
        for (i, &v) in rest.iter().enumerate() {
            if v > best_value {
                (best_lag, best_value) = (first + 1 + i, v);
            }
        }
        lag = first + run.len();
        // A lobe still rising at the last tested lag is not a peak yet.
        if lag > tested && best_lag >= tested {
            break;
        }
        if let Some(slot) = lobes.get_mut(count) {
            *slot = (best_lag, best_value);
            count += 1;
        }
        if count == MAX_LOBES || lag > tested {
            break;
        }
    }
    lobes.get(..count).unwrap_or_default()
}

/// [`positive_lobes`] walked lag by lag.
fn lag_by_lag<'a>(
    n: &[f32],
    tested: usize,
    lobes: &'a mut [(usize, f32); MAX_LOBES],
) -> &'a [(usize, f32)] {
    let mut count = 0;
    let mut lag = 1;
    let value = |lag: usize| n.get(lag).copied().unwrap_or(0.0);
    while lag <= tested && value(lag) > 0.0 {
        lag += 1;
    }
    let mut best: Option<(usize, f32)> = None;
    while lag <= tested && count < MAX_LOBES {
        let v = value(lag);
        if v > 0.0 {
            match best {
                Some((_, b)) if b >= v => {}
                _ => best = Some((lag, v)),
            }
        } else if let Some(b) = best.take()
            && let Some(slot) = lobes.get_mut(count)
        {
            *slot = b;
            count += 1;
        }
        lag += 1;
    }
    if let Some(b) = best
        && b.0 < tested
        && let Some(slot) = lobes.get_mut(count)
    {
        *slot = b;
        count += 1;
    }
    lobes.get(..count).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk written plainly, a branch per lag.
    fn plain(n: &[f32], tested: usize) -> Vec<(usize, f32)> {
        let mut lobes = Vec::new();
        let mut lag = 1;
        while lag <= tested && n[lag] > 0.0 {
            lag += 1;
        }
        let mut best: Option<(usize, f32)> = None;
        while lag <= tested && lobes.len() < MAX_LOBES {
            if n[lag] > 0.0 {
                match best {
                    Some((_, v)) if v >= n[lag] => {}
                    _ => best = Some((lag, n[lag])),
                }
            } else if let Some(b) = best.take() {
                lobes.push(b);
            }
            lag += 1;
        }
        if let Some(b) = best
            && b.0 < tested
            && lobes.len() < MAX_LOBES
        {
            lobes.push(b);
        }
        lobes
    }

    #[test]
    fn the_lobes_are_those_of_the_plain_walk_for_noise_tones_ties_nans_and_many_lobes() {
        let mut state = 5u32;
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        for case in 0..400 {
            // beyond 256 lags the walk goes lag by lag
            let len = if case % 7 == 6 {
                250 + case % 40
            } else {
                20 + case % 150
            };
            let n: Vec<f32> = (0..=len)
                .map(|lag| match case % 5 {
                    // a tone's NSDF, ringing through many lobes
                    0 => (lag as f32 * 0.9).cos(),
                    // coarse values, so that a lobe's highest value is often reached twice
                    1 => (noise() * 4.0).round() / 4.0,
                    // a NaN now and then
                    2 if lag % 17 == 3 => f32::NAN,
                    // zeros between lobes
                    3 if lag % 7 == 0 => 0.0,
                    _ => noise(),
                })
                .collect();
            for tested in [len, len - 1, len / 2] {
                let mut lobes = [(0, 0.0); MAX_LOBES];
                let lobes = positive_lobes(&n, tested, &mut lobes);
                let expected = plain(&n, tested);
                assert_eq!(lobes, &expected[..], "case {case}, tested {tested}");
            }
        }
    }
}
