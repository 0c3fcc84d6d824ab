//! Fuzz target: arbitrary bytes through the manifest loader's text checks
//! and both parsers (YAML and JSON), then object extraction. Any panic is a
//! bug; errors are fine. Where the fast YAML path answers, its answer must
//! be the general parser's (a differential check) on every style it reads
//! (seeds for each: `fuzz/corpus/manifests/style-*.yaml`), documents it
//! hands to the general parser included, and every line it records for a
//! node must be the line the locator finds for that node.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use parity::load::locate::{PathSeg, field_line};
use parity::load::{extract, fast, files, json, yaml};
use parity::world::tree::NodeRef;

fn summary(p: &yaml::Parsed) -> impl PartialEq + std::fmt::Debug {
    let docs: Vec<_> = p.docs.iter().map(|d| (p.tree.get(d.root).to_json(), d.line, d.offset, d.items.clone())).collect();
    (docs, p.warnings.clone())
}

/// Compares the lines of up to `budget` nodes (each costs a parse).
fn lines_agree(text: &str, doc_offset: usize, node: NodeRef, path: &mut Vec<PathSeg>, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    if let Some(line) = node.line() {
        assert_eq!(Some(line), field_line(text, doc_offset, path), "line of {path:?}");
    }
    let children: Vec<(PathSeg, NodeRef)> = if node.is_map() {
        node.entries().map(|(k, v)| (PathSeg::Key(k.to_string()), v)).collect()
    } else {
        node.iter().enumerate().map(|(i, v)| (PathSeg::Index(i), v)).collect()
    };
    for (seg, child) in children {
        path.push(seg);
        lines_agree(text, doc_offset, child, path, budget);
        path.pop();
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = files::text_from_bytes(data.to_vec(), "fuzz.yaml") else { return };
    let limits = yaml::Limits::default();
    if let Some(quick) = fast::parse(&text, "fuzz.yaml", &limits) {
        match yaml::parse_general(&text, "fuzz.yaml", &limits) {
            Ok(general) => assert_eq!(summary(&quick), summary(&general), "fast and general parsers differ"),
            Err(e) => panic!("fast path accepted YAML the general parser rejects: {}", e.message),
        }
        let mut budget = 200;
        for d in &quick.docs {
            lines_agree(&text, d.offset as usize, quick.tree.get(d.root), &mut Vec::new(), &mut budget);
        }
    }
    let _ = yaml::parse(&text, "fuzz.yaml", &limits);
    let _ = json::parse(&text, "fuzz.json");
    let _ = extract::load_text(&text, "fuzz.yaml", false, &limits);
    let _ = extract::load_text(&text, "fuzz.json", true, &limits);
});
