//! `parity check [PATH]...`: rules and manifest sources in one list, envs
//! from folders, `--env` or `parity.toml`, findings in the chosen format.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{Format, build_program, color_for, is_rule_dir, is_rule_file, parse_severity, read_rule_files, rule_docs};
use crate::load::{Input, LoadOptions, Loaded};
use crate::report::{Report, RunError, Severity};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule files or folders (`*.parity`), and manifest sources: folders
    /// (each sub-folder an env), YAML/JSON files, List files, snapshots, or
    /// `-` for stdin.
    pub paths: Vec<PathBuf>,
    /// A rule body to check, e.g. `every node has ...` (repeatable; ids
    /// `cli-1`, `cli-2`, ...; severity error).
    #[arg(long = "rule", value_name = "TEXT")]
    pub rules: Vec<String>,
    /// Name an env explicitly: `--env prod=manifests/production`.
    #[arg(long = "env", value_name = "NAME=PATH", value_parser = parse_env)]
    pub envs: Vec<(String, PathBuf)>,
    /// The configuration file (default: `parity.toml` in the current folder,
    /// when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "error", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Follow symbolic links while walking manifest folders.
    #[arg(long)]
    pub follow_links: bool,
    /// Reject manifest files larger than this many bytes (default 64 MiB;
    /// see docs/limits.md).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Reject manifest input past this many bytes in all (files in path
    /// order, stdin first; default 1 GiB; see docs/limits.md).
    #[arg(long, value_name = "BYTES")]
    pub max_total_size: Option<u64>,
    /// Evaluation steps each rule may take per subject before it is reported
    /// as `parity::eval::budget` (default 50,000,000; see docs/limits.md).
    #[arg(long, value_name = "STEPS")]
    pub eval_budget: Option<u64>,
    /// Evaluation steps each rule may take over the whole run, all subjects
    /// together, before it is stopped and reported as
    /// `parity::eval::rule-budget` (default 500,000,000; see docs/limits.md).
    #[arg(long, value_name = "STEPS")]
    pub rule_budget: Option<u64>,
    /// Seconds of evaluation each rule may take over the whole run before it
    /// is stopped (default 10; see docs/limits.md).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub rule_timeout: Option<std::time::Duration>,
    /// No progress indicator.
    #[arg(long, short)]
    pub quiet: bool,
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
    /// List waived findings (waived by annotations, parity.toml exceptions or
    /// the baseline); they are always counted in the summary.
    #[arg(long)]
    pub show_waived: bool,
    /// Waive the findings recorded in this baseline file: only new findings
    /// count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in a baseline file (and exit 0).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Pre-commit mode: the file arguments are the changed files. The whole
    /// env tree is still loaded (from `--tree` or parity.toml), but only
    /// findings located in the changed files are reported.
    #[arg(long)]
    pub changed: bool,
    /// A manifest source to load in `--changed` mode (repeatable); without
    /// it, the envs of parity.toml.
    #[arg(long, value_name = "PATH")]
    pub tree: Vec<PathBuf>,
}

fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|n| std::time::Duration::try_from_secs_f64(n).ok())
        .ok_or_else(|| format!("`{s}` is not a number of seconds"))
}

fn parse_env(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok((name.to_string(), PathBuf::from(path))),
        _ => Err(format!("`{s}` is not NAME=PATH")),
    }
}

pub fn run(args: CheckArgs) -> i32 {
    run_with(args, Vec::new(), &[])
}

/// `check`, with errors met before it (a cluster group that could not be
/// read by `audit`) counted in the report, and files shown under other
/// names (`audit`'s temporary snapshots as `cluster:ENV`), whose own
/// snapshot-error notices are left out (they are among `earlier`).
pub fn run_with(args: CheckArgs, earlier: Vec<RunError>, labels: &[(String, String)]) -> i32 {
    let started = Instant::now();
    let mut rule_paths = Vec::new();
    let mut inputs = Vec::new();
    let mut changed = Vec::new();
    for p in &args.paths {
        if p.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if is_rule_file(p) || is_rule_dir(p) {
            rule_paths.push(p.clone());
        } else if args.changed {
            changed.push(super::display(p));
        } else {
            inputs.push(Input::Path(p.clone()));
        }
    }
    inputs.extend(args.tree.iter().cloned().map(Input::Path));
    let (rule_files, mut read_errors) = read_rule_files(&rule_paths);
    let use_library = rule_paths.is_empty() && args.rules.is_empty();
    let mut report = Report::default();
    report.errors.extend(earlier);
    let program = match build_program(&rule_files, &args.rules, use_library) {
        Ok((p, _)) => Some(p),
        Err((errors, rendered)) => {
            eprint!("{rendered}");
            report.errors.extend(errors);
            None
        }
    };

    // Envs and objects.
    let mut opts = LoadOptions { follow_links: args.follow_links, ..LoadOptions::default() };
    if let Some(bytes) = args.max_file_size {
        opts.max_file_bytes = bytes;
    }
    if let Some(bytes) = args.max_total_size {
        opts.max_total_bytes = bytes;
    }
    let config = config_path(&args);
    let timings = crate::timing::enabled();
    let phase = crate::timing::phase;
    phase("compile", started);
    let load_started = Instant::now();
    let loaded = load(&args, &inputs, config, &opts, &mut read_errors);
    phase("load", load_started);
    let Loaded { world, errors, skipped, warnings, stdin_text } = loaded;
    report.errors.extend(read_errors);
    report.errors.extend(errors);
    report.skipped.extend(skipped);
    report.warnings.extend(warnings);

    if let Some(prog) = &program {
        let show = !args.quiet && std::io::stderr().is_terminal();
        let progress = crate::report::progress::Progress::new(show, "checking");
        let tick = |done: usize, total: usize| progress.set(done, total);
        let mut eopts = crate::engine::Options {
            stdin_text: stdin_text.as_deref(),
            progress: Some(&tick),
            timings,
            ..Default::default()
        };
        if let Some(steps) = args.eval_budget {
            eopts.step_budget = steps;
        }
        if let Some(steps) = args.rule_budget {
            eopts.rule_step_budget = steps;
        }
        if let Some(time) = args.rule_timeout {
            eopts.rule_time_budget = time;
        }
        let eval_started = Instant::now();
        let out = crate::engine::run(prog, &world, &eopts);
        progress.finish();
        phase("evaluate", eval_started);
        report.findings = out.findings;
        report.waived = out.waived;
        report.errors.extend(out.errors);
        report.warnings.extend(out.warnings);
        report.summary.rules = prog.rules.len();
    }
    let report_started = Instant::now();
    if let Some(code) = waivers(&args, &config_path(&args), &mut report) {
        return code;
    }
    if args.changed {
        let touches = |file: &str| changed.iter().any(|c| c == file);
        report.findings.retain(|f| touches(&f.file) || f.related.iter().any(|r| touches(&r.file)));
        report.waived.retain(|w| touches(&w.finding.file));
    }
    report.summary.waived = report.waived.len();
    if !args.show_waived {
        report.waived.clear();
    }
    report.summary.envs = world.envs.iter().map(|e| e.name.clone()).collect();
    report.summary.objects = world.object_count();
    report.summary.files = world.files.len();
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    if !labels.is_empty() {
        relabel(&mut report, labels);
    }
    report.finish();
    let text = match args.format {
        Format::Json => crate::report::json::render(&report),
        Format::Sarif => crate::report::sarif::render(&report, &rule_docs(program.as_ref())),
        Format::Junit => crate::report::junit::render(&report, &rule_docs(program.as_ref())),
        Format::Github => crate::report::github::render(&report),
        Format::Policyreport => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            crate::report::policyreport::render(&report, &rule_docs(program.as_ref()), now)
        }
        Format::Human => {
            let color = !args.no_color && color_for(std::io::stdout().is_terminal());
            crate::report::human::render(&report, &crate::report::human::HumanOptions { color, show_evidence: true })
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    phase("report", report_started);
    phase("total", started);
    // The process ends right after this: freeing hundreds of thousands of
    // objects one by one would only delay the exit.
    std::mem::forget(world);
    report.exit_code(args.fail_on)
}

/// Shows files under other names, and drops the notices about errors a
/// snapshot recorded (the caller reported them already).
fn relabel(report: &mut Report, labels: &[(String, String)]) {
    let name = |f: &mut String| {
        if let Some((_, to)) = labels.iter().find(|(from, _)| from == f) {
            *f = to.clone();
        }
    };
    // A line inside a temporary snapshot means nothing: only a saved file
    // keeps its lines.
    let temporary = |f: &str| f.starts_with("cluster:");
    for f in &mut report.findings {
        name(&mut f.file);
        if temporary(&f.file) {
            f.line = 0;
        }
        for r in &mut f.related {
            name(&mut r.file);
            if temporary(&r.file) {
                r.line = 0;
            }
        }
    }
    for w in &mut report.waived {
        name(&mut w.finding.file);
    }
    report
        .warnings
        .retain(|w| w.code != "parity::load::snapshot-error" || !labels.iter().any(|(from, _)| *from == w.file));
    report.skipped.iter_mut().for_each(|n| name(&mut n.file));
    report.warnings.iter_mut().for_each(|n| name(&mut n.file));
    report.errors.iter_mut().for_each(|e| name(&mut e.file));
}

/// The configuration in force: `--config`, else `./parity.toml` if present.
fn config_path(args: &CheckArgs) -> Option<PathBuf> {
    args.config.clone().or_else(|| {
        let default = PathBuf::from("parity.toml");
        default.is_file().then_some(default)
    })
}

/// Applies parity.toml exceptions and the baseline, or writes the baseline.
/// Returns an exit code when the run ends here.
fn waivers(args: &CheckArgs, config: &Option<PathBuf>, report: &mut Report) -> Option<i32> {
    use crate::exceptions;
    let mut list = Vec::new();
    if let Some(cfg) = config {
        match exceptions::load(cfg) {
            Ok(l) => list = l,
            Err(e) => report.errors.push(e),
        }
    }
    let baseline = match &args.baseline {
        Some(path) => match exceptions::read_baseline(path) {
            Ok(b) => Some(b),
            Err(e) => {
                report.errors.push(e);
                None
            }
        },
        None => None,
    };
    let findings = std::mem::take(&mut report.findings);
    let applied = exceptions::apply(findings, &list, baseline.as_ref(), exceptions::Date::today());
    report.findings = applied.kept;
    report.findings.extend(applied.meta);
    report.waived.extend(applied.waived);
    if let Some(path) = &args.write_baseline {
        report.finish();
        return Some(match exceptions::write_baseline(path, &report.findings) {
            Ok(()) => {
                println!("baseline written to {} with {} findings", super::display(path), report.findings.len());
                if report.errors.is_empty() { 0 } else { 2 }
            }
            Err(e) => {
                eprintln!("error[{}]: {}: {}", e.code, e.file, e.message);
                2
            }
        });
    }
    None
}

fn load(
    args: &CheckArgs,
    inputs: &[Input],
    config: Option<PathBuf>,
    opts: &LoadOptions,
    errors: &mut Vec<RunError>,
) -> Loaded {
    let has_inputs = !inputs.is_empty() || !args.envs.is_empty();
    if args.changed && !has_inputs && config.is_none() {
        errors.push(RunError {
            code: "parity::usage".into(),
            file: String::new(),
            line: 0,
            column: 0,
            message: "--changed needs the env tree: give `--tree PATH` or a parity.toml with envs".into(),
        });
        return empty();
    }
    if !has_inputs {
        if let Some(cfg) = config {
            return crate::load::load_config(&cfg, opts);
        }
        errors.push(RunError {
            code: "parity::usage".into(),
            file: String::new(),
            line: 0,
            column: 0,
            message: "no manifests to check: give a folder, a file, `-` for stdin, `--env NAME=PATH`, or a parity.toml with envs".into(),
        });
        return empty();
    }
    let stdin_text = if inputs.iter().any(|i| matches!(i, Input::Stdin)) {
        let mut s = String::new();
        match std::io::stdin().read_to_string(&mut s) {
            Ok(_) => Some(s),
            Err(e) => {
                errors.push(RunError {
                    code: "parity::io".into(),
                    file: crate::load::STDIN.into(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read stdin: {e}"),
                });
                None
            }
        }
    } else {
        None
    };
    let mut loaded = crate::load::load_inputs(inputs, &args.envs, stdin_text, opts);
    if let Some(cfg) = config {
        apply_config(&cfg, &mut loaded, errors);
    }
    loaded
}

/// With explicit inputs, `parity.toml` still supplies promotion order and
/// tags for the envs it names.
fn apply_config(cfg: &std::path::Path, loaded: &mut Loaded, errors: &mut Vec<RunError>) {
    let config = match crate::load::read_config(cfg) {
        Ok(c) => c,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    for env in &mut loaded.world.envs {
        if let Some(ec) = config.envs.iter().find(|e| e.name == env.name) {
            env.tags = ec.tags.clone();
        }
        if let Some(order) = &config.promotion
            && let Some(i) = order.iter().position(|n| *n == env.name)
        {
            env.order = i;
        }
    }
    if config.promotion.is_some() {
        loaded.world.finish();
    }
}

fn empty() -> Loaded {
    Loaded { world: Default::default(), errors: vec![], skipped: vec![], warnings: vec![], stdin_text: None }
}
