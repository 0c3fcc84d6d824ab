//! parity vs regorus, side by side, end to end (issue #7, docs/performance.md).
//!
//! The same checks — the standard library's rules, written idiomatically in
//! Rego in `benches/rego/*.rego` (all but those in `EXCLUDED`) — over the
//! same corpus, each engine from the files on disk to its list of
//! violations:
//!
//! - parity: `parity check -q --format json CORPUS`, a separate process
//!   (`RAYON_NUM_THREADS`, default 2 here: parity's default on 2 cores);
//! - regorus: this benchmark re-run as a child process that walks the same env
//!   folders, parses the YAML/JSON, builds one input document with every env,
//!   loads the policies and evaluates `data.parity.violation` on one thread,
//!   once with regorus' classic `Engine` (its interpreter) and once with the
//!   same policies compiled for its RVM (register VM).
//!
//! Each process is timed by wall clock and, where `/usr/bin/time` exists,
//! measured for CPU time and peak RSS. The violation sets are compared by
//! (rule, env, kind, namespace, name); the benchmark exits 1 when they differ
//! (or when the two sides did not load the same envs and objects).
//!
//! ```text
//! cargo build --release --features corpus --bin parity --bin parity-corpus
//! CORPUS=DIR cargo bench --features bench-regorus --bench vs_regorus
//! ```
//!
//! Environment: `CORPUS` (default: a corpus generated with `parity-corpus
//! --envs 3 --objects $OBJECTS --drift 0.02` into a temp dir; `OBJECTS`
//! defaults to 6300, the standard corpus is 63000),
//! `PARITY_BIN` (default `$CARGO_TARGET_DIR/release/parity`, else
//! `target/release/parity`), `PARITY_THREADS` (default 2), `REGORUS_VM`
//! (`interpreter`, `rvm` or `both`, the default), `RUNS` (default 1: that
//! many rounds, each running parity and then each regorus evaluator, so that
//! both engines sample the same stretch of the machine's time; each engine's
//! fastest run is reported).
//!
//! The regorus side deliberately uses nothing of parity's own loader (which is
//! being rewritten): YAML goes from saphyr-parser's events straight to
//! `regorus::Value`, with the same scalar rules parity documents (YAML 1.2
//! core schema plus the YAML 1.1 booleans kubectl honours).

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use regorus::{Engine, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::Value as Json;

/// How findings are compared: (rule, env, kind, namespace, name).
type Id = (String, String, String, String, String);

/// Rules of the standard library left out of the comparison, with the reason.
/// Every rule is expressible in Rego; a rule listed here is printed as
/// excluded on every run, never dropped silently.
const EXCLUDED: &[(&str, &str)] = &[
    ("deploy-method-parity", "added by issue 21; not yet written in benches/rego"),
    ("kubectl-skew", "added by issue 21; not yet written in benches/rego"),
    ("extended-resource-parity", "added by issue 21; not yet written in benches/rego"),
    ("ingress-tls-secret-exists", "added by issue 21; not yet written in benches/rego"),
    ("certificate-parity", "added by issue 21; not yet written in benches/rego"),
    ("schema-valid", "needs the bundled Kubernetes API schemas (issue 17), which the Rego side does not have"),
    ("api-served", "needs the bundled Kubernetes API schemas (issue 17), which the Rego side does not have"),
    ("api-version-parity", "needs the bundled Kubernetes API schemas (issue 17), which the Rego side does not have"),
    ("crd-exists", "validates custom resources against their CRDs' schemas (issue 17): no Rego twin"),
];

/// The child process that runs the regorus side writes its results here.
const CHILD_VAR: &str = "VS_REGORUS_CHILD";

fn main() -> ExitCode {
    if let Ok(out) = std::env::var(CHILD_VAR) {
        return match regorus_side(Path::new(&out)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("regorus side: {e}");
                ExitCode::from(2)
            }
        };
    }
    // `cargo test --benches` runs bench targets without `--bench`: nothing to
    // test here, and the run takes minutes on a large corpus.
    if !std::env::args().any(|a| a == "--bench") {
        println!("vs_regorus: run it with `cargo bench --features bench-regorus --bench vs_regorus`");
        return ExitCode::SUCCESS;
    }
    match compare() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vs_regorus: {e}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------- the parent: run both, compare

/// One measured process run.
struct Run {
    wall: Duration,
    /// Peak resident set size in KiB, from `/usr/bin/time` when present.
    max_rss_kib: Option<u64>,
    /// User + system CPU time, from `/usr/bin/time` when present: steadier
    /// than wall time on a shared machine.
    cpu: Option<Duration>,
    stdout: Vec<u8>,
    status: std::process::ExitStatus,
}

/// Runs `program args` in `cwd` with `envs`, under `/usr/bin/time` when it
/// exists (for the peak RSS and CPU time), and times it by wall clock.
fn measure(program: &Path, args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Result<Run, String> {
    let scratch = tempfile::NamedTempFile::new().map_err(|e| format!("temp file: {e}"))?;
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M %U %S").arg("-o").arg(scratch.path()).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).current_dir(cwd).stderr(std::process::Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let wall = start.elapsed();
    // The last line is ours ("Command exited with non-zero status" may
    // precede it).
    let measured = std::fs::read_to_string(scratch.path()).unwrap_or_default();
    let fields: Vec<&str> = measured.lines().last().unwrap_or("").split_whitespace().collect();
    let (max_rss_kib, cpu) = match fields.as_slice() {
        [rss, user, sys] => (
            rss.parse().ok(),
            user.parse::<f64>().ok().zip(sys.parse::<f64>().ok()).map(|(u, s)| Duration::from_secs_f64(u + s)),
        ),
        _ => (None, None),
    };
    Ok(Run { wall, max_rss_kib, cpu, stdout: out.stdout, status: out.status })
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn absolute(p: PathBuf) -> PathBuf {
    if p.is_absolute() { p } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(p) }
}

/// The files of `dir` whose extension is `ext`, sorted.
fn sorted_files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    Ok(files)
}

/// The rule ids of the standard library, from `rules/*.parity`.
fn stdlib_rules() -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for f in sorted_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), "parity")? {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("rule ") {
                ids.push(rest.trim_end_matches('{').trim().to_string());
            }
        }
    }
    Ok(ids)
}

fn secs(d: Option<Duration>) -> String {
    d.map(|d| format!("{:.2} s", d.as_secs_f64())).unwrap_or_else(|| "n/a".into())
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0} MB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".into())
}

/// The regorus evaluators the benchmark can run: the classic `Engine`
/// (tree-walking interpreter) and the RVM (policies compiled to bytecode for
/// regorus' register VM). `REGORUS_VM` picks one; both by default.
const MODES: &[(&str, &str)] = &[("interpreter", "Engine::eval_rule"), ("rvm", "RegoVM bytecode")];

fn compare() -> Result<bool, String> {
    let parity_bin = absolute(
        std::env::var_os("PARITY_BIN").map(PathBuf::from).unwrap_or_else(|| target_dir().join("release/parity")),
    );
    if !parity_bin.is_file() {
        return Err(format!(
            "no parity binary at {} (build it: cargo build --release --features corpus --bin parity --bin parity-corpus, or set PARITY_BIN)",
            parity_bin.display()
        ));
    }
    let threads = std::env::var("PARITY_THREADS").unwrap_or_else(|_| "2".into());
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    let wanted = std::env::var("REGORUS_VM").unwrap_or_else(|_| "both".into());
    let modes: Vec<&str> = MODES.iter().map(|(m, _)| *m).filter(|m| wanted == "both" || wanted == *m).collect();
    if modes.is_empty() {
        return Err(format!("REGORUS_VM={wanted}: expected interpreter, rvm or both"));
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let corpus = match std::env::var_os("CORPUS") {
        Some(c) => absolute(PathBuf::from(c)),
        None => {
            let generator = parity_bin.with_file_name("parity-corpus");
            let dir = scratch.path().join("corpus");
            let objects = std::env::var("OBJECTS").unwrap_or_else(|_| "6300".into());
            println!("CORPUS not set: generating one ({objects} objects per env) with {}", generator.display());
            let status = Command::new(&generator)
                .args(["--envs", "3", "--objects", &objects, "--drift", "0.02", "--format", "yaml"])
                .arg(&dir)
                .status()
                .map_err(|e| {
                    format!(
                        "cannot run {} (build it with cargo build --release --features corpus --bin parity-corpus): {e}",
                        generator.display()
                    )
                })?;
            if !status.success() {
                return Err(format!("{} failed", generator.display()));
            }
            dir
        }
    };
    let corpus_text = corpus.to_str().ok_or("the corpus path is not UTF-8")?.to_string();
    let rules = stdlib_rules()?;

    println!("== parity vs regorus: {corpus_text}");
    println!("load average: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());

    // parity, in a scratch folder so no ./parity.toml is picked up, running
    // the same checks as the Rego side: the excluded rules are switched off
    // (`--ignore`), so neither side is timed on work the other does not do.
    let ignore: Vec<&str> = EXCLUDED.iter().map(|(r, _)| *r).collect();
    let ignore = ignore.join(",");
    println!("parity runs with --ignore {ignore} (the rules without a Rego twin, listed below)");
    // The runs are interleaved, round by round (parity, then each regorus
    // evaluator), and each engine's fastest run is kept: this machine's speed
    // drifts by 20-50% from minute to minute, and runs of one engine taken
    // back to back would all meet the same minute, while the other engine's
    // (half a minute each) spread over many. Interleaved, both engines sample
    // the same stretch of time.
    let parity_args = ["check", "-q", "--format", "json", "--ignore", &ignore, &corpus_text];
    let parity_envs_var = [("RAYON_NUM_THREADS", threads.as_str())];
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut parity: Option<Run> = None;
    let mut best: Vec<Option<(Run, ChildReport)>> = modes.iter().map(|_| None).collect();
    for round in 1..=runs.max(1) {
        let p = measure(&parity_bin, &parity_args, &parity_envs_var, scratch.path())?;
        let mut line = format!("round {round}: parity {:.2} s", p.wall.as_secs_f64());
        // regorus, in a child process (this benchmark again) per evaluator,
        // for a clean RSS.
        for (mode, kept) in modes.iter().zip(best.iter_mut()) {
            let out_file = scratch.path().join(format!("regorus-{mode}.tsv"));
            let out_text = out_file.to_str().ok_or("temp path is not UTF-8")?.to_string();
            let envs = [(CHILD_VAR, out_text.as_str()), ("CORPUS", corpus_text.as_str()), ("REGORUS_VM", mode)];
            let run = measure(&me, &[], &envs, scratch.path())?;
            if !run.status.success() {
                return Err(format!("the regorus side ({mode}) failed ({})", run.status));
            }
            let child = ChildReport::read(&out_file)?;
            let ratio = run.wall.as_secs_f64() / p.wall.as_secs_f64().max(1e-9);
            line.push_str(&format!(", regorus {mode} {:.2} s ({ratio:.1}x)", run.wall.as_secs_f64()));
            if kept.as_ref().is_none_or(|(k, _)| run.wall < k.wall) {
                *kept = Some((run, child));
            }
        }
        println!("{line}");
        if parity.as_ref().is_none_or(|k| p.wall < k.wall) {
            parity = Some(p);
        }
    }
    let parity = parity.ok_or("no parity run")?;
    let sides: Vec<(&str, Run, ChildReport)> =
        modes.iter().zip(best).filter_map(|(m, b)| b.map(|(run, child)| (*m, run, child))).collect();
    if !matches!(parity.status.code(), Some(0 | 1)) {
        eprintln!("parity exited with {}: its results are incomplete", parity.status);
    }
    let report: Json =
        serde_json::from_slice(&parity.stdout).map_err(|e| format!("parity's JSON report does not parse: {e}"))?;
    let str_of = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let parity_ids: BTreeSet<Id> = findings
        .iter()
        .map(|f| (str_of(f, "rule"), str_of(f, "env"), str_of(f, "kind"), str_of(f, "namespace"), str_of(f, "name")))
        .collect();
    let parity_objects = report["summary"]["objects"].as_u64().unwrap_or(0) as usize;
    let parity_envs: Vec<String> = report["summary"]["envs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    let parity_errors = report["errors"].as_array().map_or(0, Vec::len);
    for e in report["errors"].as_array().into_iter().flatten() {
        eprintln!("parity error: {} {}: {}", str_of(e, "code"), str_of(e, "file"), str_of(e, "message"));
    }

    // Times and memory.
    println!("envs: {} ({} objects, as parity loads them)", parity_envs.join(", "), parity_objects);
    println!(
        "{:<22} wall {:>8.2} s  cpu {:>9}  max RSS {:>8}  findings {}",
        format!("parity ({threads} threads)"),
        parity.wall.as_secs_f64(),
        secs(parity.cpu),
        mib(parity.max_rss_kib),
        findings.len()
    );
    let mut consistent = parity_errors == 0;
    for (mode, run, child) in &sides {
        println!(
            "{:<22} wall {:>8.2} s  cpu {:>9}  max RSS {:>8}  violations {}  (read+parse+input {:.2} s, policies {:.3} s, eval {:.2} s)",
            format!("regorus {mode}"),
            run.wall.as_secs_f64(),
            secs(run.cpu),
            mib(run.max_rss_kib.or(child.hwm_kib)),
            child.ids.len(),
            child.load.as_secs_f64(),
            child.compile.as_secs_f64(),
            child.eval.as_secs_f64()
        );
        if child.objects != parity_objects || child.envs != parity_envs {
            consistent = false;
            println!(
                "  regorus {mode} loaded {} objects in envs {}: not what parity loaded",
                child.objects,
                child.envs.join(", ")
            );
        }
    }
    println!(
        "(parity with RAYON_NUM_THREADS={threads}; regorus evaluates on one thread; best of {runs} interleaved run(s) each)"
    );
    for (mode, run, _) in &sides {
        let ratio = run.wall.as_secs_f64() / parity.wall.as_secs_f64().max(1e-9);
        let cpu_ratio = match (run.cpu, parity.cpu) {
            (Some(r), Some(p)) => format!(", {:.2}x CPU time", r.as_secs_f64() / p.as_secs_f64().max(1e-9)),
            _ => String::new(),
        };
        println!("ratio: regorus {mode} / parity = {ratio:.2}x wall{cpu_ratio} (end to end)");
    }

    // Violations, rule by rule.
    let excluded: BTreeSet<&str> = EXCLUDED.iter().map(|(r, _)| *r).collect();
    let mut all_rules: Vec<String> = rules.clone();
    let extra = parity_ids.iter().chain(sides.iter().flat_map(|(_, _, c)| c.ids.iter()));
    for (r, ..) in extra {
        if !all_rules.contains(r) {
            all_rules.push(r.clone());
        }
    }
    let by_rule =
        |set: &BTreeSet<Id>, rule: &str| -> BTreeSet<Id> { set.iter().filter(|i| i.0 == rule).cloned().collect() };
    let mut same = true;
    let mut diffs = Vec::new();
    let header: String = sides.iter().map(|(m, ..)| format!(" {m:>11}")).collect();
    println!("{:<36} {:>8}{header}", "rule", "parity");
    for rule in &all_rules {
        let p = by_rule(&parity_ids, rule);
        let mut counts = String::new();
        let mut marks = Vec::new();
        for (mode, _, child) in &sides {
            let r = by_rule(&child.ids, rule);
            counts.push_str(&format!(" {:>11}", r.len()));
            if excluded.contains(rule.as_str()) || p == r {
                continue;
            }
            same = false;
            let only_p: Vec<&Id> = p.difference(&r).collect();
            let only_r: Vec<&Id> = r.difference(&p).collect();
            for (side, list) in [("only parity", &only_p), ("only regorus", &only_r)] {
                for id in list.iter().take(5) {
                    diffs.push(format!("  {rule} ({mode}): {side}: env {} {} {}/{}", id.1, id.2, id.3, id.4));
                }
                if list.len() > 5 {
                    diffs.push(format!("  {rule} ({mode}): {side}: ... {} more", list.len() - 5));
                }
            }
            marks.push(format!("DIFFERENT in {mode} ({} only parity, {} only regorus)", only_p.len(), only_r.len()));
        }
        let mark = if excluded.contains(rule.as_str()) {
            "excluded".to_string()
        } else if marks.is_empty() {
            "same".to_string()
        } else {
            marks.join("; ")
        };
        println!("{rule:<36} {:>8}{counts}  {mark}", p.len());
    }
    for (rule, why) in EXCLUDED {
        println!("excluded from the comparison: {rule}: {why}");
    }
    let compared = all_rules.iter().filter(|r| !excluded.contains(r.as_str())).count();
    if same {
        println!("violation sets: identical ({compared} rules compared, {} excluded)", EXCLUDED.len());
    } else {
        println!("violation sets: DIFFERENT ({compared} rules compared); first differences:");
        for d in &diffs {
            println!("{d}");
        }
    }
    if parity_errors > 0 {
        println!("parity reported {parity_errors} run error(s): its results are incomplete");
    }
    Ok(same && consistent)
}

/// What the regorus child wrote.
struct ChildReport {
    envs: Vec<String>,
    objects: usize,
    load: Duration,
    compile: Duration,
    eval: Duration,
    hwm_kib: Option<u64>,
    ids: BTreeSet<Id>,
}

impl ChildReport {
    fn read(path: &Path) -> Result<ChildReport, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut r = ChildReport {
            envs: Vec::new(),
            objects: 0,
            load: Duration::ZERO,
            compile: Duration::ZERO,
            eval: Duration::ZERO,
            hwm_kib: None,
            ids: BTreeSet::new(),
        };
        let secs = |s: &str| Duration::from_secs_f64(s.parse().unwrap_or(0.0));
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["envs", rest @ ..] => r.envs = rest.iter().map(|s| s.to_string()).collect(),
                ["objects", n] => r.objects = n.parse().unwrap_or(0),
                ["load", s] => r.load = secs(s),
                ["compile", s] => r.compile = secs(s),
                ["eval", s] => r.eval = secs(s),
                ["hwm", k] => r.hwm_kib = k.parse().ok(),
                ["v", rule, env, kind, ns, name] => {
                    r.ids.insert((
                        rule.to_string(),
                        env.to_string(),
                        kind.to_string(),
                        ns.to_string(),
                        name.to_string(),
                    ));
                }
                _ => {}
            }
        }
        Ok(r)
    }
}

// ---------------------------------------------------------------- the child: regorus end to end

fn regorus_side(out: &Path) -> Result<(), String> {
    let corpus = PathBuf::from(std::env::var_os("CORPUS").ok_or("CORPUS is not set")?);
    let start = Instant::now();
    let (input, envs, objects) = load_input(&corpus)?;
    let load = start.elapsed();

    let start = Instant::now();
    let mut engine = Engine::new();
    // OPA, conftest and Gatekeeper treat a built-in's error as undefined.
    engine.set_strict_builtin_errors(false);
    let policies = sorted_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/rego"), "rego")?;
    for p in &policies {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        engine.add_policy(p.display().to_string(), text).map_err(|e| format!("{e}"))?;
    }
    let compile = start.elapsed();

    let start = Instant::now();
    let result = if std::env::var("REGORUS_VM").is_ok_and(|v| v == "rvm") {
        // The RVM: the same policies compiled to regorus' bytecode VM.
        let entry = "data.parity.violation";
        let policy = engine.compile_with_entrypoint(&entry.into()).map_err(|e| format!("{e}"))?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &[entry])
            .map_err(|e| format!("{e}"))?;
        let mut vm = regorus::rvm::RegoVM::new();
        vm.set_strict_builtin_errors(false);
        vm.set_max_instructions(usize::MAX);
        vm.load_program(program);
        vm.set_input(input);
        vm.execute().map_err(|e| format!("{e}"))?
    } else {
        // The classic Engine API (tree-walking interpreter).
        engine.set_input(input);
        engine.eval_rule("data.parity.violation".into()).map_err(|e| format!("{e}"))?
    };
    let eval = start.elapsed();

    let mut text = String::new();
    text.push_str(&format!("envs\t{}\n", envs.join("\t")));
    text.push_str(&format!("objects\t{objects}\n"));
    text.push_str(&format!("load\t{}\n", load.as_secs_f64()));
    text.push_str(&format!("compile\t{}\n", compile.as_secs_f64()));
    text.push_str(&format!("eval\t{}\n", eval.as_secs_f64()));
    if let Some(hwm) = peak_rss_kib() {
        text.push_str(&format!("hwm\t{hwm}\n"));
    }
    let field = |v: &Value, k: &str| -> String {
        match &v[&Value::from(k)] {
            Value::String(s) => s.replace(['\t', '\n'], " "),
            _ => String::new(),
        }
    };
    if let Value::Set(set) = &result {
        for v in set.iter() {
            text.push_str(&format!(
                "v\t{}\t{}\t{}\t{}\t{}\n",
                field(v, "rule"),
                field(v, "env"),
                field(v, "kind"),
                field(v, "namespace"),
                field(v, "name")
            ));
        }
    } else if result != Value::Undefined {
        return Err(format!("data.parity.violation is not a set: {result:?}"));
    }
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}

/// This process's peak RSS in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---------------------------------------------------------------- envs and files, as parity finds them

/// Promotion rank of an env name (parity's README: dev, test, qa, uat,
/// staging, others alphabetically, preprod, prod).
fn rank(name: &str) -> usize {
    match name.to_ascii_lowercase().as_str() {
        "dev" | "development" => 0,
        "test" => 1,
        "qa" => 2,
        "uat" => 3,
        "stage" | "staging" => 4,
        "preprod" => 6,
        "prod" | "production" => 7,
        _ => 5,
    }
}

fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && [".yaml", ".yml", ".json"].iter().any(|e| lower.ends_with(e))
}

/// A folder's sub-folders (name, path) and candidate files.
type Entries = (Vec<(String, PathBuf)>, Vec<PathBuf>);

/// Non-hidden sub-folders and candidate files of a folder, sorted by name;
/// symbolic links are skipped, as parity does by default.
fn entries(dir: &Path) -> Result<Entries, String> {
    let mut names: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    names.sort();
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for (name, path) in names {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            dirs.push((name, path));
        } else if meta.is_file() && is_candidate(&name) {
            files.push(path);
        }
    }
    Ok((dirs, files))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let (dirs, files) = entries(dir)?;
    out.extend(files);
    for (_, d) in dirs {
        walk(&d, out)?;
    }
    Ok(())
}

/// (env, file) pairs: each sub-folder of a folder is an env; files beside
/// them, or a folder without sub-folders, are the env named after the folder.
/// A single file is an env named after its stem (or its snapshot context).
fn plan(corpus: &Path) -> Result<Vec<(Option<String>, PathBuf)>, String> {
    let top = corpus
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "root".into());
    if corpus.is_file() {
        return Ok(vec![(None, corpus.to_path_buf())]);
    }
    let (dirs, loose) = entries(corpus)?;
    let mut planned: Vec<(Option<String>, PathBuf)> = loose.into_iter().map(|f| (Some(top.clone()), f)).collect();
    for (name, dir) in dirs {
        let mut files = Vec::new();
        walk(&dir, &mut files)?;
        planned.extend(files.into_iter().map(|f| (Some(name.clone()), f)));
    }
    // parity assembles each env from its files in path order.
    planned.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(planned)
}

struct EnvData {
    version: Option<String>,
    by_kind: BTreeMap<String, Vec<Value>>,
    objects: usize,
}

/// Reads every file of the corpus into the policies' input:
/// `{"order": [...], "envs": {name: {"version": ..., "objects": {kind: [...]}}}}`.
fn load_input(corpus: &Path) -> Result<(Value, Vec<String>, usize), String> {
    let mut envs: BTreeMap<String, EnvData> = BTreeMap::new();
    for (env, file) in plan(corpus)? {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("regorus side: skipped {}: {e}", file.display());
                continue;
            }
        };
        let is_json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let docs = if is_json {
            Value::from_json_str(&text).map(|v| vec![v]).map_err(|e| e.to_string())
        } else if helm_template(&text) {
            eprintln!("regorus side: skipped {}: a Helm template", file.display());
            continue;
        } else {
            yaml_docs(&text)
        };
        let docs = match docs {
            Ok(d) => d,
            Err(e) => {
                eprintln!("regorus side: skipped {}: {e}", file.display());
                continue;
            }
        };
        let mut objects = Vec::new();
        let mut snapshot = None;
        for doc in docs {
            extract(doc, &mut objects, &mut snapshot);
        }
        let (context, server_version) = snapshot.unwrap_or_default();
        let name = match env {
            Some(n) => n,
            None => context.unwrap_or_else(|| {
                file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "root".into())
            }),
        };
        let data = envs.entry(name).or_insert_with(|| EnvData { version: None, by_kind: BTreeMap::new(), objects: 0 });
        if data.version.is_none() {
            data.version = server_version;
        }
        for (kind, o) in objects {
            data.objects += 1;
            data.by_kind.entry(kind).or_default().push(o);
        }
    }
    let mut order: Vec<String> = envs.keys().cloned().collect();
    order.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    let total = envs.values().map(|e| e.objects).sum();
    let mut env_values = BTreeMap::new();
    for (name, data) in envs {
        let mut env = BTreeMap::new();
        if let Some(v) = data.version {
            env.insert(Value::from("version"), Value::from(v));
        }
        let kinds: BTreeMap<Value, Value> =
            data.by_kind.into_iter().map(|(k, list)| (Value::from(k), Value::from(list))).collect();
        env.insert(Value::from("objects"), Value::from(kinds));
        env_values.insert(Value::from(name), Value::from(env));
    }
    let mut input = BTreeMap::new();
    input.insert(Value::from("order"), Value::from(order.iter().map(|s| Value::from(s.as_str())).collect::<Vec<_>>()));
    input.insert(Value::from("envs"), Value::from(env_values));
    Ok((Value::from(input), order, total))
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match &v[&Value::from(key)] {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}

/// Unwraps parity snapshots and `List`s; keeps documents with an apiVersion
/// and a kind (parity skips the others, with a notice).
fn extract(doc: Value, out: &mut Vec<(String, Value)>, snapshot: &mut Option<(Option<String>, Option<String>)>) {
    let api = str_field(&doc, "apiVersion").unwrap_or_default();
    let kind = str_field(&doc, "kind").unwrap_or_default();
    if kind == "Snapshot" && api.starts_with("parity.dev/") {
        *snapshot = Some((str_field(&doc, "context"), str_field(&doc, "serverVersion")));
        if let Value::Array(items) = &doc[&Value::from("objects")] {
            for item in items.iter() {
                push_object(item.clone(), out);
            }
        }
        return;
    }
    if kind.ends_with("List") && matches!(doc[&Value::from("items")], Value::Array(_)) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(str::to_string);
        if let Value::Array(items) = &doc[&Value::from("items")] {
            for item in items.iter() {
                let mut item = item.clone();
                if let (Some(k), Value::Object(_)) = (&item_kind, &item) {
                    let map = item.as_object_mut().expect("an object");
                    if !matches!(map.get(&Value::from("apiVersion")), Some(Value::String(_))) && !api.is_empty() {
                        map.insert(Value::from("apiVersion"), Value::from(api.as_str()));
                    }
                    if !matches!(map.get(&Value::from("kind")), Some(Value::String(_))) {
                        map.insert(Value::from("kind"), Value::from(k.as_str()));
                    }
                }
                push_object(item, out);
            }
        }
        return;
    }
    push_object(doc, out);
}

fn push_object(v: Value, out: &mut Vec<(String, Value)>) {
    let api = str_field(&v, "apiVersion").filter(|s| !s.is_empty());
    let kind = str_field(&v, "kind").filter(|s| !s.is_empty());
    if let (Some(_), Some(kind)) = (api, kind) {
        out.push((kind, v));
    }
}

/// A Helm template: `{{` outside a comment (parity's check is finer, for
/// `{{ $labels }}` in quoted Prometheus rules; the corpus has neither).
fn helm_template(text: &str) -> bool {
    text.contains("{{")
        && text.lines().any(|l| {
            let code = l.split(" #").next().unwrap_or("");
            !code.trim_start().starts_with('#') && code.contains("{{")
        })
}

// ---------------------------------------------------------------- YAML → regorus::Value

enum Frame {
    Seq(Vec<Value>, usize),
    Map(BTreeMap<Value, Value>, Option<Value>, usize),
}

/// Every non-empty document of a YAML stream, built from saphyr-parser's
/// events. Anchors, aliases and `<<` merge keys are resolved; mapping keys
/// become strings, as in JSON.
fn yaml_docs(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut root: Option<Value> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| format!("line {}: {}", e.marker().line(), e.info()))?;
        let (value, anchor) = match event {
            Event::DocumentStart(_) => {
                root = None;
                continue;
            }
            Event::DocumentEnd => {
                if let Some(v) = root.take()
                    && v != Value::Null
                {
                    docs.push(v);
                }
                anchors.clear();
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => (scalar(&text, style, tag.as_deref()), anchor),
            Event::Alias(id) => {
                (anchors.get(&id).cloned().ok_or_else(|| format!("line {}: unknown anchor", span.start.line()))?, 0)
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(BTreeMap::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor)) => (Value::from(items), anchor),
                Some(Frame::Map(map, _, anchor)) => (Value::from(map), anchor),
                None => continue,
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => *key = Some(key_string(value)),
                Some(k) if k == Value::from("<<") => merge(map, value),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Ok(docs)
}

/// A mapping key as JSON has it: a string.
fn key_string(v: Value) -> Value {
    match v {
        Value::String(_) => v,
        Value::Null => Value::from("null"),
        other => Value::from(other.to_json_str().unwrap_or_default()),
    }
}

/// `<<: *base` (or a list of them): keys already present win.
fn merge(map: &mut BTreeMap<Value, Value>, value: Value) {
    let sources = match &value {
        Value::Array(items) => items.iter().cloned().collect(),
        _ => vec![value],
    };
    for source in sources {
        if let Value::Object(m) = &source {
            for (k, v) in m.iter() {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// A scalar as kubectl reads it: quoted scalars are strings; plain ones are
/// null, booleans (YAML 1.2, and 1.1's yes/no/on/off), numbers or strings.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() {
            match tag.suffix.as_str() {
                "str" => return Value::from(text),
                "null" => return Value::Null,
                "bool" => {
                    if let Some(b) = boolean(text) {
                        return Value::from(b);
                    }
                }
                "int" | "float" => {
                    if let Some(n) = number(text) {
                        return n;
                    }
                }
                _ => {}
            }
        } else if tag.handle == "!" && tag.suffix.is_empty() {
            return Value::from(text);
        }
    }
    if style != ScalarStyle::Plain {
        return Value::from(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = boolean(text) {
        return Value::from(b);
    }
    number(text).unwrap_or_else(|| Value::from(text))
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// YAML 1.2 core integers (decimal, 0x, 0o) and floats; `.inf`/`.nan` stay
/// strings, as they have no JSON form.
fn number(text: &str) -> Option<Value> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else {
        (10, body)
    };
    if !digits.is_empty() && digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return match i64::from_str_radix(digits, radix) {
            Ok(m) => Some(Value::from(if neg { -m } else { m })),
            Err(_) if radix == 10 => text.parse::<f64>().ok().map(Value::from),
            Err(_) => None,
        };
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits_only(int_part) && digits_only(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && digits_only(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && digits_only(d)
    });
    if mantissa_ok && exponent_ok { text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from) } else { None }
}
