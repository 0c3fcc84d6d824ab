//! `parity check [PATH]...`: rules and manifest sources in one list, envs
//! from folders, `--env` or `parity.toml`, findings in the chosen format.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::{Format, is_rule_file, is_rules_folder, parse_severity, read_rule_files, rule_docs};
use crate::load::{Config, Input, LoadOptions};
use crate::report::{ErrorAt, Report, RunError, Severity};

mod report;
mod sources;
use report::*;
pub(super) use sources::discover_config;
use sources::usage;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule sources (`*.parity` files, folders named `rules`) and manifest
    /// sources: folders (each sub-folder an env), YAML/JSON files, List
    /// files, snapshots, or `-` for stdin. Everything after `--` is a path.
    pub paths: Vec<PathBuf>,
    /// The paths after `--`: paths whatever they look like (a file named
    /// `--write-baseline=x.yaml` is a file). In `--changed` mode the changed
    /// files must come here.
    #[arg(last = true, value_name = "PATH")]
    pub after: Vec<PathBuf>,
    /// A rule file or folder of rule files, whatever its name (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rule_paths: Vec<PathBuf>,
    /// A rule body to check, e.g. `every node has ...` (repeatable; ids
    /// `cli-1`, `cli-2`, ...; severity error).
    #[arg(long = "rule", value_name = "TEXT")]
    pub rules: Vec<String>,
    /// Name an env explicitly: `--env prod=manifests/production`.
    #[arg(long = "env", value_name = "NAME=PATH", value_parser = parse_env)]
    pub envs: Vec<(String, PathBuf)>,
    /// The configuration file (default: the nearest `parity.toml`, from the
    /// current folder up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run only these rules: ids, tags or globs over ids (`image-*`),
    /// comma-separated or repeated. Replaces parity.toml `select`.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Also run these rules (ids, tags or globs), e.g. rules marked
    /// `enabled: false`. Adds to parity.toml `extend-select`.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Do not run these rules (ids, tags or globs); wins over any selection.
    /// Adds to parity.toml `ignore`.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Do not load the standard rule library: only your own rules run.
    #[arg(long)]
    pub no_stdlib: bool,
    /// Print what the `render` command of this parity.toml env prints, and
    /// exit.
    #[arg(long, value_name = "ENV")]
    pub show_render: Option<String>,
    /// Output format (also `--output-format`).
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print how many findings each rule produced (most first) instead of
    /// the findings, then the summary line; with `--format json`, a JSON
    /// list of `{rule, severity, count, title}`. The exit code is unchanged.
    #[arg(long)]
    pub statistics: bool,
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
    /// Also note the standard-library rules that matched nothing in any env
    /// (the user's own rules are always noted).
    #[arg(long, short)]
    pub verbose: bool,
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
    /// findings a changed file is part of are reported: located in one, with
    /// a related object or a counterpart (the same object in another env) in
    /// one, or env-level findings of a changed env (or of any env, when the
    /// reference env changed). A changed path that does not exist is an
    /// error.
    #[arg(long)]
    pub changed: bool,
    /// A manifest source to load in `--changed` mode (repeatable); without
    /// it, the envs of parity.toml.
    #[arg(long, value_name = "PATH")]
    pub tree: Vec<PathBuf>,
    /// Skipped files and documents (Helm templates, non-Kubernetes YAML) do
    /// not fail the run; without it they make it exit 2. Also parity.toml
    /// `allow-skipped = true`.
    #[arg(long)]
    pub allow_skipped: bool,
    /// A run that loads no object at all (empty stdin, empty folders, every
    /// file skipped) is not an error.
    #[arg(long)]
    pub allow_empty: bool,
    /// The Kubernetes version of every env whose cluster, snapshot or
    /// parity.toml `version` does not give one (`1.30`, `v1.30.4`); the
    /// schema rules check against it. Without it, such envs are checked
    /// against the newest bundled version (1.37), and the summary says so.
    #[arg(long, value_name = "VERSION", value_parser = parse_kube_version)]
    pub kube_version: Option<String>,
    /// A file (or folder) of CustomResourceDefinitions (YAML or JSON, one or
    /// many, or a `List`; repeatable; also parity.toml `crds`). Rule paths on
    /// their kinds are checked against their `openAPIV3Schema` when rules
    /// compile, and `crd-exists` uses them for custom resources whose env
    /// does not carry the CRD. A file that cannot be read or holds anything
    /// but CRDs is an error (exit 2).
    #[arg(long = "crd", value_name = "FILE")]
    pub crd: Vec<PathBuf>,
    /// The configuration when the caller (`audit`) has read it already, so
    /// it is read once per run.
    #[arg(skip)]
    pub read_config: Option<Result<Config, RunError>>,
    /// The envs when the caller (`audit`) holds them in memory already:
    /// (env, display name, snapshot text). No other env source is read.
    #[arg(skip)]
    pub memory: Option<Vec<crate::load::envs::Memory>>,
}

/// `--kube-version`: checked before anything runs (a typo must not check
/// every env against the newest schemas instead), as `v1.30` or `v1.30.4`.
fn parse_kube_version(v: &str) -> Result<String, String> {
    let v = v.trim();
    match crate::world::Version::parse(v).filter(|p| p.parts_written() >= 2) {
        Some(_) => Ok(if v.starts_with(['v', 'V']) { v.to_string() } else { format!("v{v}") }),
        None => Err(format!("`{}` is not a Kubernetes version like 1.30", crate::escape::text(v))),
    }
}

fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|n| std::time::Duration::try_from_secs_f64(n).ok())
        .ok_or_else(|| format!("`{s}` is not a number of seconds"))
}

/// `NAME=PATH`, for `--env` (shared with `parity diff`).
pub(super) fn parse_env_arg(s: &str) -> Result<(String, PathBuf), String> {
    parse_env(s)
}

fn parse_env(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok((name.to_string(), PathBuf::from(path))),
        _ => Err(format!("`{s}` is not NAME=PATH")),
    }
}

pub fn run(args: CheckArgs) -> i32 {
    run_with(args, Vec::new())
}

/// `check`, with errors met before it (a cluster group that could not be
/// read by `audit`) counted in the report; with `args.memory`, `audit`'s
/// snapshots are the envs.
pub fn run_with(mut args: CheckArgs, earlier: Vec<RunError>) -> i32 {
    let started = Instant::now();
    if let Some(env) = args.show_render.clone() {
        let read = args.read_config.take().or_else(|| config_path(&args).map(|p| crate::load::read_config(&p)));
        let config = match read {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                eprintln!("{}", crate::escape::error_line(&e));
                return 2;
            }
            None => None,
        };
        let max = args.max_file_size.unwrap_or(LoadOptions::default().max_file_bytes);
        return sources::show_render(config.as_ref(), &env, max);
    }
    let audit = args.memory.is_some();
    let plan = plan(&mut args, earlier);
    let show = !args.quiet && std::io::stderr().is_terminal();
    let progress = crate::cli::progress::Progress::new(show, "checking");
    let tick = |done: usize, total: usize| progress.set(done, total);
    let outcome = crate::pipeline::check(&plan, &crate::pipeline::Hooks { progress: Some(&tick) });
    progress.finish();
    super::color::eprint_diagnostics(&outcome.sources, &outcome.diagnostics);
    let crate::pipeline::Outcome { mut report, program, world, .. } = outcome;
    // Findings on rendered documents also name the source file the
    // renderer recorded; the summary names the configuration used.
    sources::add_render_origins(&world, &mut report.findings);
    report.summary.config = plan.config.as_ref().map(|c| c.file.clone()).unwrap_or_default();
    report.finish();
    let report_started = Instant::now();
    if let Some(path) = &args.write_baseline {
        return write_baseline(path, &report);
    }
    if audit {
        audit_sources(&mut report);
        report.finish();
    }
    let text = match args.format {
        Format::Json if args.statistics => crate::render::statistics::render_json(&report, &rule_docs(Some(&program))),
        Format::Human if args.statistics => {
            let stats = crate::render::statistics::render_human(&report, &rule_docs(Some(&program)));
            let color = super::color::stdout();
            let opts = crate::render::human::HumanOptions { color, show_evidence: true };
            format!("{stats}{}", crate::render::human::render_summary(&report, &opts))
        }
        Format::Json => crate::render::json::render(&report),
        Format::Sarif => crate::render::sarif::render(&report, &rule_docs(Some(&program))),
        Format::Junit => crate::render::junit::render(&report, &rule_docs(Some(&program))),
        Format::Github => crate::render::github::render(&report),
        Format::Policyreport => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            crate::render::policyreport::render(&report, &rule_docs(Some(&program)), now)
        }
        Format::Human => {
            let color = super::color::stdout();
            crate::render::human::render(&report, &crate::render::human::HumanOptions { color, show_evidence: true })
        }
    };
    if args.format == Format::Human {
        // The same decision the renderer got: the writer strips styling
        // when colour is off.
        let _ = super::color::write_stdout(&text, super::color::stdout());
    } else {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }
    crate::timing::phase("report", report_started);
    crate::timing::phase("total", started);
    for line in crate::timing::take() {
        eprintln!("{line}");
    }
    // The process ends right after this: freeing hundreds of thousands of
    // objects one by one would only delay the exit.
    std::mem::forget(world);
    report.exit_code(args.fail_on)
}

/// The plan of a `check` from its arguments: parity.toml read once (or
/// taken from `audit`, which read it), rule sources told apart from
/// manifest sources by the arguments alone, rule files and stdin read.
pub(super) fn plan(args: &mut CheckArgs, earlier: Vec<RunError>) -> crate::pipeline::Plan {
    use crate::pipeline::{EnvSource, EvalLimits, Plan};
    let mut plan = Plan { earlier, ..Plan::default() };
    let mut read_errors = Vec::new();
    // parity.toml is read once; the rule sources, the loader, the promotion
    // order and the exceptions all take what they need from this `Config`.
    let config_given = args.read_config.is_some() || config_path(args).is_some();
    let read = args.read_config.take().or_else(|| config_path(args).map(|p| crate::load::read_config(&p)));
    let config = match read {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            read_errors.push(e);
            None
        }
        None => None,
    };
    let settings = config.as_ref().map(config_settings).unwrap_or_default();
    // What a path is never depends on what is inside it: a `.parity` file
    // argument or a folder named `rules` holds rules, everything else is
    // manifests.
    let mut rule_paths = args.rule_paths.clone();
    rule_paths.extend(settings.rules);
    let mut inputs = Vec::new();
    let mut changed = Vec::new();
    let is_rule_source = |p: &PathBuf| is_rule_file(p) || is_rules_folder(p);
    if args.changed && args.after.is_empty() && args.paths.iter().any(|p| !is_rule_source(p)) {
        // Pre-commit appends file names to the hook's arguments: without a
        // `--` before them, a file named like an option becomes one.
        read_errors.push(usage(
            "--changed takes the changed files after `--` (`parity check --changed --tree PATH -- FILE...`), \
             so that no file name is read as an option",
        ));
    }
    for p in args.paths.iter().chain(&args.after) {
        if p.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if is_rule_source(p) {
            rule_paths.push(p.clone());
        } else if args.changed {
            // A changed path that does not exist would silently match no
            // finding: it is an error.
            if !p.exists() {
                read_errors.push(
                    CliError::Io(
                        "changed file does not exist (with --changed, the paths are the changed files)".into(),
                    )
                    .at(&super::display(p)),
                );
            }
            changed.push(super::display(p));
        } else {
            inputs.push(Input::Path(p.clone()));
        }
    }
    inputs.extend(args.tree.iter().cloned().map(Input::Path));
    let (rule_files, rule_errors) = read_rule_files(&rule_paths);
    read_errors.extend(rule_errors);
    // Your rule files add to the standard library (unless `--no-stdlib` or
    // `no-stdlib = true`); `--rule` bodies alone are an ad-hoc check of just
    // those bodies (and your rule files).
    plan.use_library = !(args.no_stdlib || settings.no_stdlib) && args.rules.is_empty();
    plan.rule_files = if plan.use_library { without_library_copies(rule_files) } else { rule_files };
    plan.rule_texts = args.rules.clone();
    // Only the human report shows code frames (not its `--statistics`).
    plan.no_frames = args.format != Format::Human || args.statistics;
    // The selection: parity.toml's, with `--select` replacing its `select`
    // and the other flags adding to its lists.
    let mut selection = settings.selection.clone();
    if !args.select.is_empty() {
        selection.select = Some(args.select.clone());
    }
    selection.extend_select.extend(args.extend_select.iter().cloned());
    selection.ignore.extend(args.ignore.iter().cloned());
    plan.selection = selection;

    let mut opts = LoadOptions { follow_links: args.follow_links, ..LoadOptions::default() };
    if let Some(bytes) = args.max_file_size {
        opts.max_file_bytes = bytes;
    }
    if let Some(bytes) = args.max_total_size {
        opts.max_total_bytes = bytes;
    }
    let has_inputs = !inputs.is_empty() || !args.envs.is_empty();
    plan.envs = if let Some(texts) = args.memory.take() {
        // `audit`: the snapshots it took, never files.
        EnvSource::Inputs { inputs: Vec::new(), named: Vec::new(), stdin_text: None, texts }
    } else if args.changed && !has_inputs && !config_given {
        read_errors.push(usage("--changed needs the env tree: give `--tree PATH` or a parity.toml with envs"));
        EnvSource::Nothing
    } else if !has_inputs {
        if config.is_some() {
            EnvSource::Configured
        } else {
            if !config_given {
                // (An unreadable configuration is reported already.)
                read_errors.push(usage(
                    "no manifests to check: give a folder, a file, `-` for stdin, `--env NAME=PATH`, or a parity.toml with envs",
                ));
            }
            EnvSource::Nothing
        }
    } else if let Some(narrowed) = narrowed_config(args, config.as_ref(), &inputs, &mut read_errors) {
        // Paths with a parity.toml that declares envs pick its envs.
        plan.config = Some(narrowed);
        EnvSource::Configured
    } else {
        let stdin_text = if inputs.contains(&Input::Stdin) {
            sources::read_stdin(opts.max_file_bytes, &mut read_errors)
        } else {
            None
        };
        let pipe_timeout = config
            .as_ref()
            .and_then(|c| c.render_timeout)
            .map(std::time::Duration::from_secs)
            .unwrap_or(crate::load::render::DEFAULT_TIMEOUT);
        let (named, texts) = sources::read_named_streams(
            &args.envs,
            inputs.contains(&Input::Stdin),
            opts.max_file_bytes,
            pipe_timeout,
            &mut read_errors,
        );
        EnvSource::Inputs { inputs, named, stdin_text, texts }
    };
    plan.load = opts;
    plan.limits = EvalLimits {
        step_budget: args.eval_budget,
        rule_step_budget: args.rule_budget,
        rule_time_budget: args.rule_timeout,
    };
    plan.kube_version = args.kube_version.clone();
    plan.crds = args.crd.clone();
    plan.crds.extend(settings.crds.iter().cloned());
    plan.allow_skipped = args.allow_skipped || settings.allow_skipped;
    plan.allow_empty = args.allow_empty;
    plan.verbose = args.verbose;
    plan.show_waived = args.show_waived;
    if let Some(path) = &args.baseline {
        match crate::waive::read_baseline(path) {
            Ok(b) => plan.baseline = Some(b),
            Err(e) => read_errors.push(e),
        }
    }
    plan.changed = args.changed.then_some(changed);
    if plan.config.is_none() {
        plan.config = config;
    }
    plan.earlier.extend(read_errors);
    plan
}

/// What parity.toml says about the check itself (not its envs).
#[derive(Default)]
struct Settings {
    /// `rules = [...]`, relative to the configuration's folder.
    rules: Vec<PathBuf>,
    /// `crds = [...]`, relative to the configuration's folder.
    crds: Vec<PathBuf>,
    allow_skipped: bool,
    selection: crate::select::Selection,
    no_stdlib: bool,
}

/// Reads the check settings of a configuration; an unreadable one is an
/// error here and again where its envs are loaded (the two are deduplicated).
fn config_settings(c: &Config) -> Settings {
    Settings {
        rules: c.rules.iter().map(|r| c.base.join(r)).collect(),
        crds: c.crds.iter().map(|r| c.base.join(r)).collect(),
        allow_skipped: c.allow_skipped,
        selection: crate::select::Selection {
            select: c.select.clone(),
            extend_select: c.extend_select.clone(),
            ignore: c.ignore.clone(),
        },
        no_stdlib: c.no_stdlib,
    }
}

/// Rule files that are copies of a standard-library file (this
/// repository's own rules/) are not loaded twice beside the library.
fn without_library_copies(files: Vec<(String, String)>) -> Vec<(String, String)> {
    files.into_iter().filter(|(_, text)| !crate::stdlib::LIBRARY.iter().any(|(_, lib)| lib == text)).collect()
}

/// With a parity.toml that declares envs, manifest paths (outside
/// `--changed`) pick its envs: the configuration narrowed to them. Mixed
/// with `--env` or `-` that is an error. `None`: the paths are the envs.
fn narrowed_config(
    args: &CheckArgs,
    config: Option<&Config>,
    inputs: &[Input],
    errors: &mut Vec<RunError>,
) -> Option<Config> {
    let cfg = config.filter(|c| !c.envs.is_empty())?;
    let paths: Vec<PathBuf> =
        inputs.iter().filter_map(|i| if let Input::Path(p) = i { Some(p.clone()) } else { None }).collect();
    if args.changed || paths.is_empty() {
        return None;
    }
    if !args.envs.is_empty() || inputs.contains(&Input::Stdin) {
        errors.push(usage(format!(
            "paths pick envs of {} and cannot be mixed with `--env` or `-` (hint: give `--config` another \
             file, or name every env with `--env NAME=PATH`)",
            cfg.file
        )));
        let mut none = cfg.clone();
        none.envs.clear();
        return Some(none);
    }
    let before = errors.len();
    let mut narrowed = sources::narrow(cfg, &paths, errors);
    if errors.len() > before {
        narrowed.envs.clear();
    }
    Some(narrowed)
}

/// The configuration in force: `--config`, else the nearest parity.toml
/// from the current folder up to the repository root.
fn config_path(args: &CheckArgs) -> Option<PathBuf> {
    args.config.clone().or_else(sources::discover_config)
}
