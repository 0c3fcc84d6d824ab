//! Metamorphic tests: the same objects written in different YAML styles
//! (plain block, quoted keys and values, flow, JSON; one file or one file
//! per object), loaded in a different file order or with another thread
//! count, give the same findings apart from file and line.

mod common;

use common::{json, parity_in, write_tree};
use serde_json::{Value as Json, json};

/// A small two-env tree with drift and hygiene problems the standard
/// library finds: privileged and `:latest` containers, a missing memory
/// limit, a Service whose ports differ, a namespace missing in dev.
fn objects() -> Vec<(&'static str, Json)> {
    let deploy = |env: &str, image: &str, privileged: bool| {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "nodeSelector": {"env": env},
                        "containers": [{
                            "name": "app",
                            "image": image,
                            "securityContext": {"privileged": privileged},
                            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "1"}}
                        }]
                    }
                }
            }
        })
    };
    let service = |port: u16| {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}
        })
    };
    let namespace = |name: &str| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    vec![
        ("dev", deploy("dev", "shop/web:latest", true)),
        ("dev", service(8080)),
        ("dev", namespace("shop")),
        ("prod", deploy("staging", "shop/web:1.2.0", false)),
        ("prod", service(80)),
        ("prod", namespace("shop")),
        ("prod", namespace("payments")),
    ]
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Block YAML; `quote` writes every key and string double-quoted.
fn block(v: &Json, indent: usize, quote: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    let key = |k: &str| if quote || k.contains(['/', '.']) { quoted(k) } else { k.to_string() };
    let scalar = |v: &Json| match v {
        Json::String(s) if quote => quoted(s),
        Json::String(s) if s.parse::<f64>().is_ok() || s.contains(':') => quoted(s),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                match x {
                    Json::Object(inner) if !inner.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        block(x, indent + 2, quote, out);
                    }
                    Json::Array(items) if !items.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        block(x, indent, quote, out);
                    }
                    _ => out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(x))),
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                let mut inner = String::new();
                block(item, indent + 2, quote, &mut inner);
                let rest = inner.strip_prefix(&format!("{pad}  ")).unwrap_or(&inner);
                out.push_str(&format!("{pad}- {rest}"));
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// Flow YAML with plain keys: `{apiVersion: v1, kind: Service, ...}`.
fn flow(v: &Json) -> String {
    match v {
        Json::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, x)| {
                    let k = if k.contains(['/', '.']) { quoted(k) } else { k.clone() };
                    format!("{k}: {}", flow(x))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Json::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Json::String(s) => quoted(s),
        other => other.to_string(),
    }
}

#[derive(Clone, Copy, Debug)]
enum Style {
    Plain,
    Quoted,
    Flow,
    Json,
}

/// Writes the tree in one style: one file per env, or one per object.
fn write(dir: &std::path::Path, style: Style, file_per_object: bool, reverse_names: bool) {
    let objs = objects();
    let ext = if matches!(style, Style::Json) { "json" } else { "yaml" };
    let text = |v: &Json| match style {
        Style::Plain | Style::Quoted => {
            let mut s = String::new();
            block(v, 0, matches!(style, Style::Quoted), &mut s);
            s
        }
        Style::Flow => format!("{}\n", flow(v)),
        Style::Json => serde_json::to_string_pretty(v).unwrap(),
    };
    for env in ["dev", "prod"] {
        let mine: Vec<&Json> = objs.iter().filter(|(e, _)| *e == env).map(|(_, v)| v).collect();
        if file_per_object || matches!(style, Style::Json) {
            for (i, v) in mine.iter().enumerate() {
                // Names chosen so that the load order can be reversed.
                let n = if reverse_names { 99 - i } else { i };
                write_tree(dir, &[(&format!("m/{env}/o{n:02}.{ext}"), &text(v))]);
            }
        } else {
            let docs: Vec<String> = mine.iter().map(|v| text(v)).collect();
            write_tree(dir, &[(&format!("m/{env}/all.{ext}"), &docs.join("---\n"))]);
        }
    }
}

/// Findings without their file and line (and related objects' lines),
/// sorted, as one comparable value; plus the object count.
fn findings(dir: &std::path::Path, threads: &str) -> (Vec<Json>, Json) {
    let run = parity_in(dir, &["check", "--format", "json", "m"], None, &[("RAYON_NUM_THREADS", threads)]);
    assert!(run.code == 1, "exit {}: {}\n{}", run.code, run.stdout, run.stderr);
    let report = json(&run);
    let mut out: Vec<Json> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            let m = f.as_object_mut().unwrap();
            m.remove("file");
            m.remove("line");
            m.remove("related");
            f
        })
        .collect();
    out.sort_by_key(|f| f.to_string());
    (out, report["summary"]["objects"].clone())
}

#[test]
fn every_style_file_layout_order_and_thread_count_gives_the_same_findings() {
    let base = tempfile::tempdir().unwrap();
    write(base.path(), Style::Plain, false, false);
    let (expected, objects) = findings(base.path(), "2");
    assert_eq!(objects, 7);
    // The tree has real findings to compare, not an empty list.
    let rules: Vec<&str> = expected.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    for r in ["no-privileged-containers", "service-port-parity", "namespace-parity"] {
        assert!(rules.contains(&r), "{r} not in {rules:?}");
    }
    for style in [Style::Plain, Style::Quoted, Style::Flow, Style::Json] {
        for (per_object, reverse) in [(false, false), (true, false), (true, true)] {
            for threads in ["1", "2"] {
                let dir = tempfile::tempdir().unwrap();
                write(dir.path(), style, per_object, reverse);
                let (got, n) = findings(dir.path(), threads);
                assert_eq!(n, objects, "{style:?} per_object={per_object} reverse={reverse}");
                assert_eq!(
                    got, expected,
                    "{style:?} per_object={per_object} reverse={reverse} threads={threads} differs from plain YAML"
                );
            }
        }
    }
}
