use super::*;
use crate::diag::Sources;

fn program(text: &str) -> Program {
    let mut sources = Sources::default();
    crate::compile::build(&mut sources, &[("t.parity".to_string(), text.to_string())], &[]).expect("compiles")
}

const RULES: &str = r#"
rule image-parity { every deployment exists in every env  tags: [parity, images] }
rule image-pinned { every deployment exists in every env  tags: [images] }
rule strict-thing { every deployment exists in every env  tags: [parity]  enabled: false }
"#;

fn ids(sel: &Selection) -> Vec<String> {
    let mut p = program(RULES);
    sel.apply(&mut p, &[]);
    p.rules.iter().map(|r| r.id.clone()).collect()
}

fn pats(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

#[test]
fn default_runs_every_enabled_rule() {
    assert_eq!(ids(&Selection::default()), ["image-parity", "image-pinned"]);
}

#[test]
fn disabled_rule_runs_only_when_named() {
    let by_id = Selection { extend_select: pats(&["strict-thing"]), ..Default::default() };
    assert_eq!(ids(&by_id), ["image-parity", "image-pinned", "strict-thing"]);
    let by_tag = Selection { select: Some(pats(&["parity"])), ..Default::default() };
    assert_eq!(ids(&by_tag), ["image-parity", "strict-thing"]);
    let by_glob = Selection { select: Some(pats(&["strict-*"])), ..Default::default() };
    assert_eq!(ids(&by_glob), ["strict-thing"]);
}

#[test]
fn ignore_wins_over_select() {
    let sel = Selection { select: Some(pats(&["images"])), ignore: pats(&["*-pinned"]), ..Default::default() };
    assert_eq!(ids(&sel), ["image-parity"]);
}

#[test]
fn always_kept_ids_survive_any_selection() {
    let mut p = program(RULES);
    let sel = Selection { select: Some(pats(&["strict-thing"])), ..Default::default() };
    sel.apply(&mut p, &pats(&["image-pinned"]));
    let got: Vec<&str> = p.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got, ["image-pinned", "strict-thing"]);
}

#[test]
fn unknown_patterns_are_reported() {
    let p = program(RULES);
    let sel = Selection {
        select: Some(pats(&["images", "imgae-*"])),
        extend_select: pats(&["nope"]),
        ignore: pats(&["parity"]),
    };
    let unknown = sel.unknown(&p);
    let got: Vec<(&str, &str)> = unknown.iter().map(|u| (u.key, u.pattern.as_str())).collect();
    assert_eq!(got, [("select", "imgae-*"), ("extend-select", "nope")]);
}

#[test]
fn glob_forms() {
    assert!(glob("*", ""));
    assert!(glob("a*c", "abbbc"));
    assert!(glob("a?c", "abc"));
    assert!(!glob("a?c", "ac"));
    assert!(glob("*-parity", "image-tag-parity"));
    assert!(!glob("*-parity", "image-tag-parity-x"));
    assert!(glob("**a**", "bab"));
}

#[test]
fn enabled_key_takes_true_or_false() {
    let mut sources = Sources::default();
    let bad = "rule r { every deployment exists in every env  enabled: maybe }";
    let errs = crate::compile::build(&mut sources, &[("t.parity".into(), bad.into())], &[]).unwrap_err();
    assert_eq!(errs[0].code, "parity::compile::enabled");
    let p = program("rule r { every deployment exists in every env  enabled: true }");
    assert!(p.rules[0].enabled);
}
