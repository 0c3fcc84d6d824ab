//! `PARITY_TIMINGS=1`: how long each phase took, for profiling
//! (docs/performance.md). The library only records the lines; the CLI
//! prints them on stderr at the end of the run ([`take`]). The engine's
//! per-rule times are switched by the same variable, through
//! `engine::Options::timings`.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Whether `PARITY_TIMINGS` is set (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PARITY_TIMINGS").is_some())
}

fn lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

/// Records `parity: NAME N ms`, the time since `since`, when timings are on.
pub fn phase(name: &str, since: Instant) {
    if enabled() {
        record(format!("parity: {name} {:.1} ms", since.elapsed().as_secs_f64() * 1000.0));
    }
}

/// Records one line of timing output, when timings are on.
pub fn record(line: String) {
    if enabled()
        && let Ok(mut l) = lines().lock()
    {
        l.push(line);
    }
}

/// The lines recorded so far, oldest first (and forgets them).
pub fn take() -> Vec<String> {
    lines().lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default()
}
