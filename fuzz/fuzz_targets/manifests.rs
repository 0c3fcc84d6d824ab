//! Fuzz target: arbitrary bytes through the manifest loader's text checks
//! and both parsers (YAML and JSON), then object extraction. Any panic is a
//! bug; errors are fine.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use parity::load::{extract, files, json, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = files::text_from_bytes(data.to_vec(), "fuzz.yaml") else { return };
    let limits = yaml::Limits::default();
    let _ = yaml::parse(&text, "fuzz.yaml", &limits);
    let _ = json::parse(&text, "fuzz.json");
    let _ = extract::load_text(&text, "fuzz.yaml", false, &limits);
    let _ = extract::load_text(&text, "fuzz.json", true, &limits);
});
