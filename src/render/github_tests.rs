//! Tests for the GitHub workflow-command renderer.

use super::{escape_data, escape_property, render};
use crate::render::test_fixtures;

#[test]
fn escapes_data_and_properties() {
    // Line breaks are escaped as text, never as `%0A`, which the runner
    // would turn back into a line break inside the annotation.
    assert_eq!(escape_data("100% a:b,c\r\nd"), "100%25 a:b,c\\r\\nd");
    assert_eq!(escape_property("100% a:b,c\r\nd"), "100%25 a%3Ab%2Cc\\r\\nd");
    assert_eq!(escape_data("\x1b]8;;x\x07"), "\\u{1b}]8;;x\\u{7}");
    // `%` first, so an escape is never escaped twice.
    assert_eq!(escape_data("%0A"), "%250A");
}

#[test]
fn full_report_lines() {
    let out = render(&test_fixtures::full());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "::error title=namespace-default-deny::env dev has no NetworkPolicy at all",
            "::error file=manifests/prod/ns.yaml,line=12,title=namespace-default-deny::namespace payments has no default-deny NetworkPolicy",
            "::warning file=manifests/prod/svc.yaml,line=4,title=replicas-match::ports differ from staging",
            "::error file=manifests/prod/broken.yaml,line=3,col=7,title=parity%3A%3Aload%3A%3Ayaml::mapping values are not allowed here",
            "::warning file=manifests/dev/cm.yaml,line=8,title=parity%3A%3Aload%3A%3Ayaml11-bool::`yes` is a string in YAML 1.2, a boolean in 1.1",
            "::error file=manifests/prod/values.yaml,line=1,title=parity%3A%3Aload%3A%3Anot-kubernetes::skipped: no apiVersion or kind",
            "parity: 3 findings (2 errors, 1 warning, 0 info) · 3 envs · 42 objects · 1 skipped (not checked) · 1 run error",
        ]
    );
}
