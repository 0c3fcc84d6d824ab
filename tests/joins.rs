//! Indexed joins (issue 18): `configmaps where metadata.namespace =
//! c.metadata.namespace` is looked up in a per-env index rather than
//! scanned. The property test runs generated join rules on generated worlds
//! twice, with the program's join table and without it (a scan), and
//! requires identical findings (messages, evidence, locations) and errors;
//! the end-to-end tests run the real binary on small fixtures, with and
//! without the index (`PARITY_NO_JOIN_INDEX`), and check exact findings.

mod common;

use common::{json, parity_in, write_tree};
use parity::diag::Sources;
use parity::world::{Env, Object, World};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value as Json, json};

// ------------------------------------------------------------------ worlds

/// Values for the joined fields: plain text (indexed), and the values `=`
/// types or coerces (numbers, quantities, versions, null, booleans), which
/// make the VM scan.
fn value() -> BoxedStrategy<Option<Json>> {
    select(vec![
        None,
        Some(json!("a")),
        Some(json!("b")),
        Some(json!("web")),
        Some(json!("Web")),
        Some(json!("")),
        Some(json!("1")),
        Some(json!("1.0")),
        Some(json!(1)),
        Some(json!("500m")),
        Some(json!("0.5")),
        Some(json!("v1.30.4")),
        Some(json!("1.30.4")),
        Some(json!("1.30")),
        Some(json!(null)),
        Some(json!(true)),
        Some(json!("true")),
        Some(json!(["a"])),
    ])
    .boxed()
}

fn object() -> BoxedStrategy<Json> {
    (
        select(vec!["ConfigMap", "Secret"]),
        select(vec!["cm-1", "cm-2", "a", "web", "1"]),
        select(vec![None, Some("a"), Some("b"), Some("web")]),
        value(),
        value(),
    )
        .prop_map(|(kind, name, ns, r, team)| {
            let mut meta = json!({ "name": name });
            if let Some(ns) = ns {
                meta["namespace"] = json!(ns);
            }
            if let Some(t) = team {
                meta["labels"] = json!({ "team": t });
            }
            let mut o = json!({ "apiVersion": "v1", "kind": kind, "metadata": meta });
            if let Some(r) = r {
                o["data"] = json!({ "ref": r });
            }
            o
        })
        .boxed()
}

fn world() -> BoxedStrategy<Vec<Vec<Json>>> {
    proptest::collection::vec(proptest::collection::vec(object(), 0..=8), 1..=3).boxed()
}

fn build_world(envs: &[Vec<Json>]) -> World {
    let names = ["dev", "staging", "prod"];
    let mut w = World::default();
    for (i, objs) in envs.iter().enumerate() {
        w.files.push(format!("{}.yaml", names[i]));
        let mut env = Env::new(names[i]);
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

/// A join rule: an outer object `c`, an inner quantifier or comprehension
/// filtered by `PATH = c.PATH` (or a constant), in some env scope, with an
/// optional extra conjunct.
fn rule() -> BoxedStrategy<String> {
    let kind = || select(vec!["configmap", "secret"]);
    let path = || select(vec!["metadata.namespace", "metadata.name", "data.ref", "metadata.labels.team"]);
    let scope = select(vec!["", " in every env", " in other envs", " in env prod", " in previous env"]);
    let key = prop_oneof![
        3 => path().prop_map(|p| format!("c.{p}")),
        1 => select(vec!["\"a\"", "\"web\"", "\"1\"", "\"500m\"", "\"v1.30.4\""]).prop_map(String::from),
    ];
    let extra = select(vec![
        "",
        " and metadata.name != \"a\"",
        " and data.ref exists",
        " and metadata.name != c.metadata.name",
    ]);
    let shape = select(vec![0u8, 1, 2, 3, 4, 5]);
    (kind(), kind(), path(), key, scope, extra, shape, any::<bool>())
        .prop_map(|(outer, inner, p, key, scope, extra, shape, flip)| {
            let eq = if flip { format!("{key} = {p}") } else { format!("{p} = {key}") };
            let filter = format!("{eq}{extra}");
            let plural = format!("{inner}s");
            match shape {
                0 => {
                    format!("every {outer} as c has count({{ metadata.name for {plural}{scope} where {filter} }}) > 0")
                }
                1 => format!("every {outer} as c where some {inner}{scope} where {filter}"),
                2 => format!("every {outer} as c where no {inner}{scope} where {filter}"),
                3 => format!("every {outer} as c where at least 2 {plural}{scope} where {filter}"),
                4 => format!(
                    "every {outer} as c has count({{ metadata.namespace for {plural}{scope} where {filter} }}) < 2"
                ),
                _ => format!("every {outer} as c where exactly 1 {inner}{scope} where {filter}"),
            }
        })
        .boxed()
}

/// Everything a run reports, as text.
fn report(prog: &parity::bytecode::Program, w: &World) -> String {
    let out = parity::engine::run(prog, w, &parity::engine::Options::default());
    format!("{:#?}\n{:#?}\n{:?}", out.findings, out.errors, out.matched)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn indexed_joins_report_what_the_scan_reports(envs in world(), body in rule()) {
        let w = build_world(&envs);
        let mut sources = Sources::default();
        let prog = match parity::compile::build(&mut sources, &[], std::slice::from_ref(&body)) {
            Ok(p) => p,
            Err(d) => panic!("{body}\n{}", sources.render(&d, false)),
        };
        // Every generated rule has a join the compiler indexes.
        prop_assert!(!prog.joins.is_empty(), "no join in {}", body);
        let indexed = report(&prog, &w);
        let mut scan = parity::compile::build(&mut Sources::default(), &[], std::slice::from_ref(&body)).unwrap();
        scan.joins.clear();
        prop_assert_eq!(indexed, report(&scan, &w), "{}", body);
    }
}

#[test]
fn joins_are_recognised_only_where_the_key_is_bound_outside() {
    let joins = |body: &str| {
        let mut sources = Sources::default();
        let prog = parity::compile::build(&mut sources, &[], &[body.to_string()]).unwrap();
        prog.joins.len()
    };
    // A key from the outer object, a constant, either side of `=`.
    assert_eq!(joins("every configmap as c has count({ 1 for secrets where metadata.name = c.metadata.name }) > 0"), 1);
    assert_eq!(joins("every configmap as c where some secret where c.data.ref = data.ref and data.x exists"), 1);
    assert_eq!(joins("every configmap has count({ 1 for secrets where metadata.name = \"x\" }) > 0"), 1);
    // The element's own `as` name shadows the outer one: both sides read
    // the element, nothing to look up.
    assert_eq!(
        joins("every configmap as c has count({ 1 for configmaps as c where metadata.name = c.metadata.name }) > 0"),
        0
    );
    // Not an equality conjunct: `or`, `!=`, `not`.
    assert_eq!(
        joins("every configmap as c where some secret where metadata.name = c.metadata.name or data.x exists"),
        0
    );
    assert_eq!(joins("every configmap as c where some secret where metadata.name != c.metadata.name"), 0);
    // `every X where C`: the last `where` is the predicate, not a filter.
    assert_eq!(joins("every configmap as c where every secret where metadata.name = c.metadata.name"), 0);
    // `has` scopes the inner phrase by the outer object's namespace: scanned.
    assert_eq!(joins("every configmap as c has some secret where metadata.name = c.metadata.name"), 0);
}

// ------------------------------------------------------------------ end to end

const MANIFESTS: &[(&str, &str)] = &[
    (
        "dev/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: shop\ndata:\n  ref: db\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lonely\n  namespace: shop\ndata:\n  ref: cache\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: numeric\n  namespace: shop\ndata:\n  ref: \"1.0\"\n",
    ),
    (
        "dev/secrets.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: other\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"1\"\n  namespace: other\n",
    ),
    (
        "prod/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: shop\ndata:\n  ref: cache\n",
    ),
    ("prod/secrets.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cache\n  namespace: other\n"),
];

/// Each ConfigMap's `data.ref` must name a Secret of its env (in any
/// namespace): a join on `metadata.name`. `numeric`'s ref `"1.0"` equals
/// the Secret named `"1"` as a number (both are data), which the index
/// leaves to the scan.
const RULES: &str = "rule secret-ref {\n  every configmap as c where data.ref exists has count({ metadata.name for secrets where metadata.name = c.data.ref }) > 0\n  message: \"ConfigMap {c.metadata.name} names a missing Secret {c.data.ref}\"\n}\n";

#[test]
fn a_join_finds_exactly_what_the_scan_finds() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), MANIFESTS);
    write_tree(dir.path(), &[("rules/joins.parity", RULES)]);
    let args = ["check", "--format", "json", "--rules", "rules", "--no-stdlib", "dev", "prod"];
    let indexed = parity_in(dir.path(), &args, None, &[]);
    let scanned = parity_in(dir.path(), &args, None, &[("PARITY_NO_JOIN_INDEX", "1")]);
    assert_eq!(indexed.code, 1, "{}{}", indexed.stdout, indexed.stderr);
    let (mut a, mut b) = (json(&indexed), json(&scanned));
    for r in [&mut a, &mut b] {
        r["summary"]["elapsed_ms"] = json!(0);
    }
    assert_eq!(a, b);
    let found: Vec<String> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}:{} {}", f["env"], f["name"], f["file"], f["line"], f["message"]))
        .collect();
    assert_eq!(
        found,
        vec![r#""dev" "lonely" "dev/cm.yaml":9 "ConfigMap lonely names a missing Secret cache""#.to_string()]
    );
}
