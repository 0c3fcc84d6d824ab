//! Tests for the progress line, written to an in-memory buffer.

use super::Progress;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn progress(enabled: bool, interval: Duration) -> (Progress, Buffer) {
    let buf = Buffer::default();
    let p = Progress::with_writer(enabled, "loading", Box::new(buf.clone()), interval);
    (p, buf)
}

#[test]
fn disabled_writes_nothing() {
    let (p, buf) = progress(false, Duration::ZERO);
    p.set(1, 2);
    p.set(2, 2);
    p.finish();
    drop(p);
    assert_eq!(buf.text(), "");
}

#[test]
fn rewrites_one_line_and_clears_it() {
    let (p, buf) = progress(true, Duration::ZERO);
    p.set(5, 10);
    p.set(10, 10);
    p.finish();
    let blank = " ".repeat("loading 10/10 (100%)".len());
    assert_eq!(buf.text(), format!("\rloading 5/10 (50%)\rloading 10/10 (100%)\r{blank}\r"));
    assert!(!buf.text().contains('\n'));
}

#[test]
fn shorter_line_pads_over_the_longer_one() {
    let (p, buf) = progress(true, Duration::ZERO);
    p.set(100, 200);
    p.set(5, 200);
    let text = buf.text();
    assert!(text.ends_with("\rloading 5/200 (2%)   "), "{text:?}");
}

#[test]
fn rate_limited_but_final_update_always_drawn() {
    let (p, buf) = progress(true, Duration::from_secs(3600));
    p.set(1, 10);
    p.set(2, 10);
    p.set(3, 10);
    p.set(10, 10);
    let text = buf.text();
    assert!(text.contains("1/10"));
    assert!(!text.contains("2/10") && !text.contains("3/10"));
    assert!(text.contains("10/10 (100%)"));
}

#[test]
fn finish_is_idempotent_and_runs_on_drop() {
    let (p, buf) = progress(true, Duration::ZERO);
    p.set(0, 0);
    p.finish();
    let once = buf.text();
    p.finish();
    drop(p);
    assert_eq!(buf.text(), once);
    assert_eq!(once, "\rloading 0\r         \r");

    let (p, buf) = progress(true, Duration::ZERO);
    p.set(1, 3);
    drop(p);
    assert!(buf.text().ends_with("\r"));
}

#[test]
fn usable_from_many_threads() {
    let (p, buf) = progress(true, Duration::ZERO);
    std::thread::scope(|s| {
        for t in 0..4 {
            let p = &p;
            s.spawn(move || {
                for i in 0..50 {
                    p.set(t * 50 + i, 200);
                }
            });
        }
    });
    p.finish();
    assert!(buf.text().ends_with('\r'));
}
