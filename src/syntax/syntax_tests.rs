use super::*;
use crate::syntax::ast::{ExprKind, Item, PredKind, Quant, Word};

fn body(text: &str) -> Expr {
    match parse_body(0, text) {
        Ok(e) => e,
        Err(d) => panic!("{text}: {} ({:?}) {:?}", d.message, d.span, d.help),
    }
}

#[test]
fn gpu_sentence_parses_as_quantified_env_rule() {
    let e = body("every env with gpu-workload has nvidia.com/gpu node");
    let ExprKind::Quantified { quant, np, pred } = e.kind else { panic!("{e:?}") };
    assert_eq!(quant, Quant::Every);
    assert!(matches!(np.words[..], [Word::Env(_)]));
    assert_eq!(np.filters.len(), 1);
    let pred = pred.expect("predicate");
    let PredKind::Has(inner) = pred.kind else { panic!() };
    let ExprKind::Bare { np, .. } = inner.kind else { panic!("{inner:?}") };
    assert!(
        matches!(&np.words[..], [Word::Resource(r), Word::Name(n)] if r.text == "nvidia.com/gpu" && n.text == "node")
    );
}

#[test]
fn deny_all_sentence_is_one_phrase() {
    let e = body("namespaces deny-all by default");
    let ExprKind::Bare { np, pred } = e.kind else { panic!("{e:?}") };
    assert!(pred.is_none());
    let words: Vec<String> = np
        .words
        .iter()
        .map(|w| match w {
            Word::Name(t) => t.text.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(words, ["namespaces", "deny-all", "by", "default"]);
}

#[test]
fn checklist_sentences_parse() {
    for text in [
        "all envs agree on { version(status.nodeInfo.kubeletVersion).minor for nodes }",
        "every namespace in env prod exists in every env",
        "every service with counterpart in env prod as p has { [port, protocol] for spec.ports } same set as { [port, protocol] for p.spec.ports }",
        "every workload in env prod has every container with image in flatten({ containers[*].image for workloads in env staging })",
        "no clusterrolebinding where roleRef.name = \"cluster-admin\" has some subject with kind = \"ServiceAccount\"",
        "every workload with podspec.nodeSelector.env has podspec.nodeSelector.env = env.name",
        "env prod has at least 3 control-plane nodes",
        "every workload has every container with resources.limits.memory",
        "500m < 1 and 1Gi > 1000Mi and v1.9.0 < v1.30.4",
        "every node where metadata.labels.\"kubernetes.io/os\" = \"linux\" is not control-plane",
        "$.spec.containers[?(@.name == 'app')].image exists",
    ] {
        body(text);
    }
}

#[test]
fn module_with_rules_and_definitions() {
    let text = r#"
# comment
noun gpu-workload = nvidia.com/gpu workload
noun container for workload = containers[*]
qualifier system for namespace = metadata.name in ["kube-system", "default"]
qualifier deny-all by default for namespace = has deny-all networkpolicy
value port-set(s) = { [port, protocol] for s.spec.ports }
rule gpu-node-parity {
  every env with gpu-workload has nvidia.com/gpu node
  severity: error
  title: "GPU workloads have a GPU node"
  tags: [hardware, scheduling]
  except: env.name = "sandbox"
}
"#;
    let m = parse_module(0, text).unwrap_or_else(|d| panic!("{}: {:?} {:?}", d.message, d.span, d.help));
    assert_eq!(m.items.len(), 6);
    let Item::Qualifier(q) = &m.items[3] else { panic!() };
    assert_eq!(q.name.text, "deny-all by default");
    let Item::Rule(r) = &m.items[5] else { panic!() };
    assert_eq!(r.id.text, "gpu-node-parity");
    assert_eq!(r.tags.len(), 2);
    assert!(r.body.is_some() && r.except.is_some());
    assert_eq!(r.severity.as_ref().map(|s| s.text.as_str()), Some("error"));
}

#[test]
fn deep_nesting_is_a_positioned_error() {
    let text = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    let err = parse_body(0, &text).unwrap_err();
    assert_eq!(err.code, "parity::syntax::too-deep");
    assert_eq!(err.span.start, super::MAX_BRACKET_DEPTH as u32);
    let text = format!("{} true", "not ".repeat(5000));
    let err = parse_body(0, &text).unwrap_err();
    assert_eq!(err.code, "parity::syntax::too-deep");
}

#[test]
fn syntax_error_names_what_was_expected() {
    let err = parse_body(0, "every node has").unwrap_err();
    assert_eq!(err.code, "parity::syntax");
    assert_eq!(err.span.start, 14);
    assert!(err.help.as_deref().unwrap_or("").starts_with("expected"), "{:?}", err.help);
}

#[test]
fn not_in_is_a_filter_not_a_word() {
    let e = body(
        "every service not in reference env with counterpart in reference env as ref has port-set(it) same set as port-set(ref)",
    );
    let ExprKind::Quantified { np, pred, .. } = &e.kind else { panic!("{e:#?}") };
    assert_eq!(np.words.len(), 1, "{:#?}", np.words);
    assert_eq!(np.filters.len(), 2, "{:#?}", np.filters);
    assert!(pred.is_some());
}

/// The reading of a sentence (`parity compile --explain`): fully
/// parenthesised, and a fixpoint — it parses to an AST that reads the same.
#[test]
fn readings_are_parenthesised_and_parse_back_to_the_same_ast() {
    let cases = [
        (
            "every namespace with some deployment has some poddisruptionbudget",
            "every namespace with (some deployment) has (some poddisruptionbudget)",
        ),
        (
            "every namespace with at least 1 deployment where spec.replicas > 1 has no poddisruptionbudget",
            "every namespace with (at least 1 deployment where (spec.replicas > 1)) has (no poddisruptionbudget)",
        ),
        (
            r#"no rolebinding or clusterrolebinding where roleRef.name = "cluster-admin" has some subject with kind = "ServiceAccount""#,
            r#"no rolebinding or clusterrolebinding where (roleRef.name = "cluster-admin") has (some subject with (kind = "ServiceAccount"))"#,
        ),
        (
            r#"every env where "prod" in env.tags has at least 3 nodes"#,
            r#"every env where ("prod" in env.tags) has (at least 3 nodes)"#,
        ),
        ("no pod where a = 1 or b = 2 has spec.c", "no pod where ((a = 1) or (b = 2)) has (spec.c)"),
        (r#"x does not start with "a""#, r#"x not starts with "a""#),
        (
            "every deployment has spec.replicas > 1 and spec.replicas < 3",
            "every deployment has ((spec.replicas > 1) and (spec.replicas < 3))",
        ),
        ("no pod where quantity(a) + b - 2 * c > 1Gi", "no pod where (((quantity(a) + b) - (2 * c)) > 1Gi)"),
    ];
    for (text, want) in cases {
        let got = print::reading(&body(text));
        assert_eq!(got, want, "{text}");
        assert_eq!(print::reading(&body(&got)), got, "{got} does not read the same");
    }
    // Many shapes at once: each reading parses back to itself.
    for text in [
        "all envs in envs tagged prod agree on { minor(status.nodeInfo.kubeletVersion) for nodes }",
        "every service with counterpart in env prod as p has port-set(it) same set as port-set(p)",
        "every workload in env prod has every container with image in flatten({ images(it) for workloads in env staging })",
        r#"env prod has at least 3 control-plane nodes and namespaces deny-all by default"#,
        r#"every pod as w where metadata.labels."app.kubernetes.io/name" like "a*" has spec.x[-1] != [1, "b", {k: null}]"#,
        "every node is not control-plane or (counterpart in previous env).spec.x exists",
        "no pod in namespace \"a\" not in reference env with (not (spec.a is empty)) has $.spec.containers[*].image",
    ] {
        let got = print::reading(&body(text));
        assert_eq!(print::reading(&body(&got)), got, "{text}\nreads as {got}");
    }
}
