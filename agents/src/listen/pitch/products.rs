//! Adding a run of new samples' lag products to a window's sums, a chunk of lags at a time.
//!
//! Each new sample adds one product to a window's sum at every lag. Added sample by sample, each sum is loaded and
//! stored again for every sample; here a chunk of sums is loaded once, takes the products of the whole run of
//! samples (in the order the samples came, so that every sum is the same to the last bit) and is stored once.
//! The sums are kept by descending lag, so that the walk over a chunk runs forward through the sums and through
//! the history alike.

/// Lags whose sums take a run's products together (six SSE registers; at 12 kHz the 169 lags are seven chunks and
/// one lag).
const CHUNK: usize = 24;

/// Adds to `sums` the products of each sample `history[i]`, `i` in `first..end` and in that order, with the samples
/// `1..=max_lag` before it that lie in the window starting at `history[window_start]`. `sums[max_lag - lag]` is the
/// sum at `lag` (`sums[max_lag]`, lag 0, is not touched).
pub(super) fn add_run(
    sums: &mut [f32],
    history: &[f32],
    first: usize,
    end: usize,
    window_start: usize,
    max_lag: usize,
) {
    let Some(sums) = sums.get_mut(..max_lag) else {
        return;
    };
    // Sample `i` has lags `1..=min(i - window_start, max_lag)` in the window: sums from `max_lag - that` on.
    for (chunk, dest) in sums.chunks_mut(CHUNK).enumerate() {
        let lo = chunk * CHUNK;
        let hi = lo + dest.len();
        // From `whole` on, the samples have every lag of the chunk in the window; from `part` on, some.
        let whole = (window_start + max_lag - lo).max(first).min(end);
        let part = (window_start + max_lag + 1 - hi).max(first).min(whole);
        for i in part..whole {
            let lags = (i - window_start).min(max_lag);
            add_sample(dest, history, i, (max_lag - lags).max(lo), lo, max_lag);
        }
        if whole >= end {
            continue;
        }
        match <&mut [f32; CHUNK]>::try_from(&mut *dest) {
            Ok(dest) => add_chunk(dest, history, whole, end, lo, max_lag),
            Err(_) => {
                for i in whole..end {
                    add_sample(dest, history, i, lo, lo, max_lag);
                }
            }
        }
    }
}

/// Adds the products of `history[first..end]` to the whole chunk of sums starting at `lo`.
#[inline]
fn add_chunk(
    dest: &mut [f32; CHUNK],
    history: &[f32],
    first: usize,
    end: usize,
    lo: usize,
    max_lag: usize,
) {
    // sample i pairs with history[i - max_lag + k] for k in lo..lo + CHUNK
    let (Some(samples), Some(earlier)) = (
        history.get(first..end),
        history.get(first + lo - max_lag..end + lo - max_lag + CHUNK - 1),
    ) else {
        return;
    };
    let mut sums = *dest;
    for (&x, pairs) in samples.iter().zip(earlier.windows(CHUNK)) {
        for (s, &p) in sums.iter_mut().zip(pairs) {
            *s += x * p;
        }
    }
    *dest = sums;
}

/// Adds the products of `history[i]` to the sums `from..` of the chunk starting at `lo`.
#[inline]
fn add_sample(dest: &mut [f32], history: &[f32], i: usize, from: usize, lo: usize, max_lag: usize) {
    let hi = lo + dest.len();
    let (Some(&x), Some(dest), Some(pairs)) = (
        history.get(i),
        dest.get_mut(from - lo..),
        history.get(i + from - max_lag..i + hi - max_lag),
    ) else {
        return;
    };
    for (s, &p) in dest.iter_mut().zip(pairs) {
        *s += x * p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums as added sample by sample, lags ascending.
    fn one_by_one(history: &[f32], window_start: usize, max_lag: usize) -> Vec<f32> {
        let mut sums = vec![0.0f32; max_lag + 1];
        for i in window_start..history.len() {
            let lags = (i - window_start).min(max_lag);
            for lag in 1..=lags {
                sums[max_lag - lag] += history[i] * history[i - lag];
            }
        }
        sums
    }

    #[test]
    fn runs_of_any_length_give_the_sums_of_samples_added_one_by_one_to_the_last_bit() {
        let mut state = 11u32;
        let history: Vec<f32> = (0..900)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as f32 / u32::MAX as f32 - 0.5
            })
            .collect();
        // windows young and old, lags a multiple of the chunk or not, runs of 1 to 37 samples
        for (window_start, max_lag) in [(0, 169), (5, 169), (300, 169), (40, 160), (7, 23)] {
            for run in [1, 5, 16, 37] {
                let mut sums = vec![0.0f32; max_lag + 1];
                let mut first = window_start;
                while first < history.len() {
                    let end = (first + run).min(history.len());
                    add_run(&mut sums, &history, first, end, window_start, max_lag);
                    first = end;
                }
                let expected = one_by_one(&history, window_start, max_lag);
                assert_eq!(
                    sums, expected,
                    "window at {window_start}, {max_lag} lags, runs of {run}"
                );
            }
        }
    }
}
