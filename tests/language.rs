//! The checklist of ../shared/LANGUAGE.md, one short rule per sentence, each
//! with fixtures that pass it and fixtures that fail it; plus the meaning of
//! quantities, versions and absent values as the language defines them.

use parity::testing::{findings, world};

fn node(name: &str, kubelet: &str, runtime: &str, labels: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{{labels}}}}}\nstatus:\n  nodeInfo: {{kubeletVersion: {kubelet}, containerRuntimeVersion: \"{runtime}\"}}\n"
    )
}

#[test]
fn same_kubelet_minor_and_runtime_in_all_envs() {
    let rule = "all envs agree on { minor(status.nodeInfo.kubeletVersion) for nodes } \
                and all envs agree on { runtime-minor(it) for nodes }";
    let pass = world(&[
        ("dev", &node("d1", "v1.30.1", "containerd://1.7.2", "")),
        ("prod", &node("p1", "v1.30.4", "containerd://1.7.20", "")),
    ]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[
        ("dev", &node("d1", "v1.29.8", "containerd://1.7.2", "")),
        ("staging", &node("s1", "v1.30.2", "cri-o://1.30.1", "")),
        ("prod", &node("p1", "v1.30.4", "containerd://1.7.20", "")),
    ]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 dev", "cli-1 staging"]);
}

const NS: &str = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n";
const NS2: &str = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n";

#[test]
fn every_namespace_in_prod_exists_in_every_env() {
    let rule = "every namespace in env prod exists in every env";
    let both = format!("{NS}{NS2}");
    let pass = world(&[("dev", &both), ("staging", &both), ("prod", &both)]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[("dev", NS), ("staging", &both), ("prod", &both)]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 prod Namespace web"]);
}

fn service(name: &str, ports: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: web}}\nspec:\n  ports: {ports}\n")
}

#[test]
fn every_service_has_the_same_ports_in_every_env_as_in_prod() {
    let rule = "every service with counterpart in env prod as p has port-set(it) same set as port-set(p)";
    let prod = service("api", "[{port: 443}, {port: 80, protocol: TCP}]");
    let pass = world(&[("staging", &service("api", "[{port: 80}, {port: 443, protocol: TCP}]")), ("prod", &prod)]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[("staging", &service("api", "[{port: 8443}, {port: 80}]")), ("prod", &prod)]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 staging Service web/api"]);
}

fn deploy(name: &str, image: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: web}}\nspec:\n  template:\n    spec:\n      containers: [{{name: app, image: \"{image}\"}}]\n"
    )
}

#[test]
fn every_image_running_in_prod_ran_in_staging_first() {
    let rule = "every workload in env prod has every container with image in flatten({ images(it) for workloads in env staging })";
    let pass = world(&[("staging", &deploy("api", "web:1.5.0")), ("prod", &deploy("api", "web:1.5.0"))]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[
        ("staging", &format!("{}{}", deploy("api", "web:1.4.2"), deploy("ui", "ui:2"))),
        ("prod", &format!("{}{}", deploy("api", "web:1.5.0"), deploy("ui", "ui:2"))),
    ]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 prod Deployment web/api"]);
}

fn crb(name: &str, role: &str, subject_kind: &str) -> String {
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects: [{{kind: {subject_kind}, name: x, namespace: ci}}]\n"
    )
}

#[test]
fn no_service_account_is_bound_to_cluster_admin() {
    let rule =
        "no clusterrolebinding where roleRef.name = \"cluster-admin\" has some subject with kind = \"ServiceAccount\"";
    let pass = world(&[(
        "prod",
        &format!("{}{}", crb("admins", "cluster-admin", "Group"), crb("ci", "view", "ServiceAccount")),
    )]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[(
        "prod",
        &format!("{}{}", crb("admins", "cluster-admin", "Group"), crb("ci", "cluster-admin", "ServiceAccount")),
    )]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 prod ClusterRoleBinding ci"]);
}

fn pinned(name: &str, env: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: web}}\nspec:\n  template:\n    spec:\n      nodeSelector: {{env: {env}}}\n      containers: [{{name: app, image: a:1}}]\n"
    )
}

#[test]
fn every_workload_pins_itself_to_its_own_envs_nodes() {
    let rule = "every workload with podspec.nodeSelector.env has podspec.nodeSelector.env = env.name";
    let pass =
        world(&[("dev", &format!("{}{}", pinned("a", "dev"), deploy("free", "x:1"))), ("prod", &pinned("a", "prod"))]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let fail = world(&[("dev", &pinned("a", "staging")), ("prod", &pinned("a", "prod"))]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 dev Deployment web/a"]);
}

#[test]
fn prod_has_at_least_three_control_plane_nodes() {
    let rule = "env prod has at least 3 control-plane nodes";
    let cp = "\"node-role.kubernetes.io/control-plane\": \"\"";
    let three: String = (1..=3).map(|i| node(&format!("cp{i}"), "v1.30.0", "containerd://1.7.0", cp)).collect();
    let pass = world(&[("dev", &node("d", "v1.30.0", "containerd://1.7.0", "")), ("prod", &three)]);
    assert_eq!(findings("", &[rule], &pass), Vec::<String>::new());
    let two: String = (1..=2).map(|i| node(&format!("cp{i}"), "v1.30.0", "containerd://1.7.0", cp)).collect();
    let worker = node("w1", "v1.30.0", "containerd://1.7.0", "");
    let fail = world(&[("prod", &format!("{two}{worker}"))]);
    assert_eq!(findings("", &[rule], &fail), ["cli-1 prod"]);
}

#[test]
fn quantities_compare_as_kubernetes_means_them() {
    let w = world(&[("prod", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")]);
    // Each body holds; a false one would be a finding.
    for body in [
        "500m < 1",
        "1Gi > 1000Mi",
        "0.5 = 500m",
        "quantity(\"0.5\") = 500m",
        "1k = 1000",
        "2Gi = 2048Mi",
        "quantity(\"128974848\") = 123Mi",
    ] {
        assert_eq!(findings("", &[body], &w), Vec::<String>::new(), "{body}");
    }
    for body in ["1 < 500m", "1000Mi > 1Gi"] {
        assert_eq!(findings("", &[body], &w), ["cli-1 "], "{body}");
    }
    // Strings from manifests are read as quantities when compared with one.
    let pods = world(&[(
        "prod",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers: [{name: c, resources: {limits: {memory: 1Gi, cpu: 500m}}}]\n",
    )]);
    let rule = "every pod has every container with resources.limits.memory > 1000Mi and resources.limits.cpu < 1";
    assert_eq!(findings("", &[rule], &pods), Vec::<String>::new());
}

#[test]
fn versions_compare_as_kubernetes_means_them() {
    let w = world(&[("prod", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")]);
    for body in [
        "v1.9.0 < v1.30.4",
        "v1.30.4 > v1.30.3",
        "version(\"v1.30.4+k3s1\") = v1.30.4",
        "minor(\"v1.30.4\") = v1.30",
        "version(\"v1.30.0-rc.1\") < v1.30.0",
        "\"v1.30.4\" > v1.9.12",
    ] {
        assert_eq!(findings("", &[body], &w), Vec::<String>::new(), "{body}");
    }
    assert_eq!(findings("", &["v1.30.4 < v1.9.0"], &w), ["cli-1 "]);
}

#[test]
fn absent_fields_and_mixed_types_compare_false() {
    let pods =
        world(&[("prod", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: []}\n")]);
    // Every comparison with an absent value is false, so each rule fires.
    for body in [
        "every pod has spec.priority = 1",
        "every pod has spec.priority != 1",
        "every pod has spec.priority < 1",
        "every pod has spec.nodeName not in [\"a\"]",
        "every pod has metadata.name = 1",
        "every pod has metadata.name != 1",
    ] {
        assert_eq!(findings("", &[body], &pods), ["cli-1 prod Pod a/p"], "{body}");
    }
    // `exists`, `is missing` and `is empty` test for absence.
    for body in [
        "every pod has spec.priority is missing",
        "every pod has spec.containers is empty",
        "every pod has spec exists",
    ] {
        assert_eq!(findings("", &[body], &pods), Vec::<String>::new(), "{body}");
    }
}

#[test]
fn every_over_nothing_is_true_and_counts_are_exact() {
    let w = world(&[("prod", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")]);
    for body in [
        "every node has status.nodeInfo exists",
        "no pod has spec.hostNetwork = true",
        "exactly 1 namespace",
        "at most 1 namespaces",
        "at least 1 namespace",
        "some namespace where metadata.name = \"x\"",
    ] {
        assert_eq!(findings("", &[body], &w), Vec::<String>::new(), "{body}");
    }
    for body in ["at least 2 namespaces", "exactly 0 namespaces", "some node"] {
        assert_eq!(findings("", &[body], &w), ["cli-1 "], "{body}");
    }
}

#[test]
fn definitions_qualifiers_and_exceptions() {
    let rules = r#"
qualifier team-owned for workload = metadata.labels.team exists
noun owned-workload = team-owned workload
value sandbox-envs = ["sandbox"]
rule ownership {
  every deployment is team-owned
  except: metadata.namespace like "kube-*" or env.name in sandbox-envs
  severity: warning
  message: "{kind} {name} in {env.name} has no team label"
}
rule owned-count {
  every env has at most 1 owned-workload
}
"#;
    let d = |name: &str, ns: &str, team: bool| {
        let labels = if team { "{team: a}" } else { "{}" };
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}\n"
        )
    };
    let w = world(&[
        ("sandbox", &d("x", "web", false)),
        (
            "prod",
            &format!(
                "{}{}{}{}",
                d("a", "web", true),
                d("b", "web", false),
                d("c", "kube-system", false),
                d("e", "web", true)
            ),
        ),
    ]);
    assert_eq!(findings(rules, &[], &w), ["owned-count prod", "ownership prod Deployment web/b"]);
}

#[test]
fn jsonpath_and_regex_and_glob() {
    let w = world(&[(
        "prod",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: a}\nspec:\n  containers: [{name: app, image: \"reg.io/app:1.2\"}, {name: side, image: \"envoy:1\"}]\n",
    )]);
    for body in [
        "every pod has $.spec.containers[?(@.name == 'app')].image contains \"reg.io/app:1.2\"",
        "every pod has metadata.name like \"api-*\"",
        "every pod has every container with image matches \":[0-9.]+$\"",
        "every pod has metadata.name starts with \"api\" and metadata.name ends with \"-1\"",
        "every pod has [\"app\", \"side\"] same set as spec.containers[*].name",
        "every pod has [\"app\"] subset of spec.containers[*].name",
    ] {
        assert_eq!(findings("", &[body], &w), Vec::<String>::new(), "{body}");
    }
}
