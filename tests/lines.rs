//! Lines and code frames of findings, found after the rules ran in the
//! files that have findings, read again one at a time (the loader keeps no
//! file's text): the same lines and frames as from the first read, for
//! trees with recorded lines and without (JSON), and none from a file that
//! changed in between.

mod common;

use std::path::Path;

use common::{parity_in, write_tree};
use parity::diag::Sources;
use parity::load::{Input, LoadOptions, load_inputs};

const RULE: &str = "rule two-replicas {\n  every deployment has spec.replicas >= 2\n}\n";

/// The same Deployment as block YAML (lines recorded by the tree) and as
/// JSON (lines found in the text), each after another object.
const YAML: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\napiVersion: apps/v1\n\
                    kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";
const JSON: &str = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \
                    \"ConfigMap\", \"metadata\": {\"name\": \"first\"}},\n  {\"apiVersion\": \"apps/v1\",\n   \
                    \"kind\": \"Deployment\",\n   \"metadata\": {\"name\": \"web\"},\n   \"spec\": {\n     \
                    \"replicas\": 1}}\n]}\n";

fn run(dir: &Path, file: &str, edit: impl FnOnce(&Path)) -> parity::engine::Outcome {
    run_with(dir, file, edit, true)
}

fn run_with(dir: &Path, file: &str, edit: impl FnOnce(&Path), frames: bool) -> parity::engine::Outcome {
    let loaded = load_inputs(&[Input::Path(dir.join(file))], &[], None, &LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    edit(&dir.join(file));
    let files = [("r.parity".to_string(), RULE.to_string())];
    let prog = parity::compile::build(&mut Sources::default(), &files, &[]).expect("the rule compiles");
    parity::engine::run(&prog, &loaded.world, &parity::engine::Options { frames, ..Default::default() })
}

/// Without frames (reports that do not show them), lines are still found
/// in the file's text where the tree has none (JSON), and no frame is cut.
#[test]
fn without_frames_the_lines_are_the_same() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("d.yaml", YAML), ("d.json", JSON)]);
    for (file, line) in [("d.yaml", 10), ("d.json", 7)] {
        let out = run_with(dir.path(), file, |_| {}, false);
        let [f] = out.findings.as_slice() else { panic!("one finding: {:?}", out.findings) };
        assert_eq!((f.line, f.frame.len()), (line, 0), "{file}");
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
}

/// A file read again after the rules gives the field's line and the lines
/// around it, in YAML and JSON alike.
#[test]
fn a_findings_line_and_frame_come_from_the_file_read_again() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("d.yaml", YAML), ("d.json", JSON)]);
    for (file, line, text) in [("d.yaml", 10, "  replicas: 1"), ("d.json", 7, "     \"replicas\": 1}}")] {
        let out = run(dir.path(), file, |_| {});
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let [f] = out.findings.as_slice() else { panic!("one finding: {:?}", out.findings) };
        assert_eq!(f.line, line, "{file}");
        let frame: Vec<(u32, &str)> = f.frame.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_eq!(frame.len(), if file == "d.yaml" { 2 } else { 3 }, "{file}: {frame:?}");
        assert_eq!(frame[1], (line, text), "{file}");
    }
}

/// A file that changed or went away between the load and the report gives
/// no frame and no line from its new text: the verdict stands, at the line
/// the tree recorded (or the object's own line), with a warning naming it.
#[test]
fn a_file_that_changed_gives_no_lines_from_its_new_text() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("d.yaml", YAML), ("d.json", JSON)]);
    let same_length = |p: &Path| {
        let text = std::fs::read_to_string(p).unwrap();
        std::fs::write(p, text.replace("replicas", "REPLICAS")).unwrap();
    };
    let gone = |p: &Path| std::fs::remove_file(p).unwrap();
    for (file, edit, line) in [
        ("d.yaml", &same_length as &dyn Fn(&Path), 10),
        ("d.json", &same_length, 3),
        ("d.yaml", &gone, 10),
        ("d.json", &gone, 3),
    ] {
        let out = run(dir.path(), file, edit);
        let [f] = out.findings.as_slice() else { panic!("one finding: {:?}", out.findings) };
        assert_eq!(f.line, line, "{file}: the recorded line, or the object's own");
        assert!(f.frame.is_empty(), "{file}: {:?}", f.frame);
        let warnings: Vec<(&str, &str)> = out.warnings.iter().map(|w| (w.code.as_str(), w.file.as_str())).collect();
        let shown = dir.path().join(file).display().to_string();
        assert_eq!(warnings, [("parity::load::changed", shown.as_str())], "{file}");
        write_tree(dir.path(), &[("d.yaml", YAML), ("d.json", JSON)]);
    }
}

/// Through the binary: the human report shows the frame from the file read
/// again, and JSON output the field's line, for a JSON manifest.
#[test]
fn the_human_report_shows_the_frame_of_a_json_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("rules/r.parity", RULE), ("m/prod/d.json", JSON)]);
    let run = parity_in(dir.path(), &["check", "--no-stdlib", "--color", "never", "rules", "m"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("m/prod/d.json:7"), "{}", run.stdout);
    assert!(run.stdout.contains("\"replicas\": 1}}"), "{}", run.stdout);
    assert!(run.stdout.contains("\"spec\": {"), "the line before: {}", run.stdout);
}

/// A missing field points at its parent's key in block YAML as in JSON; a
/// block scalar's finding at its `key: |`; a frame on line 1 shows no byte
/// order mark.
#[test]
fn missing_fields_block_scalars_and_a_bom_point_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "\u{feff}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  # note\n  a: \"1\"\n  \
                script: |\n    echo hi\n";
    let json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"cm\"},\n \"data\": {\n  \
                \"a\": \"1\"}}\n";
    write_tree(dir.path(), &[("m/dev/cm.yaml", yaml), ("m/prod/cm.json", json)]);
    let lines = |rule: &str| -> Vec<String> {
        let run = parity_in(dir.path(), &["check", "--no-stdlib", "--rule", rule, "--format", "json", "m"], None, &[]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let found = report["findings"].as_array().unwrap().iter();
        let mut out: Vec<String> = found.map(|f| format!("{}:{}", f["file"].as_str().unwrap(), f["line"])).collect();
        out.sort();
        out
    };
    assert_eq!(lines("every configmap has data.zzz"), ["m/dev/cm.yaml:5", "m/prod/cm.json:3"]);
    assert_eq!(lines("every configmap in env dev has data.script = \"x\""), ["m/dev/cm.yaml:8"]);
    let run = parity_in(
        dir.path(),
        &["check", "--no-stdlib", "--color", "never", "--rule", "no configmap", "m/dev"],
        None,
        &[],
    );
    assert!(run.stdout.contains("1 | apiVersion: v1\n"), "{}", run.stdout);
}
