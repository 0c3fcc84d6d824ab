//! Helpers for tests (this crate's and users' embedding it): envs from
//! inline YAML, rules run on them through [`crate::pipeline::check`] (the
//! same compile → load → evaluate → waive path as `parity check`), and
//! findings listed compactly.
#![doc(hidden)]

use std::ops::Deref;

use crate::load::Config;
use crate::pipeline::{EnvSource, Hooks, Plan};
use crate::world::World;

/// Envs given as inline YAML, in promotion order, and the world
/// `parity check` loads from them (reachable through `Deref`).
pub struct Fixture {
    /// (env, YAML), in promotion order.
    envs: Vec<(String, String)>,
    world: World,
}

impl Deref for Fixture {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

/// The plan of a run over the fixture's envs: each env one in-memory source
/// named `ENV.yaml`, the promotion order as given (as parity.toml's
/// `promotion` would set it), no rules yet.
fn plan(envs: &[(String, String)]) -> Plan {
    let texts = envs.iter().map(|(name, yaml)| (name.clone(), format!("{name}.yaml"), yaml.clone())).collect();
    let promotion = envs.iter().map(|(name, _)| name.clone()).collect();
    let mut config = Config::default();
    config.promotion = Some(promotion);
    Plan {
        config: Some(config),
        envs: EnvSource::Inputs { inputs: Vec::new(), named: Vec::new(), stdin_text: None, texts },
        allow_empty: true,
        ..Plan::default()
    }
}

/// Loads envs from (env, YAML) pairs, as `parity check` loads them; the
/// order given is the promotion order. Panics when a fixture does not load.
pub fn world(envs: &[(&str, &str)]) -> Fixture {
    let envs: Vec<(String, String)> = envs.iter().map(|(n, y)| (n.to_string(), y.to_string())).collect();
    let loaded = crate::pipeline::load(&plan(&envs));
    if let Some(e) = loaded.errors.first() {
        panic!("fixture {} does not load: line {}: {}", e.file, e.line, e.message);
    }
    if let Some(s) = loaded.skipped.first() {
        panic!("fixture {} is skipped: line {}: {}", s.file, s.line, s.message);
    }
    Fixture { envs, world: loaded.world }
}

/// Compiles rule file text and bare bodies (ids `cli-1`, ...), runs them on
/// the fixture's envs with `pipeline::check` (no standard library) and
/// returns `rule env [Kind [namespace/]name]` lines, sorted. Panics with
/// the rendered diagnostics when the rules do not compile, and on any run
/// error.
pub fn findings(rules: &str, bodies: &[&str], w: &Fixture) -> Vec<String> {
    let mut plan = plan(&w.envs);
    if !rules.is_empty() {
        plan.rule_files = vec![("test.parity".to_string(), rules.to_string())];
    }
    plan.rule_texts = bodies.iter().map(|b| b.to_string()).collect();
    let out = crate::pipeline::check(&plan, &Hooks::default());
    if !out.diagnostics.is_empty() {
        panic!("{}", out.sources.render(&out.diagnostics, false));
    }
    assert!(out.report.errors.is_empty(), "run errors: {:?}", out.report.errors);
    let mut v: Vec<String> = out.report.findings.iter().map(line).collect();
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

/// The rendered diagnostics of rule text that fails to compile (the
/// compiler alone: there is nothing to run).
pub fn diagnostics(rules: &str) -> String {
    let mut sources = crate::diag::Sources::default();
    match crate::compile::build(&mut sources, &[("rules/test.parity".to_string(), rules.to_string())], &[]) {
        Ok(_) => panic!("expected the rules not to compile"),
        Err(d) => sources.render(&d, false),
    }
}
