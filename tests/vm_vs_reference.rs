//! Differential test: random worlds and random rule text from a small
//! grammar, run through the real pipeline (parser, compiler, VM, engine) and
//! through the tree-walking reference evaluator in `tests/reference`, which
//! implements docs/language.md independently. Both must report the same
//! findings.

mod reference;

use parity::bytecode::Program;
use parity::diag::Sources;
use parity::world::{Env, Object, World};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value as Json, json};

// ------------------------------------------------------------------ worlds

fn opt(s: impl Strategy<Value = Json> + 'static) -> BoxedStrategy<Option<Json>> {
    prop_oneof![1 => Just(None), 3 => s.prop_map(Some)].boxed()
}

fn pick(vals: Vec<Json>) -> BoxedStrategy<Json> {
    select(vals).boxed()
}

fn small_string() -> BoxedStrategy<Json> {
    pick(vec![
        json!("a"),
        json!("b"),
        json!("web"),
        json!(""),
        json!("1"),
        json!("nginx"),
        json!("500m"),
        json!("v1.30.4"),
    ])
}

fn cpu() -> BoxedStrategy<Json> {
    pick(vec![
        json!("500m"),
        json!("1"),
        json!("0.5"),
        json!(1),
        json!(0.5),
        json!(2),
        json!("250m"),
        json!("2Gi"),
        json!("abc"),
        json!(null),
        json!(true),
    ])
}

fn memory() -> BoxedStrategy<Json> {
    pick(vec![
        json!("1Gi"),
        json!("1024Mi"),
        json!("1000Mi"),
        json!(1073741824u64),
        json!("512Mi"),
        json!("x"),
        json!(null),
    ])
}

fn version() -> BoxedStrategy<Json> {
    pick(vec![
        json!("v1.30.4"),
        json!("1.30.4"),
        json!("v1.29"),
        json!("v1.30.0-rc.1"),
        json!("v1.30.4+k3s1"),
        json!("v1.9.0"),
        json!(1.3),
        json!(1),
        json!("x"),
        json!(null),
    ])
}

fn replicas() -> BoxedStrategy<Json> {
    pick(vec![json!(0), json!(1), json!(2), json!(3), json!("2"), json!("abc"), json!(true), json!(null), json!(1.5)])
}

fn labels() -> BoxedStrategy<Json> {
    let value = prop_oneof![4 => small_string(), 1 => Just(json!(1)), 1 => Just(json!(null))];
    let map = proptest::collection::btree_map(select(vec!["app", "tier", "app.kubernetes.io/name"]), value, 0..3)
        .prop_map(|m| Json::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    prop_oneof![5 => map, 1 => Just(json!("oops")), 1 => Just(json!(null))].boxed()
}

fn ports() -> BoxedStrategy<Json> {
    let port = prop_oneof![
        3 => (opt(pick(vec![json!(80), json!(443), json!("80"), json!(null)])), opt(pick(vec![json!("http"), json!("grpc")])))
            .prop_map(|(p, n)| {
                let mut m = serde_json::Map::new();
                if let Some(p) = p { m.insert("port".into(), p); }
                if let Some(n) = n { m.insert("name".into(), n); }
                Json::Object(m)
            }),
        1 => pick(vec![json!(80), json!("http")]),
    ];
    proptest::collection::vec(port, 0..3).prop_map(Json::Array).boxed()
}

fn tags() -> BoxedStrategy<Json> {
    prop_oneof![
        4 => proptest::collection::vec(small_string(), 0..3).prop_map(Json::Array),
        1 => small_string(),
        1 => Just(json!({"a": 1})),
    ]
    .boxed()
}

fn container() -> BoxedStrategy<Json> {
    let res = (opt(cpu()), opt(memory())).prop_map(|(c, m)| {
        let mut r = serde_json::Map::new();
        if let Some(c) = c {
            r.insert("cpu".into(), c);
        }
        if let Some(m) = m {
            r.insert("memory".into(), m);
        }
        Json::Object(r)
    });
    let resources = (opt(res.clone()), opt(res)).prop_map(|(l, r)| {
        let mut m = serde_json::Map::new();
        if let Some(l) = l {
            m.insert("limits".into(), l);
        }
        if let Some(r) = r {
            m.insert("requests".into(), r);
        }
        Json::Object(m)
    });
    (
        opt(pick(vec![json!("app"), json!("sidecar")])),
        opt(pick(vec![
            json!("nginx:1.25"),
            json!("nginx"),
            json!("redis:7"),
            json!("registry.io/app:v2"),
            json!(5),
            json!(null),
            json!(""),
        ])),
        opt(resources),
        opt(pick(vec![json!(true), json!(false), json!("true")])),
        opt(tags()),
    )
        .prop_map(|(name, image, resources, privileged, args)| {
            let mut c = serde_json::Map::new();
            if let Some(v) = name {
                c.insert("name".into(), v);
            }
            if let Some(v) = image {
                c.insert("image".into(), v);
            }
            if let Some(v) = resources {
                c.insert("resources".into(), v);
            }
            if let Some(v) = privileged {
                c.insert("securityContext".into(), json!({"privileged": v}));
            }
            if let Some(v) = args {
                c.insert("args".into(), v);
            }
            Json::Object(c)
        })
        .boxed()
}

/// The fields every object's `spec` may carry.
fn spec_fields() -> BoxedStrategy<serde_json::Map<String, Json>> {
    (
        opt(replicas()),
        opt(cpu()),
        opt(memory()),
        opt(version()),
        opt(pick(vec![json!("on"), json!("off"), json!(true), json!(false)])),
        opt(ports()),
        opt(tags()),
        opt(small_string()),
    )
        .prop_map(|(replicas, cpu, memory, version, mode, ports, tags, owner)| {
            let mut m = serde_json::Map::new();
            for (k, v) in [
                ("replicas", replicas),
                ("cpu", cpu),
                ("memory", memory),
                ("version", version),
                ("mode", mode),
                ("ports", ports),
                ("tags", tags),
                ("owner", owner),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            m
        })
        .boxed()
}

const KINDS: &[&str] = &["Pod", "Deployment", "CronJob", "Service", "Namespace", "Node", "ConfigMap"];

fn object() -> BoxedStrategy<Json> {
    (
        select(KINDS),
        select(vec!["a", "b", "c"]),
        select(vec!["default", "web"]),
        opt(labels()),
        spec_fields(),
        // containers by list: init, regular, ephemeral
        proptest::collection::vec((0..3usize, container()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(kind, name, ns, labels, mut spec, cs, spec_is_null)| {
            let mut meta = serde_json::Map::new();
            meta.insert("name".into(), json!(name));
            if !matches!(kind, "Namespace" | "Node") {
                meta.insert("namespace".into(), json!(ns));
            }
            if let Some(l) = labels {
                meta.insert("labels".into(), l);
            }
            let mut lists: [Vec<Json>; 3] = Default::default();
            for (which, c) in cs {
                lists[which].push(c);
            }
            let mut pod = serde_json::Map::new();
            for (key, list) in ["initContainers", "containers", "ephemeralContainers"].iter().zip(lists) {
                if !list.is_empty() {
                    pod.insert(key.to_string(), Json::Array(list));
                }
            }
            let mut obj = serde_json::Map::new();
            obj.insert("apiVersion".into(), json!("v1"));
            obj.insert("kind".into(), json!(kind));
            obj.insert("metadata".into(), Json::Object(meta));
            match kind {
                "Pod" => {
                    spec.extend(pod);
                }
                "Deployment" => {
                    spec.insert("template".into(), json!({"spec": Json::Object(pod)}));
                }
                "CronJob" => {
                    spec.insert("jobTemplate".into(), json!({"spec": {"template": {"spec": Json::Object(pod)}}}));
                }
                "ConfigMap" => {
                    obj.insert("data".into(), Json::Object(spec.clone()));
                }
                _ => {}
            }
            if spec_is_null && kind == "Service" {
                obj.insert("spec".into(), Json::Null);
            } else {
                obj.insert("spec".into(), Json::Object(spec));
            }
            Json::Object(obj)
        })
        .boxed()
}

fn world() -> BoxedStrategy<Vec<(String, Vec<Json>)>> {
    (
        proptest::sample::subsequence(vec!["dev", "staging", "prod"], 1..=3),
        proptest::collection::vec(proptest::collection::vec(object(), 0..=6), 3),
    )
        .prop_map(|(names, objs)| names.into_iter().zip(objs).map(|(n, o)| (n.to_string(), o)).collect())
        .boxed()
}

fn build_world(envs: &[(String, Vec<Json>)]) -> World {
    let mut w = World::default();
    for (i, (name, objs)) in envs.iter().enumerate() {
        w.files.push(format!("{name}.yaml"));
        let mut env = Env::new(name.clone());
        env.order = i;
        for (line, o) in objs.iter().enumerate() {
            env.objects.push(Object::from_json(o, i as u32, i as u32, line as u32 + 1, 0));
        }
        w.envs.push(env);
    }
    w.finish();
    w
}

// ------------------------------------------------------------------ rules

const OBJ_PATHS: &[&str] = &[
    "spec.replicas",
    "spec.cpu",
    "spec.memory",
    "spec.version",
    "spec.mode",
    "spec.owner",
    "spec.tags",
    "spec.tags[0]",
    "spec.tags[-1]",
    "spec.ports[0].port",
    "spec.ports[-1].name",
    "spec.ports[1]",
    "spec.nothere",
    "spec",
    "data.cpu",
    "metadata.name",
    "metadata.namespace",
    "metadata.labels",
    "metadata.labels.app",
    "metadata.labels.\"app.kubernetes.io/name\"",
];

const CONTAINER_PATHS: &[&str] = &[
    "image",
    "name",
    "resources.limits.cpu",
    "resources.requests.cpu",
    "resources.limits.memory",
    "resources.requests.memory",
    "securityContext.privileged",
    "args",
    "args[0]",
    "nothere.field",
];

fn literal() -> BoxedStrategy<String> {
    select(vec![
        "0",
        "1",
        "2",
        "3",
        "0.5",
        "1e3",
        "\"a\"",
        "\"web\"",
        "\"nginx\"",
        "\"1\"",
        "\"500m\"",
        "\"\"",
        "\"v1.30.4\"",
        "true",
        "false",
        "null",
        "500m",
        "250m",
        "1Gi",
        "1024Mi",
        "2k",
        "v1.30.4",
        "v1.29",
        "v1.30.0-rc.1",
        "\"v1.30.4+k3s1\"",
    ])
    .prop_map(str::to_string)
    .boxed()
}

fn cmp_any() -> BoxedStrategy<&'static str> {
    select(vec!["=", "!=", "<", ">="]).boxed()
}

/// `metadata.labels` against a map literal (or itself), as sets of pairs.
fn map_set_test() -> BoxedStrategy<String> {
    let lit = select(vec![
        "{}",
        "{app: \"web\"}",
        "{app: \"a\", tier: \"b\"}",
        "{\"app.kubernetes.io/name\": \"web\", app: 1}",
    ]);
    let side = prop_oneof![3 => lit.prop_map(str::to_string), 2 => Just("metadata.labels".to_string())];
    (side.clone(), select(vec!["subset of", "same set as"]), side)
        .prop_filter("a map test reads labels", |(a, _, b)| a.starts_with('m') || b.starts_with('m'))
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
        .boxed()
}

fn string_literal() -> BoxedStrategy<String> {
    select(vec!["\"a\"", "\"nginx\"", "\"web\"", "\"\"", "\"1\"", "\"v1\"", "\"registry.io/\"", "\":v2\""])
        .prop_map(str::to_string)
        .boxed()
}

fn atom(paths: &'static [&'static str]) -> BoxedStrategy<String> {
    let path = select(paths);
    let cmp = select(vec!["=", "!=", "<", "<=", ">", ">=", "=="]);
    let list = proptest::collection::vec(literal(), 1..4).prop_map(|v| format!("[{}]", v.join(", ")));
    prop_oneof![
        6 => (path.clone(), cmp.clone(), literal()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        // Two fields: typed by the comparison rule, not by a literal.
        2 => (path.clone(), cmp, path.clone()).prop_map(|(p, o, q)| format!("{p} {o} {q}")),
        1 => path.clone().prop_map(|p| format!("{p} exists")),
        1 => path.clone().prop_map(|p| format!("{p} is missing")),
        1 => path.clone().prop_map(|p| format!("{p} is empty")),
        1 => path.clone().prop_map(|p| format!("{p} is not empty")),
        1 => path.clone().prop_map(|p| format!("{p} is null")),
        2 => (path.clone(), any::<bool>(), list).prop_map(|(p, n, l)| format!("{p} {}in {l}", if n { "not " } else { "" })),
        1 => (path.clone(), select(vec!["", "not ", "does not "]), string_literal()).prop_map(|(p, n, s)| format!("{p} {n}{} with {s}", if n == "does not " { "start" } else { "starts" })),
        1 => (path.clone(), select(vec![" + ", " - "]), select(vec!["500m", "1", "1Gi", "0"]), cmp_any(), literal())
            .prop_map(|(p, op, q, c, l)| {
                // `+ 1` would be a number sum; keep a quantity term.
                let q = match (op, q) {
                    (" + ", "1") => "1k",
                    (" + ", "0") => "0m",
                    _ => q,
                };
                format!("{p}{op}{q} {c} {l}")
            }),
        1 => (path.clone(), select(vec!["2", "0.5", "3"]), cmp_any(), literal()).prop_map(|(p, n, c, l)| format!("{p} * {n} {c} {l}")),
        1 => (path.clone(), string_literal()).prop_map(|(p, s)| format!("{p} ends with {s}")),
        1 => (path.clone(), any::<bool>(), literal()).prop_map(|(p, n, l)| format!("{p} {}contains {l}", if n { "not " } else { "" })),
        1 => (path, any::<bool>(), literal()).prop_map(|(p, n, l)| format!("{l} {}in {p}", if n { "not " } else { "" })),
    ]
    .boxed()
}

fn combine(inner: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![
        2 => inner.clone(),
        1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
        1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
        1 => inner.prop_map(|a| format!("not ({a})")),
    ]
    .boxed()
}

/// A condition on a container.
fn container_cond() -> BoxedStrategy<String> {
    combine(atom(CONTAINER_PATHS))
}

/// `some|every|no container ...` as a condition on a workload.
fn container_quant() -> BoxedStrategy<String> {
    let noun = select(vec!["container", "containers"]);
    prop_oneof![
        (select(vec!["some", "every", "no"]), noun.clone(), select(vec!["with", "where"]), container_cond())
            .prop_map(|(q, n, w, c)| format!("({q} {n} {w} {c})")),
        (select(vec!["some", "every", "no"]), noun, container_cond(), container_cond())
            .prop_map(|(q, n, f, c)| format!("({q} {n} where ({f}) has {c})")),
    ]
    .boxed()
}

fn object_cond(workload: bool) -> BoxedStrategy<String> {
    let leaf = if workload {
        prop_oneof![3 => atom(OBJ_PATHS), 1 => container_quant(), 1 => map_set_test()].boxed()
    } else {
        prop_oneof![3 => atom(OBJ_PATHS), 1 => map_set_test()].boxed()
    };
    combine(combine(leaf))
}

fn rule() -> BoxedStrategy<String> {
    let noun = select(vec![
        ("pod", true),
        ("pods", true),
        ("deployment", true),
        ("deployments", true),
        ("cronjob", true),
        ("service", false),
        ("namespaces", false),
        ("node", false),
        ("configmap", false),
    ]);
    noun.prop_flat_map(|(noun, workload)| {
        // A quantified phrase in a filter (no parentheses) takes no
        // predicate: the sentence's predicate follows it.
        let quant_filter = if workload {
            (
                select(vec!["with", "where"]),
                select(vec!["some", "every", "no"]),
                select(vec!["container", "containers"]),
                container_cond(),
            )
                .prop_map(|(w, q, n, c)| format!("{w} {q} {n} where ({c})"))
                .boxed()
        } else {
            object_cond(false).prop_map(|c| format!("with ({c})")).boxed()
        };
        let filter = prop_oneof![
            2 => object_cond(workload).prop_map(|c| format!("where ({c})")),
            1 => select(vec!["dev", "staging", "prod", "qa"]).prop_map(|e| format!("in env {e}")),
        ];
        // Last among the filters: a later filter would be the inner noun's.
        let last_filter = prop_oneof![2 => Just(String::new()), 1 => quant_filter];
        (
            select(vec!["every", "no"]),
            proptest::collection::vec(filter, 0..3),
            last_filter,
            prop_oneof![
                3 => object_cond(workload).prop_map(|c| format!("has {c}")),
                1 => object_cond(workload).prop_map(|c| format!("with {c}")),
                1 => Just(String::new()),
            ],
        )
            .prop_map(move |(q, mut filters, last, pred)| {
                // After a quantified filter, a trailing `with` would be the
                // inner noun's filter: keep `has` (or nothing).
                let pred =
                    if !last.is_empty() && pred.starts_with("with ") { format!("has {}", &pred[5..]) } else { pred };
                if !last.is_empty() {
                    filters.push(last);
                }
                let q = if q == "every" && pred.is_empty() { "no" } else { q };
                let mut s = format!("{q} {noun}");
                for f in filters {
                    s.push(' ');
                    s.push_str(&f);
                }
                if !pred.is_empty() {
                    s.push(' ');
                    s.push_str(&pred);
                }
                s
            })
    })
    .boxed()
}

// ------------------------------------------------------------------ running

/// Compiles several rule bodies at once: the prelude is parsed on every
/// build, which dominates the cost in debug builds.
fn compile(rules: &[String]) -> Result<Program, String> {
    let mut sources = Sources::default();
    // The generated rules read made-up fields (`spec.cpu` on a Pod): what is
    // compared here is the VM and the reference, not the schemas.
    parity::compile::without_path_checks(|| parity::compile::build(&mut sources, &[], rules))
        .map_err(|d| sources.render(&d, false))
}

/// Findings per rule, and the envs each rule names that are not loaded
/// (reported as `parity::rule::unknown-env` errors).
type PerRule = (Vec<Vec<reference::Subject>>, Vec<Vec<String>>);

/// Runs compiled bodies on a world: findings per rule, in body order.
fn vm_findings(prog: &Program, n: usize, w: &World) -> Result<PerRule, String> {
    let out = parity::engine::run(prog, w, &parity::engine::Options::default());
    let mut unknown: Vec<Vec<String>> = vec![Vec::new(); n];
    for e in &out.errors {
        let rule: Option<usize> =
            e.message.strip_prefix("rule `cli-").and_then(|r| r.split('`').next()).and_then(|n| n.parse().ok());
        let env = e.message.split("names env `").nth(1).and_then(|r| r.split('`').next());
        match (e.code.as_str(), rule, env) {
            ("parity::rule::unknown-env", Some(i), Some(env)) if i >= 1 && i <= n => {
                unknown[i - 1].push(env.to_string());
            }
            _ => return Err(format!("evaluation errors: {:?}", out.errors)),
        }
    }
    let mut per_rule = vec![Vec::new(); n];
    // parity's own findings about the world (duplicate objects) are not
    // verdicts of the rules compared here.
    for f in out.findings.iter().filter(|f| !f.rule.starts_with("parity/")) {
        let i: usize = f.rule.strip_prefix("cli-").and_then(|n| n.parse().ok()).ok_or("unexpected rule id")?;
        per_rule[i - 1].push((f.env.clone(), f.kind.clone(), f.namespace.clone(), f.name.clone()));
    }
    per_rule.iter_mut().for_each(|v| v.sort());
    unknown.iter_mut().for_each(|v| v.sort());
    Ok((per_rule, unknown))
}

fn ref_findings(rule: &str, w: &World) -> Result<(Vec<reference::Subject>, Vec<String>), String> {
    let body = parity::syntax::parse_body(0, rule).map_err(|d| d.message)?;
    Ok((reference::findings(&body, w)?, reference::unknown_envs(&body, w)))
}

/// Rules per case and worlds per case: every rule runs on every world, so
/// one case checks `RULES * WORLDS` (rule, world) pairs for one compile.
const RULES: usize = 4;
const WORLDS: usize = 3;

proptest! {
    #![proptest_config(ProptestConfig { cases: 180, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn vm_agrees_with_reference(
        worlds in proptest::collection::vec(world(), WORLDS),
        rules in proptest::collection::vec(rule(), RULES),
    ) {
        let prog = compile(&rules).map_err(|e| TestCaseError::fail(format!("rules do not compile: {rules:?}\n{e}")))?;
        for envs in &worlds {
            let w = build_world(envs);
            let (vm, unknown) = vm_findings(&prog, rules.len(), &w).map_err(|e| TestCaseError::fail(format!("rules do not run: {rules:?}\n{e}")))?;
            for ((rule, vm), unknown) in rules.iter().zip(vm).zip(unknown) {
                let (rf, ref_unknown) = ref_findings(rule, &w).map_err(|e| TestCaseError::fail(format!("reference: {rule}: {e}")))?;
                prop_assert_eq!(vm, rf, "rule: {}\nworld: {}", rule, serde_json::to_string(envs).unwrap_or_default());
                prop_assert_eq!(unknown, ref_unknown, "unknown envs of rule: {}", rule);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 100, ..ProptestConfig::default() })]

    /// Every accepted sentence, printed back fully parenthesised from its
    /// AST (its reading), parses to an AST with the same reading.
    #[test]
    fn readings_parse_back_to_the_same_ast(rule in rule()) {
        let body = parity::syntax::parse_body(0, &rule).map_err(|d| TestCaseError::fail(format!("{rule}: {}", d.message)))?;
        let reading = parity::syntax::print::reading(&body);
        let again = parity::syntax::parse_body(0, &reading)
            .map_err(|d| TestCaseError::fail(format!("{rule}\nreads as {reading}\nwhich does not parse: {}", d.message)))?;
        prop_assert_eq!(parity::syntax::print::reading(&again), reading, "rule: {}", rule);
    }
}
