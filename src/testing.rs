//! Helpers for tests (this crate's and users' embedding it): build a world
//! from inline YAML, run rules on it, and list findings compactly.
#![doc(hidden)]

use crate::diag::Sources;
use crate::load::yaml::{Limits, parse};
use crate::world::{Env, Object, World};

/// Builds a world from (env, YAML) pairs; the order given is the promotion
/// order.
pub fn world(envs: &[(&str, &str)]) -> World {
    let mut w = World::default();
    for (i, (name, yaml)) in envs.iter().enumerate() {
        let file = format!("{name}.yaml");
        w.files.push(file.clone());
        let parsed = match parse(yaml, &file, &Limits::default()) {
            Ok(p) => p,
            Err(e) => panic!("fixture for env {name} does not parse: {}:{}: {}", e.file, e.line, e.message),
        };
        let mut env = Env::new(*name);
        env.order = i;
        let tree = std::sync::Arc::new(parsed.tree);
        for doc in parsed.docs {
            env.objects.push(Object::new(tree.clone(), doc.root, i as u32, i as u32, doc.line, doc.offset));
        }
        w.envs.push(env);
    }
    w.finish();
    w
}

/// Compiles rule file text and bare bodies (ids `cli-1`, ...), runs them on
/// a world and returns `rule env [Kind [namespace/]name]` lines, sorted.
/// Panics with the rendered diagnostics when the rules do not compile.
pub fn findings(rules: &str, bodies: &[&str], w: &World) -> Vec<String> {
    let mut sources = Sources::default();
    let files = if rules.is_empty() { vec![] } else { vec![("test.parity".to_string(), rules.to_string())] };
    let bodies: Vec<String> = bodies.iter().map(|b| b.to_string()).collect();
    let prog = match crate::compile::build(&mut sources, &files, &bodies) {
        Ok(p) => p,
        Err(d) => panic!("{}", sources.render(&d, false)),
    };
    let out = crate::engine::run(&prog, w, &crate::engine::Options::default());
    assert!(out.errors.is_empty(), "evaluation errors: {:?}", out.errors);
    let mut v: Vec<String> = out.findings.iter().map(line).collect();
    v.sort();
    v
}

/// One finding as `rule env [Kind [namespace/]name]`.
pub fn line(f: &crate::report::Finding) -> String {
    let obj = if f.kind.is_empty() {
        String::new()
    } else if f.namespace.is_empty() {
        format!(" {} {}", f.kind, f.name)
    } else {
        format!(" {} {}/{}", f.kind, f.namespace, f.name)
    };
    format!("{} {}{obj}", f.rule, f.env)
}

/// The rendered diagnostics of rule text that fails to compile.
pub fn diagnostics(rules: &str) -> String {
    let mut sources = Sources::default();
    match crate::compile::build(&mut sources, &[("rules/test.parity".to_string(), rules.to_string())], &[]) {
        Ok(_) => panic!("expected the rules not to compile"),
        Err(d) => sources.render(&d, false),
    }
}
