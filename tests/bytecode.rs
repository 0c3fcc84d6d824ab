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
