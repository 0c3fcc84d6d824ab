//! A one-line progress indicator on stderr for long runs.
//!
//! The caller enables it only when stderr is a terminal and the run is not
//! `--quiet`; when disabled every method is a no-op. Updates are
//! thread-safe and rate-limited (about 10 per second) so workers can call
//! [`Progress::set`] as often as they like. The line is rewritten in place
//! with `\r` and erased by [`Progress::finish`] (also run on drop), so it
//! never mixes with the report that follows.

use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Minimum time between two redraws, except for the final `done == total`.
const INTERVAL: Duration = Duration::from_millis(100);

/// A progress line such as `loading 120/480 (25%)`.
pub struct Progress {
    label: String,
    interval: Duration,
    state: Option<Mutex<State>>,
}

struct State {
    out: Box<dyn Write + Send>,
    last: Option<Instant>,
    /// Width of the line currently on screen, 0 when none.
    width: usize,
}

impl Progress {
    /// A progress line on stderr labelled `label`; does nothing unless
    /// `enabled` (pass `stderr is a TTY && !quiet`).
    pub fn new(enabled: bool, label: &str) -> Progress {
        let out: Box<dyn Write + Send> = Box::new(std::io::stderr());
        Progress::with_writer(enabled, label, out, INTERVAL)
    }

    fn with_writer(enabled: bool, label: &str, out: Box<dyn Write + Send>, interval: Duration) -> Progress {
        Progress {
            label: label.to_string(),
            interval,
            state: enabled.then(|| Mutex::new(State { out, last: None, width: 0 })),
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        // A panic elsewhere must not silence the indicator or cascade.
        self.state.as_ref().map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Reports `done` of `total` units. Redraws at most every ~100 ms, and
    /// always when `done >= total`. `total == 0` shows only the count.
    pub fn set(&self, done: usize, total: usize) {
        let Some(mut state) = self.lock() else {
            return;
        };
        let now = Instant::now();
        let due = state.last.is_none_or(|last| now.duration_since(last) >= self.interval);
        if !due && done < total {
            return;
        }
        state.last = Some(now);
        let line = match done.min(total).saturating_mul(100).checked_div(total) {
            Some(pct) => format!("{} {done}/{total} ({pct}%)", self.label),
            None => format!("{} {done}", self.label),
        };
        let width = line.chars().count();
        let pad = state.width.saturating_sub(width);
        state.width = width;
        // Progress is best effort: a closed stderr must not fail the run.
        let _ = write!(state.out, "\r{line}{:pad$}", "");
        let _ = state.out.flush();
    }

    /// Erases the progress line. Idempotent; also called on drop.
    pub fn finish(&self) {
        let Some(mut state) = self.lock() else {
            return;
        };
        if state.width == 0 {
            return;
        }
        let width = state.width;
        state.width = 0;
        let _ = write!(state.out, "\r{:width$}\r", "");
        let _ = state.out.flush();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
