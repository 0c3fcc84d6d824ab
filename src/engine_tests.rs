//! End-to-end checks of the language inside the library: rule text →
//! program → findings over small multi-env worlds built from inline YAML.

use crate::testing::{findings, world};

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
