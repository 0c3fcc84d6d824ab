//! Snapshot tests of rendered diagnostics: each names the file, line and
//! column, underlines the span and gives a help line.

use parity::testing::diagnostics;

#[test]
fn syntax_error() {
    insta::assert_snapshot!(diagnostics("rule broken {\n  every node has\n}\n"));
}

#[test]
fn unknown_noun_suggests_the_closest() {
    insta::assert_snapshot!(diagnostics("rule typo {\n  every nodez has status.allocatable exists\n}\n"));
}

#[test]
fn unknown_qualifier_suggests_the_closest() {
    insta::assert_snapshot!(diagnostics("rule typo {\n  every namespace is sytem\n}\n"));
}

#[test]
fn wrong_arity() {
    insta::assert_snapshot!(diagnostics(
        "rule arity {\n  every node has minor(status.nodeInfo.kubeletVersion, 2) = v1.30\n}\n"
    ));
}

#[test]
fn definition_cycle() {
    let text = "qualifier healthy for node = not tainted\nqualifier tainted for node = not healthy\n\nrule cycle {\n  every node is healthy\n}\n";
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn deep_nesting_is_rejected_with_a_position() {
    let text = format!("rule deep {{\n  every node has {}true{}\n}}\n", "(".repeat(100), ")".repeat(100));
    insta::assert_snapshot!(diagnostics(&text));
}

#[test]
fn every_without_a_predicate() {
    insta::assert_snapshot!(diagnostics("rule vague {\n  every deployment in env prod\n}\n"));
}

#[test]
fn bad_regex_is_a_compile_error() {
    insta::assert_snapshot!(diagnostics("rule re {\n  every pod has metadata.name matches \"(unclosed\"\n}\n"));
}
