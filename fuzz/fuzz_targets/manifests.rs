//! Fuzz target: arbitrary bytes through the manifest loader's text checks
//! and both parsers (YAML and JSON), then object extraction. Any panic is a
//! bug; errors are fine. Where the fast YAML path answers, its answer must
//! be the general parser's (a differential check).
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use parity::load::{extract, fast, files, json, yaml};

fn summary(p: &yaml::Parsed) -> impl PartialEq + std::fmt::Debug {
    let docs: Vec<_> = p.docs.iter().map(|d| (p.tree.get(d.root).to_json(), d.line, d.offset, d.items.clone())).collect();
    (docs, p.warnings.clone())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = files::text_from_bytes(data.to_vec(), "fuzz.yaml") else { return };
    let limits = yaml::Limits::default();
    if let Some(quick) = fast::parse(&text, "fuzz.yaml", &limits) {
        match yaml::parse_general(&text, "fuzz.yaml", &limits) {
            Ok(general) => assert_eq!(summary(&quick), summary(&general), "fast and general parsers differ"),
            Err(e) => panic!("fast path accepted YAML the general parser rejects: {}", e.message),
        }
    }
    let _ = yaml::parse(&text, "fuzz.yaml", &limits);
    let _ = json::parse(&text, "fuzz.json");
    let _ = extract::load_text(&text, "fuzz.yaml", false, &limits);
    let _ = extract::load_text(&text, "fuzz.json", true, &limits);
});
