//! `parity test [PATH]...`: runs rule test cases, as `opa test` and
//! `kyverno test` do for theirs. A case is a folder holding
//! `parity-test.yaml` and one sub-folder of manifests per env; it passes when
//! the listed rules produce exactly the expected findings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use serde::Deserialize;

use super::{build_program, display, is_rule_dir, is_rule_file, read_rule_files};
use crate::bytecode::Program;
use crate::escape::text as esc;
use crate::pipeline::{EnvSource, Plan};

pub const CASE_FILE: &str = "parity-test.yaml";

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Case folders (searched for `parity-test.yaml`), and rule files or
    /// folders to test (default: the standard library). Without paths:
    /// `./rules` and the cases under it when that folder exists, else the
    /// current folder.
    pub paths: Vec<PathBuf>,
    /// Print every case, not only failures.
    #[arg(long, short)]
    pub verbose: bool,
    /// CustomResourceDefinition file or folder for every case (repeatable;
    /// as `check --crd`): rule paths on its kinds are checked against its
    /// schema, and `crd-exists` uses it where a case's env lacks the CRD.
    #[arg(long = "crd", value_name = "FILE")]
    pub crd: Vec<PathBuf>,
}

/// One expected or actual finding: (rule, env, kind, namespace, name).
type Key = (String, String, String, String, String);

pub fn run(mut args: TestArgs) -> i32 {
    if args.paths.is_empty() {
        let rules = PathBuf::from("rules");
        args.paths.push(if rules.is_dir() { rules } else { PathBuf::from(".") });
    }
    // A folder can hold both rules and cases (`rules/` with `rules/tests/`).
    let rule_paths: Vec<PathBuf> = args.paths.iter().filter(|p| is_rule_file(p) || is_rule_dir(p)).cloned().collect();
    let case_roots: Vec<PathBuf> =
        args.paths.iter().filter(|p| !is_rule_file(p) && (!is_rule_dir(p) || has_case(p))).cloned().collect();
    let (files, errors) = read_rule_files(&rule_paths);
    for e in &errors {
        eprintln!("{}", crate::escape::error_line(e));
    }
    // The CRDs given with --crd: read once here for the compile (and their
    // errors reported once); each case's run reads them again for `env.crds`.
    let crds = if args.crd.is_empty() {
        None
    } else {
        let (objects, crd_errors) = crate::load::crds::read(&args.crd, &crate::load::LoadOptions::default());
        if !crd_errors.is_empty() {
            for e in &crd_errors {
                eprintln!("{}", crate::escape::error_line(e));
            }
            return 2;
        }
        Some(Arc::new(crate::schema::given::GivenCrds::from_objects(objects)))
    };
    let built = crate::schema::given::compiling_with(crds, || build_program(&files, &[], rule_paths.is_empty()));
    let prog = match built {
        Ok((p, _)) => Arc::new(p),
        Err((_, rendered)) => {
            eprint!("{rendered}");
            return 2;
        }
    };
    let mut cases = Vec::new();
    for root in &case_roots {
        find_cases(root, &mut cases);
    }
    cases.sort();
    let mut seen = std::collections::BTreeSet::new();
    cases.retain(|c| seen.insert(c.canonicalize().unwrap_or_else(|_| c.clone())));
    if cases.is_empty() {
        eprintln!("error: no test cases (folders with {CASE_FILE}) under {}", list(&case_roots));
        return 2;
    }
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for case in &cases {
        match run_case(&prog, case, &args.crd) {
            Ok(CaseResult { missing, unexpected }) if missing.is_empty() && unexpected.is_empty() => {
                passed += 1;
                if args.verbose {
                    println!("PASS {}", esc(&display(case)));
                }
            }
            Ok(CaseResult { missing, unexpected }) => {
                failed += 1;
                println!("FAIL {}", esc(&display(case)));
                for k in &missing {
                    println!("  missing:    {}", esc(&key_text(k)));
                }
                for k in &unexpected {
                    println!("  unexpected: {}", esc(&key_text(k)));
                }
            }
            Err(msg) => {
                broken += 1;
                println!("ERROR {}: {}", esc(&display(case)), esc(&msg));
            }
        }
    }
    println!(
        "{passed} passed, {failed} failed{}",
        if broken > 0 { format!(", {broken} errors") } else { String::new() }
    );
    if broken > 0 || !errors.is_empty() {
        2
    } else if failed > 0 {
        1
    } else {
        0
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| esc(&display(p)).into_owned()).collect::<Vec<_>>().join(", ")
}

fn has_case(p: &Path) -> bool {
    let mut v = Vec::new();
    find_cases(p, &mut v);
    !v.is_empty()
}

/// The case folders under `dir` (folders holding a `parity-test.yaml`; not
/// searched further), in sorted order, at most 16 folders deep; symbolic
/// links below `dir` are not followed.
fn find_cases(dir: &Path, out: &mut Vec<PathBuf>) {
    if !dir.is_dir() {
        return;
    }
    let mut walk = walkdir::WalkDir::new(dir).max_depth(16).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let Ok(e) = entry else { continue };
        if !e.file_type().is_dir() {
            continue;
        }
        if e.path().join(CASE_FILE).is_file() {
            out.push(e.into_path());
            walk.skip_current_dir();
        }
    }
}

struct CaseResult {
    missing: Vec<Key>,
    unexpected: Vec<Key>,
}

/// `parity-test.yaml`: unknown keys are errors (a misspelt `expct:` would
/// otherwise expect nothing and pass).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    /// The rules the case runs (all loaded rules when omitted).
    #[serde(default)]
    rules: Option<Vec<String>>,
    /// Exactly these findings; `[]` for none.
    expect: Vec<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    rule: String,
    env: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    name: String,
}

/// Reads a case's `parity-test.yaml` (bounded, as every input).
fn read_spec(case: &Path) -> Result<Spec, String> {
    let spec_path = case.join(CASE_FILE);
    let shown = display(&spec_path);
    let text = crate::load::files::read_text(&spec_path, &shown, crate::load::LoadOptions::default().max_file_bytes)
        .map_err(|e| format!("cannot read {CASE_FILE}: {}", e.message))?;
    let parsed = crate::load::yaml::parse(&text, &shown, &Default::default())
        .map_err(|e| format!("{CASE_FILE}:{}: {}", e.line, e.message))?;
    let spec: Spec = serde_json::from_value(parsed.value(0)).map_err(|e| format!("{CASE_FILE}: {e}"))?;
    for (i, e) in spec.expect.iter().enumerate() {
        if e.rule.is_empty() || e.env.is_empty() {
            return Err(format!("{CASE_FILE}: expectation {} needs `rule` and `env`", i + 1));
        }
    }
    Ok(spec)
}

fn run_case(prog: &Arc<Program>, case: &Path, crds: &[PathBuf]) -> Result<CaseResult, String> {
    let spec = read_spec(case)?;
    // Rules marked `enabled: false` run only when the case names them.
    let rules = spec.rules.unwrap_or_else(|| prog.rules.iter().filter(|r| r.enabled).map(|r| r.id.clone()).collect());
    for r in &rules {
        if prog.rule(r).is_none() {
            return Err(format!("{CASE_FILE} names rule `{r}`, which is not loaded"));
        }
    }
    let expected: BTreeSet<Key> =
        spec.expect.into_iter().map(|e| (e.rule, e.env, e.kind, e.namespace, e.name)).collect();
    // Each sub-folder is an env.
    let rd = std::fs::read_dir(case).map_err(|e| format!("cannot read the case folder: {e}"))?;
    let mut envs: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(|n| (n.to_string(), p.clone())))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    envs.sort();
    if envs.is_empty() {
        return Err("the case has no env folders".into());
    }
    let plan = Plan {
        program: Some(prog.clone()),
        only: Some(rules),
        envs: EnvSource::Inputs { inputs: Vec::new(), named: envs, stdin_text: None, texts: Vec::new() },
        allow_empty: true,
        crds: crds.to_vec(),
        ..Plan::default()
    };
    let report = crate::pipeline::check(&plan, &Default::default()).report;
    if let Some(e) = report.errors.first() {
        return Err(if e.file.is_empty() {
            e.message.clone()
        } else {
            format!("{}:{}: {}", e.file, e.line, e.message)
        });
    }
    let actual: BTreeSet<Key> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.env.clone(), f.kind.clone(), f.namespace.clone(), f.name.clone()))
        .collect();
    Ok(CaseResult {
        missing: expected.difference(&actual).cloned().collect(),
        unexpected: actual.difference(&expected).cloned().collect(),
    })
}

fn key_text(k: &Key) -> String {
    let (rule, env, kind, ns, name) = k;
    let obj = match (kind.is_empty(), ns.is_empty()) {
        (true, _) => "(the env)".to_string(),
        (false, true) => format!("{kind} {name}"),
        (false, false) => format!("{kind} {ns}/{name}"),
    };
    format!("{rule} in {env}: {obj}")
}
