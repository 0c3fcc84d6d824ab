//! The objects of one env: namespaces with their workloads, and the cluster.

use super::*;

/// Objects per namespace: Namespace, 2 NetworkPolicies, ServiceAccount,
/// RoleBinding, ConfigMap, ClusterRoleBinding, and DEPLOYS × (Deployment,
/// Service).
pub(crate) const DEPLOYS: usize = 8;
pub(crate) const PER_NS: usize = 7 + 2 * DEPLOYS;
/// Namespaces per output file.
pub(crate) const NS_PER_FILE: usize = 40;

/// Planted violations, by rule id.
pub(crate) type Planted = BTreeMap<&'static str, usize>;

pub(crate) struct Ctx<'a> {
    pub(crate) env: &'a str,
    pub(crate) env_idx: usize,
    pub(crate) names: &'a [&'static str],
    pub(crate) is_ref: bool,
    pub(crate) drift: f64,
}

pub(crate) fn meta(name: &str, ns: Option<&str>, labels: Vec<(String, V)>) -> V {
    let mut m = vec![("name", s(name))];
    if let Some(ns) = ns {
        m.push(("namespace", s(ns)));
    }
    if !labels.is_empty() {
        m.push(("labels", V::K(labels)));
    }
    V::M(m)
}

pub(crate) fn obj(api: &str, kind: &str, metadata: V, rest: Vec<(&'static str, V)>) -> V {
    let mut m = vec![("apiVersion", s(api)), ("kind", s(kind)), ("metadata", metadata)];
    m.extend(rest);
    V::M(m)
}

pub(crate) fn lbl(k: &str, v: &str) -> (String, V) {
    (k.to_string(), s(v))
}

/// Per-namespace randomness is drawn from a generator seeded by the
/// namespace number alone, so every env agrees on what a namespace contains;
/// drift is drawn from a second generator seeded by (env, namespace).
pub(crate) fn namespace(ctx: &Ctx, n: usize, seed: u64, planted: &mut Planted, out: &mut Vec<V>) {
    let mut shape = Rng(seed ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut drift =
        Rng(seed ^ ((ctx.env_idx as u64 + 1) << 40) ^ (n as u64 + 7).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let teams = ["payments", "web", "search", "data", "ml", "identity", "billing", "ops"];
    let team = teams[n % teams.len()];
    let ns = format!("{team}-{n:04}");
    let p = ctx.drift;
    // Drift decisions, made in a fixed order so they are reproducible.
    let drop_ns = !ctx.is_ref && drift.chance(p);
    let drop_deny = !drop_ns && drift.chance(p);
    let cluster_admin = drift.chance(p / 4.0);
    if drop_ns {
        *planted.entry("namespace-parity").or_default() += 1;
    } else {
        out.push(obj("v1", "Namespace", meta(&ns, None, vec![lbl("team", team)]), vec![]));
    }
    if drop_deny {
        *planted.entry("namespace-default-deny").or_default() += 1;
        if !ctx.is_ref {
            *planted.entry("networkpolicy-parity").or_default() += 1;
        }
    } else {
        out.push(obj(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            meta("default-deny-all", Some(&ns), vec![]),
            vec![(
                "spec",
                V::M(vec![("podSelector", V::M(vec![])), ("policyTypes", V::A(vec![s("Ingress"), s("Egress")]))]),
            )],
        ));
    }
    out.push(obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        meta("allow-same-namespace", Some(&ns), vec![]),
        vec![(
            "spec",
            V::M(vec![
                ("podSelector", V::M(vec![])),
                ("policyTypes", V::A(vec![s("Ingress")])),
                ("ingress", V::A(vec![V::M(vec![("from", V::A(vec![V::M(vec![("podSelector", V::M(vec![]))])]))])])),
            ]),
        )],
    ));
    let sa = format!("{team}-app");
    out.push(obj("v1", "ServiceAccount", meta(&sa, Some(&ns), vec![]), vec![]));
    out.push(obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        meta(&format!("{sa}-edit"), Some(&ns), vec![]),
        vec![
            (
                "roleRef",
                V::M(vec![
                    ("apiGroup", s("rbac.authorization.k8s.io")),
                    ("kind", s("ClusterRole")),
                    ("name", s("edit")),
                ]),
            ),
            (
                "subjects",
                V::A(vec![V::M(vec![("kind", s("ServiceAccount")), ("name", s(&sa)), ("namespace", s(&ns))])]),
            ),
        ],
    ));
    out.push(obj(
        "v1",
        "ConfigMap",
        meta(&format!("{team}-config"), Some(&ns), vec![lbl("app.kubernetes.io/part-of", team)]),
        vec![(
            "data",
            V::K(vec![
                lbl("LOG_LEVEL", "info"),
                lbl("FEATURE_FLAGS", "checkout-v2,fast-search"),
                lbl("TIMEOUT_MS", "2500"),
            ]),
        )],
    ));
    let role = if cluster_admin { "cluster-admin" } else { "view" };
    if cluster_admin {
        *planted.entry("no-serviceaccount-cluster-admin").or_default() += 1;
    }
    out.push(obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        meta(&format!("{ns}-{sa}-{role}"), None, vec![]),
        vec![
            (
                "roleRef",
                V::M(vec![("apiGroup", s("rbac.authorization.k8s.io")), ("kind", s("ClusterRole")), ("name", s(role))]),
            ),
            (
                "subjects",
                V::A(vec![V::M(vec![("kind", s("ServiceAccount")), ("name", s(&sa)), ("namespace", s(&ns))])]),
            ),
        ],
    ));
    let apps = ["api", "worker", "frontend", "cache", "gateway", "scheduler", "indexer", "exporter"];
    for (d, app) in apps.iter().enumerate().take(DEPLOYS) {
        let name = format!("{team}-{app}");
        let major = 1 + shape.below(3);
        let minor = shape.below(20);
        let patch = shape.below(10);
        let gpu = shape.below(200) == 0;
        let memory_mi = 256 << shape.below(3);
        let replicas = 1 + shape.below(4) as i64;
        let port = [8080, 8443, 9090, 3000][d % 4];
        // Drift on this deployment and its service.
        let no_mem = drift.chance(p);
        let privileged = drift.chance(p / 2.0);
        let hotfix = ctx.is_ref && ctx.names.len() > 1 && drift.chance(p);
        let wrong_env = ctx.names.len() > 1 && drift.chance(p / 2.0);
        let port_drift = !ctx.is_ref && drift.chance(p);
        if no_mem {
            *planted.entry("container-memory-limits").or_default() += 1;
        }
        if privileged {
            *planted.entry("no-privileged-containers").or_default() += 1;
        }
        if hotfix {
            *planted.entry("image-promotion").or_default() += 1;
        }
        if wrong_env {
            *planted.entry("env-node-selector").or_default() += 1;
        }
        if port_drift {
            *planted.entry("service-port-parity").or_default() += 1;
        }
        let tag =
            if hotfix { format!("v{major}.{minor}.{patch}-hotfix.{n}") } else { format!("v{major}.{minor}.{patch}") };
        let image = format!("registry.example.com/{team}/{app}:{tag}");
        let mut limits = vec![("cpu".to_string(), s("1"))];
        if !no_mem {
            limits.push(("memory".to_string(), s(format!("{memory_mi}Mi"))));
        }
        if gpu {
            limits.push(("nvidia.com/gpu".to_string(), s("1")));
        }
        let mut container = vec![
            ("name", s(*app)),
            ("image", s(image)),
            (
                "ports",
                V::A(vec![V::M(vec![("name", s("http")), ("containerPort", V::N(port)), ("protocol", s("TCP"))])]),
            ),
            ("env", V::A(vec![V::M(vec![("name", s("APP_ENV")), ("value", s(ctx.env))])])),
            (
                "resources",
                V::M(vec![
                    ("requests", V::K(vec![lbl("cpu", "100m"), lbl("memory", "128Mi")])),
                    ("limits", V::K(limits)),
                ]),
            ),
            ("readinessProbe", V::M(vec![("httpGet", V::M(vec![("path", s("/healthz")), ("port", V::N(port))]))])),
        ];
        if privileged {
            container.push(("securityContext", V::M(vec![("privileged", V::B(true))])));
        } else {
            container.push((
                "securityContext",
                V::M(vec![("runAsNonRoot", V::B(true)), ("allowPrivilegeEscalation", V::B(false))]),
            ));
        }
        let selector_env = if wrong_env { ctx.names[(ctx.env_idx + 1) % ctx.names.len()] } else { ctx.env };
        let labels = || vec![lbl("app", &name), lbl("app.kubernetes.io/part-of", team)];
        out.push(obj(
            "apps/v1",
            "Deployment",
            meta(&name, Some(&ns), labels()),
            vec![(
                "spec",
                V::M(vec![
                    ("replicas", V::N(replicas)),
                    ("selector", V::M(vec![("matchLabels", V::K(vec![lbl("app", &name)]))])),
                    (
                        "template",
                        V::M(vec![
                            ("metadata", V::M(vec![("labels", V::K(labels()))])),
                            (
                                "spec",
                                V::M(vec![
                                    ("serviceAccountName", s(&sa)),
                                    ("nodeSelector", V::K(vec![lbl("env", selector_env)])),
                                    ("containers", V::A(vec![V::M(container)])),
                                ]),
                            ),
                        ]),
                    ),
                ]),
            )],
        ));
        let svc_port = if port_drift { port + 1 } else { port };
        out.push(obj(
            "v1",
            "Service",
            meta(&name, Some(&ns), labels()),
            vec![(
                "spec",
                V::M(vec![
                    ("type", s("ClusterIP")),
                    ("selector", V::K(vec![lbl("app", &name)])),
                    (
                        "ports",
                        V::A(vec![V::M(vec![
                            ("name", s("http")),
                            ("port", V::N(svc_port)),
                            ("targetPort", V::N(port)),
                            ("protocol", s("TCP")),
                        ])]),
                    ),
                ]),
            )],
        ));
    }
}

pub(crate) fn node(ctx: &Ctx, name: &str, role: &str, kubelet: &str, gpu: bool) -> V {
    let mut labels = vec![lbl("env", ctx.env), lbl("kubernetes.io/arch", "amd64"), lbl("kubernetes.io/os", "linux")];
    if role == "control-plane" {
        labels.push(lbl("node-role.kubernetes.io/control-plane", ""));
    }
    let mut alloc = vec![lbl("cpu", "16"), lbl("memory", "64Gi"), lbl("pods", "110")];
    if gpu {
        alloc.push(lbl("nvidia.com/gpu", "4"));
    }
    obj(
        "v1",
        "Node",
        meta(name, None, labels),
        vec![(
            "status",
            V::M(vec![
                ("allocatable", V::K(alloc)),
                ("conditions", V::A(vec![V::M(vec![("type", s("Ready")), ("status", s("True"))])])),
                (
                    "nodeInfo",
                    V::M(vec![
                        ("kubeletVersion", s(kubelet)),
                        ("containerRuntimeVersion", s("containerd://1.7.22")),
                        ("osImage", s("Ubuntu 22.04.4 LTS")),
                        ("operatingSystem", s("linux")),
                        ("architecture", s("amd64")),
                    ]),
                ),
            ]),
        )],
    )
}

/// Nodes and cluster roles of one env.
pub(crate) fn cluster(ctx: &Ctx, nodes: usize, seed: u64, planted: &mut Planted, out: &mut Vec<V>) {
    let mut drift = Rng(seed ^ 0xC0FF_EE00 ^ ((ctx.env_idx as u64 + 1) << 32) | 1);
    // The first env of several has no GPU node: its GPU workloads cannot run.
    let gpu_nodes = !(ctx.names.len() > 1 && ctx.env_idx == 0 && ctx.drift > 0.0);
    if !gpu_nodes {
        *planted.entry("gpu-node-parity").or_default() += 1;
        // The same missing GPU node: the env's GPU workloads request
        // `nvidia.com/gpu`, which no node of theirs offers.
        *planted.entry("extended-resource-parity").or_default() += 1;
    }
    let mut old_kubelet = false;
    for i in 0..nodes {
        let role = if i < 3 { "control-plane" } else { "worker" };
        let stale = !ctx.is_ref && i >= 3 && drift.chance(ctx.drift);
        old_kubelet |= stale;
        let kubelet = if stale { format!("v1.29.{}", i % 8) } else { format!("v1.30.{}", 2 + i % 3) };
        let gpu = gpu_nodes && i >= 3 && i % 10 == 3;
        let name = format!("{}-{role}-{i:04}", ctx.env);
        out.push(node(ctx, &name, role, &kubelet, gpu));
    }
    if old_kubelet {
        *planted.entry("kubelet-version-parity").or_default() += 1;
    }
    for r in ["metrics-reader", "namespace-viewer", "deployer", "auditor"] {
        out.push(obj(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            meta(r, None, vec![]),
            vec![(
                "rules",
                V::A(vec![V::M(vec![
                    ("apiGroups", V::A(vec![s("")])),
                    ("resources", V::A(vec![s("pods"), s("services"), s("namespaces")])),
                    ("verbs", V::A(vec![s("get"), s("list"), s("watch")])),
                ])]),
            )],
        ));
    }
}
