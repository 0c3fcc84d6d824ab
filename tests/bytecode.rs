//! Snapshot tests of bytecode listings, so a change in code generation shows
//! up in review.

use parity::diag::Sources;

fn listing(rules: &str) -> String {
    let mut sources = Sources::default();
    match parity::compile::build(&mut sources, &[("rules/listing.parity".into(), rules.into())], &[]) {
        Ok(p) => parity::bytecode::disassemble(&p),
        Err(d) => panic!("{}", sources.render(&d, false)),
    }
}

#[test]
fn gpu_sentence() {
    insta::assert_snapshot!(listing("rule gpu { every env with gpu-workload has nvidia.com/gpu node }"));
}

#[test]
fn deny_all_sentence() {
    insta::assert_snapshot!(listing("rule deny { namespaces deny-all by default\n except: system }"));
}

#[test]
fn agree_on_kubelet_minor() {
    insta::assert_snapshot!(listing(
        "rule kubelet { all envs with nodes agree on { minor(status.nodeInfo.kubeletVersion) for nodes } }"
    ));
}

#[test]
fn counterpart_and_exists_in() {
    insta::assert_snapshot!(listing(
        "rule ports { every service with counterpart in env prod as p has port-set(it) same set as port-set(p) }\n\
         rule ns { every namespace in reference env exists in every env }"
    ));
}

#[test]
fn no_with_nested_collection() {
    insta::assert_snapshot!(listing(
        "rule admin { no clusterrolebinding where roleRef.name = \"cluster-admin\" has some subject with kind = \"ServiceAccount\" }"
    ));
}

/// The env-invariant conjuncts of a top-level `where` (issue 17) are
/// wrapped in `EnvMemo`/`EnvMemoPut`; conjuncts that read the subject, or
/// anything bound by an earlier filter, are not.
#[test]
fn env_invariant_conjuncts_are_memoised_per_env() {
    let memo_ops = |rules: &str| {
        let l = listing(rules);
        (l.matches("EnvMemo ").count(), l.matches("EnvMemoPut ").count())
    };
    // `env.reference = false` and the comprehension over envs read only
    // the env; `spec.replicas > 1` reads the deployment.
    assert_eq!(
        memo_ops(
            "value next-order(order) = first({ it.order for envs where it.order = order + 1 })\n\
             rule r { every deployment where env.reference = false and next-order(env.order) exists and spec.replicas > 1 has spec.paused exists }"
        ),
        (2, 2)
    );
    assert_eq!(
        memo_ops(
            "rule r { every deployment where spec.replicas > 1 and it.kind = \"Deployment\" has spec.paused exists }"
        ),
        (0, 0)
    );
    // A counterpart bound by an earlier filter is not the env.
    assert_eq!(
        memo_ops(
            "rule r { every deployment with counterpart in env prod as p where p.spec.replicas > 1 has spec.paused exists }"
        ),
        (0, 0)
    );
    // Nested quantifiers' filters, env checks and predicates are not
    // touched: only a top-level filter over objects.
    assert_eq!(memo_ops("rule r { every env has no deployment where env.reference = true }"), (0, 0));
    assert_eq!(memo_ops("rule r { every deployment has env.reference = false }"), (0, 0));
}

/// The standard library's `api-version-parity` computes its two env-level
/// conditions (`env.reference = false`, the two schema versions differ)
/// once per env, and validates per object only where they hold.
#[test]
fn api_version_parity_memoises_its_env_conditions() {
    let files: Vec<(String, String)> =
        parity::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let mut sources = Sources::default();
    let prog = parity::compile::build(&mut sources, &files, &[]).expect("the standard library compiles");
    let listing = parity::bytecode::disassemble(&prog);
    let start = listing.find("rule api-version-parity ").expect("the rule is listed");
    let section = &listing[start..];
    let section = &section[..section[1..].find("\nrule ").map_or(section.len(), |i| i + 1)];
    assert_eq!(section.matches("EnvMemo ").count(), 2, "{section}");
    assert_eq!(section.matches("EnvMemoPut ").count(), 2, "{section}");
}

/// Paths are interned across the program, not per rule: two rules reading
/// the same fields share one path, so the VM's remembered path values
/// (`Vm::path_cache`) serve both.
#[test]
fn rules_reading_the_same_path_share_it() {
    let mut sources = Sources::default();
    let rules = "rule a { every deployment has spec.replicas > 0 }\n\
                 rule b { every deployment has spec.replicas < 100 }\n\
                 rule c { every deployment has spec.paused != true }";
    let p = parity::compile::build(&mut sources, &[("rules/paths.parity".into(), rules.into())], &[])
        .unwrap_or_else(|d| panic!("{}", sources.render(&d, false)));
    let listed: Vec<String> = p.paths.iter().map(|s| format!("{:?}", s.segs)).collect();
    let replicas = listed.iter().filter(|s| s.contains("\"replicas\"")).count();
    assert_eq!(replicas, 1, "{listed:?}");
    assert!(listed.iter().any(|s| s.contains("\"paused\"")), "{listed:?}");
    let mut unique = listed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a path listed twice: {listed:?}");
}
