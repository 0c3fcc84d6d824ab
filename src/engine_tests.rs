//! End-to-end checks of the language inside the library: rule text →
//! program → findings over small multi-env worlds built from inline YAML.

use crate::diag::Sources;
use crate::load::yaml::{Limits, parse};
use crate::world::{Env, Object, World};

/// Builds a world from (env, YAML) pairs, in the order given.
pub fn world(envs: &[(&str, &str)]) -> World {
    let mut w = World::default();
    for (i, (name, yaml)) in envs.iter().enumerate() {
        let file = format!("{name}.yaml");
        w.files.push(file.clone());
        let parsed = parse(yaml, &file, &Limits::default()).expect("fixture YAML parses");
        let mut env = Env::new(*name);
        env.order = i;
        for doc in parsed.docs {
            env.objects.push(Object::new(doc.value, i as u32, i as u32, doc.line, doc.offset));
        }
        w.envs.push(env);
    }
    w.finish();
    w
}

/// Runs rule files' text (or bare bodies) and returns
/// `rule env kind namespace/name` lines, sorted.
pub fn findings(rules: &str, bodies: &[&str], w: &World) -> Vec<String> {
    let mut sources = Sources::default();
    let files = if rules.is_empty() { vec![] } else { vec![("test.parity".to_string(), rules.to_string())] };
    let bodies: Vec<String> = bodies.iter().map(|b| b.to_string()).collect();
    let prog = match crate::compile::build(&mut sources, &files, &bodies) {
        Ok(p) => p,
        Err(d) => panic!("{}", sources.render(&d, false)),
    };
    let out = super::run(&prog, w, &super::Options::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let mut v: Vec<String> = out
        .findings
        .iter()
        .map(|f| {
            let obj = if f.kind.is_empty() {
                String::new()
            } else if f.namespace.is_empty() {
                format!(" {} {}", f.kind, f.name)
            } else {
                format!(" {} {}/{}", f.kind, f.namespace, f.name)
            };
            format!("{} {}{obj}", f.rule, f.env)
        })
        .collect();
    v.sort();
    v
}

const GPU_DEV: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  template:
    spec:
      containers:
        - name: train
          image: trainer:1
          resources: {limits: {nvidia.com/gpu: 1}}
---
apiVersion: v1
kind: Node
metadata: {name: cpu-1}
status: {allocatable: {cpu: "8"}}
"#;

const GPU_PROD: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  template:
    spec:
      containers:
        - name: train
          image: trainer:1
          resources: {requests: {nvidia.com/gpu: "2"}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu-1}
status: {allocatable: {nvidia.com/gpu: "4"}}
"#;

#[test]
fn gpu_sentence_verbatim() {
    let w = world(&[
        ("dev", GPU_DEV),
        ("staging", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"),
        ("prod", GPU_PROD),
    ]);
    let got = findings("", &["every env with gpu-workload has nvidia.com/gpu node"], &w);
    assert_eq!(got, ["cli-1 dev"]);
}

const NS_PROD: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-some, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {}}]}]
"#;

#[test]
fn deny_all_sentence_verbatim() {
    let w = world(&[("prod", NS_PROD)]);
    let got = findings("", &["namespaces deny-all by default"], &w);
    assert_eq!(got, ["cli-1 prod Namespace kube-system", "cli-1 prod Namespace web"]);
    let rules = "rule d { namespaces deny-all by default\n except: system }";
    assert_eq!(findings(rules, &[], &w), ["d prod Namespace web"]);
}
