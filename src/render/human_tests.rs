//! Tests for the human renderer: snapshots without colour, plus colour on
//! and off.

use super::{HumanOptions, render};
use crate::render::test_fixtures;

const PLAIN: HumanOptions = HumanOptions { color: false, show_evidence: true };

const COLOR: HumanOptions = HumanOptions { color: true, show_evidence: true };

#[test]
fn full_report_snapshot() {
    insta::assert_snapshot!(render(&test_fixtures::full(), &PLAIN));
}

#[test]
fn empty_report_snapshot() {
    let out = render(&test_fixtures::empty(), &PLAIN);
    assert!(out.contains("no objects loaded"));
    assert!(!out.contains("no findings") && !out.contains("passed"));
    insta::assert_snapshot!(out);
}

#[test]
fn clean_report_snapshot() {
    let out = render(&test_fixtures::clean(), &PLAIN);
    assert!(out.starts_with("no findings"));
    assert!(!out.contains("no objects loaded"));
    insta::assert_snapshot!(out);
}

#[test]
fn colour_on_emits_ansi_and_colour_off_none() {
    let report = test_fixtures::full();
    let coloured = render(&report, &COLOR);
    assert!(coloured.contains("\x1b[31m"), "red for errors");
    assert!(coloured.contains("\x1b[33m"), "yellow for warnings");
    assert!(coloured.contains("\x1b[2m"), "dim for paths");
    assert!(coloured.contains("\x1b[0m"));
    for r in [report, test_fixtures::empty(), test_fixtures::clean()] {
        assert!(!render(&r, &PLAIN).contains('\x1b'));
    }
}

#[test]
fn info_is_blue() {
    let mut report = test_fixtures::small();
    report.findings[0].severity = crate::report::Severity::Info;
    report.finish();
    assert!(render(&report, &COLOR).contains("\x1b[34minfo[replicas-match]"));
}

#[test]
fn evidence_can_be_hidden() {
    let report = test_fixtures::full();
    let shown = render(&report, &PLAIN);
    assert!(shown.contains("      staging: port-set(it) = 80 (expected 80, 443)\n"), "{shown}");
    let hidden = render(&report, &HumanOptions { show_evidence: false, ..PLAIN });
    assert!(!hidden.contains("port-set(it)"));
}

#[test]
fn default_options_show_evidence_without_colour() {
    let opts = HumanOptions::default();
    assert!(opts.show_evidence);
    assert!(!opts.color);
}

#[test]
fn control_characters_in_input_are_escaped() {
    let mut report = test_fixtures::small();
    report.findings[0].file = "evil\x1b[2Jname.yaml".into();
    let out = render(&report, &PLAIN);
    assert!(!out.contains('\x1b'));
    assert!(out.contains("evil\\u{1b}[2Jname.yaml:1"));
}
