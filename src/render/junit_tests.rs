//! Tests for the JUnit renderer: counts, names and XML escaping.

use super::{escape, render};
use crate::render::test_fixtures;
use crate::report::{RuleDoc, Severity};

fn docs(ids: &[&str]) -> Vec<RuleDoc> {
    ids.iter().map(|id| RuleDoc { id: id.to_string(), severity: Severity::Error, ..RuleDoc::default() }).collect()
}

#[test]
fn escapes_markup_quotes_and_control_characters() {
    assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    assert_eq!(escape("tab\tnl\ncr\r"), "tab&#9;nl&#10;cr&#13;");
    assert_eq!(escape("bell\u{7} nul\u{0} esc\u{1b} \u{FFFF}"), "bell\\u{7} nul\\u{0} esc\\u{1b} \\u{ffff}");
    assert_eq!(escape("ünïcødé ✓ \u{85}"), "ünïcødé ✓ \u{85}");
}

#[test]
fn one_suite_per_rule_and_one_case_per_finding() {
    let out = render(&test_fixtures::full(), &docs(&["namespace-default-deny", "replicas-match", "quiet"]));
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"parity\" tests=\"5\" failures=\"3\" errors=\"1\">\n"));
    assert!(out.contains("<testsuite name=\"namespace-default-deny\" tests=\"2\" failures=\"2\""));
    assert!(out.contains("<testcase classname=\"namespace-default-deny\" name=\"env dev\">"));
    assert!(out.contains(
        "<testcase classname=\"namespace-default-deny\" name=\"prod Namespace payments\" file=\"manifests/prod/ns.yaml\">"
    ));
    assert!(out.contains(
        "<testcase classname=\"replicas-match\" name=\"prod Service web/api\" file=\"manifests/prod/svc.yaml\">"
    ));
    assert!(out.contains("<failure message=\"ports differ from staging\" type=\"warning\">ports differ from staging&#10;manifests/prod/svc.yaml:4&#10;evidence: staging: port-set(it) = 80 (expected 80, 443)"));
    assert!(out.contains("<testsuite name=\"quiet\" tests=\"1\" failures=\"0\""));
    assert!(out.contains("<testcase classname=\"quiet\" name=\"all envs\"/>"));
    assert!(out.contains("<testsuite name=\"parity\" tests=\"1\" failures=\"0\" errors=\"1\""));
    assert!(out.contains("<error message=\"mapping values are not allowed here\" type=\"parity::load::yaml\">mapping values are not allowed here&#10;manifests/prod/broken.yaml:3</error>"));
    assert!(out.ends_with("</testsuites>\n"));
}

#[test]
fn rules_with_findings_but_no_docs_still_get_a_suite() {
    let out = render(&test_fixtures::small(), &[]);
    assert!(out.contains("<testsuite name=\"replicas-match\" tests=\"1\" failures=\"1\""));
}
