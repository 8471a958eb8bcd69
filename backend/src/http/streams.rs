//! Open event streams per operator in this process, capped (`SSE_MAX_PER_OPERATOR`): each
//! stream holds a connection, a task and a database poll every half second, so one operator (or
//! one leaked token) must not be able to open them without bound. Per process: with several
//! server processes each has its own cap (the README says so).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The count of open streams per operator.
#[derive(Debug, Default)]
pub struct StreamSlots {
    open: Mutex<HashMap<i64, usize>>,
}

/// One open stream; its slot is given back when the stream (and so this guard) is dropped —
/// when it ends or the client goes away.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    operator_id: i64,
}

impl StreamSlots {
    /// Takes a slot for `operator_id`, or `None` when they already hold `max`.
    pub fn acquire(self: &Arc<Self>, operator_id: i64, max: usize) -> Option<StreamSlot> {
        let mut open = self.open.lock().ok()?;
        let count = open.entry(operator_id).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            slots: Arc::clone(self),
            operator_id,
        })
    }

    /// Streams `operator_id` has open now.
    pub fn open_for(&self, operator_id: i64) -> usize {
        self.open
            .lock()
            .map_or(0, |open| open.get(&operator_id).copied().unwrap_or(0))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.slots.open.lock()
            && let Some(count) = open.get_mut(&self.operator_id)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.operator_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_operator_and_given_back_on_drop() {
        let slots = Arc::new(StreamSlots::default());
        let held: Vec<_> = (0..3).filter_map(|_| slots.acquire(1, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(slots.acquire(1, 3).is_none());
        let other = slots.acquire(2, 3);
        assert!(other.is_some());
        drop(held);
        assert_eq!(slots.open_for(1), 0);
        assert!(slots.acquire(1, 3).is_some());
    }
}
