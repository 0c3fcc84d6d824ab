//! `parity-corpus`: writes a synthetic but realistic corpus of Kubernetes
//! manifests for benchmarks — N envs × M objects (namespaces with default-deny
//! policies, deployments, services, service accounts, RBAC, config maps,
//! nodes) with a seeded, deterministic rate of drift — and prints how many
//! violations of which kind it planted.
//!
//! ```text
//! parity-corpus --envs 3 --objects 63000 --drift 0.02 --format yaml OUT
//! ```
//!
//! `--format yaml` writes `OUT/<env>/ns-NNNN.yaml` (many documents a file),
//! `json` writes `OUT/<env>/part-NNNN.json` (`v1/List` files) and `snapshot`
//! writes `OUT/<env>/snapshot-NNNN.json` (parity snapshots, context = env).
//! `--style` picks how `--format yaml` writes each document, for the
//! benchmarks of every YAML style (the objects are the same in every
//! style): `plain` block YAML (the default), `quoted` (every key and string
//! value double-quoted), `flow` (one flow mapping a line), `json` (one JSON
//! object a document), `block-scalars` (plain, with `|` and `>-`
//! annotations on every object) and `helm` (`helm template` output: a
//! `# Source:` comment per document, string values quoted).
//! Only the standard library is used; the RNG is a tiny xorshift.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A tiny xorshift64* generator: deterministic for a given seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A JSON-shaped value, emitted as block YAML or compact JSON.
enum V {
    S(String),
    N(i64),
    B(bool),
    A(Vec<V>),
    M(Vec<(&'static str, V)>),
    /// A map with computed keys (labels, resource names).
    K(Vec<(String, V)>),
}

fn s(x: impl Into<String>) -> V {
    V::S(x.into())
}

fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl V {
    fn entries(&self) -> Option<Vec<(&str, &V)>> {
        match self {
            V::M(m) => Some(m.iter().map(|(k, v)| (*k, v)).collect()),
            V::K(m) => Some(m.iter().map(|(k, v)| (k.as_str(), v)).collect()),
            _ => None,
        }
    }

    fn is_empty_collection(&self) -> bool {
        match self {
            V::A(a) => a.is_empty(),
            V::M(m) => m.is_empty(),
            V::K(m) => m.is_empty(),
            _ => false,
        }
    }

    fn json(&self, out: &mut String) {
        match self {
            V::S(x) => quote(out, x),
            V::N(n) => {
                let _ = write!(out, "{n}");
            }
            V::B(b) => out.push_str(if *b { "true" } else { "false" }),
            V::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.json(out);
                }
                out.push(']');
            }
            V::M(_) | V::K(_) => {
                out.push('{');
                for (i, (k, v)) in self.entries().unwrap_or_default().into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(out, k);
                    out.push(':');
                    v.json(out);
                }
                out.push('}');
            }
        }
    }

    /// Writes a scalar or a flow-style empty collection (strings quoted
    /// when `quote`, or when they would not read back as strings).
    fn yaml_inline(&self, out: &mut String, quote_all: bool) {
        match self {
            V::S(x) => {
                let plain = !quote_all
                    && !x.is_empty()
                    && x.chars().all(|c| c.is_ascii_alphanumeric() || "-./_".contains(c))
                    && x.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && !matches!(
                        x.to_ascii_lowercase().as_str(),
                        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
                    );
                if plain { out.push_str(x) } else { quote(out, x) }
            }
            V::A(_) => out.push_str("[]"),
            V::M(_) | V::K(_) => out.push_str("{}"),
            other => other.json(out),
        }
    }

    fn is_block(&self) -> bool {
        matches!(self, V::A(_) | V::M(_) | V::K(_)) && !self.is_empty_collection()
    }

    /// Flow YAML on one line: `{a: b, c: [1, 2]}`.
    fn flow(&self, out: &mut String) {
        match self {
            V::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.flow(out);
                }
                out.push(']');
            }
            V::M(_) | V::K(_) => {
                out.push('{');
                for (i, (k, v)) in self.entries().unwrap_or_default().into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    V::S(k.to_string()).yaml_inline(out, false);
                    out.push_str(": ");
                    v.flow(out);
                }
                out.push('}');
            }
            other => other.yaml_inline(out, false),
        }
    }

    /// Block YAML for a map or sequence at `indent`.
    fn yaml(&self, out: &mut String, indent: usize, st: Style) {
        match self {
            V::A(items) => {
                for item in items {
                    out.extend(std::iter::repeat_n(' ', indent));
                    out.push_str("- ");
                    if let Some(entries) = item.entries().filter(|e| !e.is_empty()) {
                        for (i, (k, v)) in entries.into_iter().enumerate() {
                            if i > 0 {
                                out.extend(std::iter::repeat_n(' ', indent + 2));
                            }
                            yaml_entry(out, k, v, indent + 2, st);
                        }
                    } else if item.is_block() {
                        out.push('\n');
                        item.yaml(out, indent + 2, st);
                    } else {
                        item.yaml_inline(out, st.quote_values());
                        out.push('\n');
                    }
                }
            }
            V::M(_) | V::K(_) => {
                for (k, v) in self.entries().unwrap_or_default() {
                    out.extend(std::iter::repeat_n(' ', indent));
                    yaml_entry(out, k, v, indent, st);
                }
            }
            other => {
                other.yaml_inline(out, st.quote_values());
                out.push('\n');
            }
        }
    }
}

fn yaml_entry(out: &mut String, key: &str, v: &V, indent: usize, st: Style) {
    V::S(key.to_string()).yaml_inline(out, st == Style::Quoted);
    out.push(':');
    if v.is_block() {
        out.push('\n');
        v.yaml(out, indent + 2, st);
    } else {
        out.push(' ');
        v.yaml_inline(out, st.quote_values());
        out.push('\n');
    }
    if st == Style::BlockScalars && indent == 0 && key == "metadata" {
        // Annotations as CRDs and operators write them: block scalars.
        out.push_str(
            "  annotations:\n    description: |\n      Generated by parity-corpus for the benchmarks.\n      \
             A literal block scalar: \"quotes\" and # are text here.\n\n      Last line.\n    \
             summary: >-\n      A folded block scalar\n      over two lines.\n",
        );
    }
}

/// How `--format yaml` writes each document.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// Block YAML, plain scalars where they read back as strings.
    Plain,
    /// Block YAML, every key and string value double-quoted.
    Quoted,
    /// One flow mapping per document, on one line.
    Flow,
    /// One JSON object per document (JSON saved as YAML).
    Json,
    /// Plain, with block-scalar annotations (`|`, `>-`) on every object.
    BlockScalars,
    /// Like `helm template`: a `# Source:` comment per document, string
    /// values quoted.
    Helm,
}

impl Style {
    fn quote_values(self) -> bool {
        matches!(self, Style::Quoted | Style::Helm)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Yaml,
    Json,
    Snapshot,
}

struct Args {
    envs: usize,
    objects: usize,
    drift: f64,
    seed: u64,
    format: Format,
    style: Style,
    out: PathBuf,
}

const USAGE: &str = "usage: parity-corpus [--envs N] [--objects M] [--drift P] [--seed S] [--format yaml|json|snapshot] \
     [--style plain|quoted|flow|json|block-scalars|helm] OUT";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        envs: 3,
        objects: 63_000,
        drift: 0.02,
        seed: 42,
        format: Format::Yaml,
        style: Style::Plain,
        out: PathBuf::new(),
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match a.as_str() {
            "--envs" => args.envs = value("--envs")?.parse().map_err(|e| format!("--envs: {e}"))?,
            "--objects" => args.objects = value("--objects")?.parse().map_err(|e| format!("--objects: {e}"))?,
            "--drift" => args.drift = value("--drift")?.parse().map_err(|e| format!("--drift: {e}"))?,
            "--seed" => args.seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--format" => {
                args.format = match value("--format")?.as_str() {
                    "yaml" => Format::Yaml,
                    "json" => Format::Json,
                    "snapshot" => Format::Snapshot,
                    other => return Err(format!("unknown format {other}\n{USAGE}")),
                }
            }
            "--style" => {
                args.style = match value("--style")?.as_str() {
                    "plain" => Style::Plain,
                    "quoted" => Style::Quoted,
                    "flow" => Style::Flow,
                    "json" => Style::Json,
                    "block-scalars" => Style::BlockScalars,
                    "helm" => Style::Helm,
                    other => return Err(format!("unknown style {other}\n{USAGE}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if out.is_none() && !a.starts_with('-') => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}\n{USAGE}")),
        }
    }
    args.out = out.ok_or_else(|| USAGE.to_string())?;
    if !(1..=7).contains(&args.envs) {
        return Err("--envs must be between 1 and 7".into());
    }
    Ok(args)
}

/// Env names in promotion order; the last is the reference env.
fn env_names(n: usize) -> Vec<&'static str> {
    let all = ["dev", "test", "qa", "uat", "staging", "preprod"];
    let mut names: Vec<&str> = match n {
        1 => vec![],
        2 => vec!["staging"],
        3 => vec!["dev", "staging"],
        _ => all[..n - 1].to_vec(),
    };
    names.push("prod");
    names
}

/// Objects per namespace: Namespace, 2 NetworkPolicies, ServiceAccount,
/// RoleBinding, ConfigMap, ClusterRoleBinding, and DEPLOYS × (Deployment,
/// Service).
const DEPLOYS: usize = 8;
const PER_NS: usize = 7 + 2 * DEPLOYS;
/// Namespaces per output file.
const NS_PER_FILE: usize = 40;

/// Planted violations, by rule id.
type Planted = BTreeMap<&'static str, usize>;

struct Ctx<'a> {
    env: &'a str,
    env_idx: usize,
    names: &'a [&'static str],
    is_ref: bool,
    drift: f64,
}

fn meta(name: &str, ns: Option<&str>, labels: Vec<(String, V)>) -> V {
    let mut m = vec![("name", s(name))];
    if let Some(ns) = ns {
        m.push(("namespace", s(ns)));
    }
    if !labels.is_empty() {
        m.push(("labels", V::K(labels)));
    }
    V::M(m)
}

fn obj(api: &str, kind: &str, metadata: V, rest: Vec<(&'static str, V)>) -> V {
    let mut m = vec![("apiVersion", s(api)), ("kind", s(kind)), ("metadata", metadata)];
    m.extend(rest);
    V::M(m)
}

fn lbl(k: &str, v: &str) -> (String, V) {
    (k.to_string(), s(v))
}

/// Per-namespace randomness is drawn from a generator seeded by the
/// namespace number alone, so every env agrees on what a namespace contains;
/// drift is drawn from a second generator seeded by (env, namespace).
fn namespace(ctx: &Ctx, n: usize, seed: u64, planted: &mut Planted, out: &mut Vec<V>) {
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

fn node(ctx: &Ctx, name: &str, role: &str, kubelet: &str, gpu: bool) -> V {
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
fn cluster(ctx: &Ctx, nodes: usize, seed: u64, planted: &mut Planted, out: &mut Vec<V>) {
    let mut drift = Rng(seed ^ 0xC0FF_EE00 ^ ((ctx.env_idx as u64 + 1) << 32) | 1);
    // The first env of several has no GPU node: its GPU workloads cannot run.
    let gpu_nodes = !(ctx.names.len() > 1 && ctx.env_idx == 0 && ctx.drift > 0.0);
    if !gpu_nodes {
        *planted.entry("gpu-node-parity").or_default() += 1;
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

fn write(dir: &Path, env: &str, file_no: usize, format: Format, style: Style, objects: &[V]) -> Result<usize, String> {
    let (name, mut text) = match format {
        Format::Yaml => (format!("ns-{file_no:04}.yaml"), String::new()),
        Format::Json => {
            (format!("part-{file_no:04}.json"), String::from("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n"))
        }
        Format::Snapshot => (
            format!("snapshot-{file_no:04}.json"),
            format!(
                "{{\"apiVersion\":\"parity.dev/v1\",\"kind\":\"Snapshot\",\"context\":\"{env}\",\"serverVersion\":\"v1.30.4\",\"objects\":[\n"
            ),
        ),
    };
    for (i, o) in objects.iter().enumerate() {
        match format {
            Format::Yaml => {
                if i > 0 || style == Style::Helm {
                    text.push_str("---\n");
                }
                match style {
                    Style::Flow => {
                        o.flow(&mut text);
                        text.push('\n');
                    }
                    Style::Json => {
                        o.json(&mut text);
                        text.push('\n');
                    }
                    Style::Helm => {
                        let kind = o.entries().and_then(|e| e.into_iter().find(|(k, _)| *k == "kind"));
                        let kind = match kind {
                            Some((_, V::S(k))) => k.to_ascii_lowercase(),
                            _ => "object".into(),
                        };
                        let _ = writeln!(text, "# Source: parity-corpus/templates/{kind}.yaml");
                        o.yaml(&mut text, 0, style);
                    }
                    _ => o.yaml(&mut text, 0, style),
                }
            }
            Format::Json | Format::Snapshot => {
                if i > 0 {
                    text.push_str(",\n");
                }
                o.json(&mut text);
            }
        }
    }
    if format != Format::Yaml {
        text.push_str("\n]}\n");
    }
    let path = dir.join(name);
    std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.len())
}

fn run(args: &Args) -> Result<(), String> {
    let names = env_names(args.envs);
    let nodes = (args.objects / 1000).clamp(6, 500);
    let namespaces = (args.objects.saturating_sub(nodes + 4) / PER_NS).max(1);
    let mut planted = Planted::new();
    let (mut total_objects, mut total_bytes, mut total_files) = (0usize, 0usize, 0usize);
    for (env_idx, env) in names.iter().enumerate() {
        let ctx = Ctx { env, env_idx, names: &names, is_ref: env_idx + 1 == names.len(), drift: args.drift };
        let dir = args.out.join(env);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut batch = Vec::new();
        cluster(&ctx, nodes, args.seed, &mut planted, &mut batch);
        let mut file_no = 0;
        for n in 0..namespaces {
            namespace(&ctx, n, args.seed, &mut planted, &mut batch);
            if (n + 1) % NS_PER_FILE == 0 || n + 1 == namespaces {
                total_objects += batch.len();
                total_bytes += write(&dir, env, file_no, args.format, args.style, &batch)?;
                total_files += 1;
                file_no += 1;
                batch.clear();
            }
        }
    }
    println!(
        "wrote {total_objects} objects ({:.1} MB) in {total_files} files, {} envs ({}), {namespaces} namespaces and {nodes} nodes per env, to {}",
        total_bytes as f64 / 1e6,
        names.len(),
        names.join(", "),
        args.out.display()
    );
    println!("planted violations (drift {}, seed {}):", args.drift, args.seed);
    for (rule, count) in &planted {
        println!("  {rule:32} {count}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
