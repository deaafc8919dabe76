//! How the onset detector reports an attack: the refractory time, and the sample where the attack starts.

use super::{BLOCK, Onset, OnsetDetector, OnsetFrame, SUB};

impl OnsetDetector {
    /// Reports an onset of an energy path at `offset` with the `rise` (linear) that made it, unless this block has
    /// one already or the last one was heard within the refractory time.
    pub(super) fn energy_onset(&mut self, frame: &mut OnsetFrame, offset: usize, rise: f32) {
        if self.since_onset > self.refractory_subs && frame.onset.is_none() {
            self.since_onset = 0;
            frame.onset = Some(Onset {
                offset: offset as u32,
                strength: 10.0 * rise.log10(),
            });
        }
    }

    /// The first sample of the sub-block starting at `start` (or of the one before it, if it is in this block)
    /// whose pre-emphasised power clearly exceeds the background: the foot of the attack.
    pub(super) fn attack_offset(&self, start: usize, background: f32) -> usize {
        let threshold = background * self.rise_ratio.sqrt();
        let from = start.saturating_sub(SUB);
        let end = (start + SUB).min(BLOCK);
        (from..end)
            .find(|&i| self.emphasised.get(i).is_some_and(|y| y * y > threshold))
            .unwrap_or(start)
    }
}
