//! Fuzz target: arbitrary rule text through the parser and compiler, as a
//! rule file and as a lone `--rule` body. Any panic is a bug; errors are fine.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use parity::diag::Sources;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = Sources::default();
    let _ = parity::compile::build(&mut sources, &[("fuzz.parity".to_string(), text.to_string())], &[]);
    let mut sources = Sources::default();
    let _ = parity::compile::build(&mut sources, &[], &[text.to_string()]);
});
