//! `PARITY_TIMINGS=1`: how long each phase took, on stderr, for profiling
//! (docs/performance.md). The engine's per-rule times are switched by the
//! same variable, through `engine::Options::timings`.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether `PARITY_TIMINGS` is set (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PARITY_TIMINGS").is_some())
}

/// Prints `parity: NAME N ms`, the time since `since`, when timings are on.
pub fn phase(name: &str, since: Instant) {
    if enabled() {
        eprintln!("parity: {name} {:.1} ms", since.elapsed().as_secs_f64() * 1000.0);
    }
}
