//! The pipeline as a library: a [`Plan`] says what to check, [`check`]
//! compiles the rules, loads the envs, evaluates, applies waivers, keeps
//! the findings `--changed` asks for and returns the [`Report`].
//!
//! Every subcommand that checks (`check`, `audit`, `test`) and the tests
//! call this one function. Nothing here prints or reads the terminal:
//! compile diagnostics come back as data ([`Outcome::diagnostics`]) and
//! progress goes to a callback; the CLI renders both.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bytecode::Program;
use crate::diag::{Diag, Sources};
use crate::load::{Config, Input, LoadOptions, Loaded};
use crate::report::{ErrorAt, Finding, Notice, Report, RunError};
use crate::waive::BaselineEntry;

/// Where the envs come from.
#[derive(Debug, Clone, Default)]
pub enum EnvSource {
    /// Command-line inputs and `--env NAME=PATH` pairs; `stdin_text` is
    /// stdin's content when `Input::Stdin` is among the inputs. A
    /// configuration, when there is one, still gives the envs it names their
    /// tags, default namespace, version and promotion order.
    /// `texts` are env sources read already (named stdin, pipes): (env,
    /// display name, text).
    Inputs {
        inputs: Vec<Input>,
        named: Vec<(String, PathBuf)>,
        stdin_text: Option<String>,
        texts: Vec<crate::load::envs::Memory>,
    },
    /// The envs the configuration declares.
    Configured,
    /// Nothing to load; the reason is among [`Plan::earlier`].
    #[default]
    Nothing,
}

/// The limits of evaluation; `None` keeps the engine's default.
#[derive(Debug, Clone, Default)]
pub struct EvalLimits {
    pub step_budget: Option<u64>,
    pub rule_step_budget: Option<u64>,
    pub rule_time_budget: Option<Duration>,
}

/// What to check, and how.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Rule files, read already: (display name, text).
    pub rule_files: Vec<(String, String)>,
    /// Rule bodies given as text (`--rule`), ids `cli-1`, `cli-2`, ...
    pub rule_texts: Vec<String>,
    /// Whether the standard library is compiled in beside them.
    pub use_library: bool,
    /// A program compiled already (`parity test` compiles once for all its
    /// cases): the rule sources above are then not compiled again.
    pub program: Option<Arc<Program>>,
    /// Run only these rules (by id); all when `None`.
    pub only: Option<Vec<String>>,
    /// Findings get no code frames (`engine::Options::frames`): for reports
    /// that do not show them.
    pub no_frames: bool,
    /// Which compiled rules run (`--select`, `--extend-select`, `--ignore`,
    /// parity.toml's keys; `crate::select`). Applied to a program compiled
    /// here; rules marked `enabled: false` run only when it names them.
    pub selection: crate::select::Selection,
    /// parity.toml, parsed once.
    pub config: Option<Config>,
    pub envs: EnvSource,
    pub load: LoadOptions,
    pub limits: EvalLimits,
    /// Skipped files and documents do not make the run incomplete.
    pub allow_skipped: bool,
    /// A run that loads no object is not an error.
    pub allow_empty: bool,
    /// Also note the standard-library rules that matched nothing.
    pub verbose: bool,
    /// Keep the waived findings in the report (they are always counted).
    pub show_waived: bool,
    /// Findings recorded in a baseline, waived.
    pub baseline: Option<BTreeSet<BaselineEntry>>,
    /// Pre-commit mode: the changed files (display names); only findings
    /// they are part of are kept.
    pub changed: Option<Vec<String>>,
    /// The Kubernetes version (`v1.30`) of every env that has none from its
    /// cluster, snapshot or parity.toml (`--kube-version`).
    pub kube_version: Option<String>,
    /// CustomResourceDefinition files or folders (`--crd`, parity.toml
    /// `crds`): known to path checking at compile time and, as `env.crds`,
    /// to `crd-exists` (`schema::given`).
    pub crds: Vec<PathBuf>,
    /// Errors met before the run (an unreadable rule file or
    /// configuration, a usage error, a cluster that could not be read):
    /// counted in the report, so the run is incomplete.
    pub earlier: Vec<RunError>,
}

/// Callbacks of a run.
#[derive(Default)]
pub struct Hooks<'a> {
    /// Called with (subjects done, total) while evaluating.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// What a run produced.
pub struct Outcome {
    /// The report, finished (sorted and counted).
    pub report: Report,
    /// The compiled rules (for renderers that list every rule).
    pub program: Arc<Program>,
    /// The rule sources and the compile diagnostics among them, to render
    /// (each is also a run error in the report).
    pub sources: Sources,
    pub diagnostics: Vec<Diag>,
    /// The envs, as loaded.
    pub world: crate::world::World,
}

/// Runs the pipeline: compile → load → evaluate → waive → filter (compile
/// and load side by side).
pub fn check(plan: &Plan, hooks: &Hooks) -> Outcome {
    let started = Instant::now();
    let phase = crate::timing::phase;
    let mut report = Report {
        allow_skipped: plan.allow_skipped || plan.config.as_ref().is_some_and(|c| c.allow_skipped),
        ..Report::default()
    };
    report.errors.extend(plan.earlier.iter().cloned());

    // Every rule that compiles runs; the ones that do not are errors (exit 2)
    // beside their findings. Compiling (one thread: the parser) and loading
    // (every thread) do not depend on each other, so they run side by side:
    // the standard library's compile is hidden behind the reads.
    let crds = read_crds(plan, &mut report);
    let compile = |sources: &mut Sources| match &plan.program {
        Some(p) => (p.clone(), Vec::new(), Report::default()),
        None => {
            let mut all = plan.rule_files.clone();
            if plan.use_library {
                all.extend(crate::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())));
            }
            let (mut p, d) = crate::schema::given::compiling_with(crds.clone(), || {
                crate::compile::build_partial(sources, &all, &plan.rule_texts)
            });
            let mut selected = Report::default();
            select(plan, &mut p, &mut selected);
            (Arc::new(p), d, selected)
        }
    };
    let ((program, diagnostics, selected), sources, loaded) = std::thread::scope(|scope| {
        // The parser recurses per bracket level (`syntax::MAX_BRACKET_DEPTH`):
        // the compiling thread gets a main thread's stack, not a spawned one's.
        let compiling = std::thread::Builder::new()
            .name("parity-compile".into())
            .stack_size(crate::syntax::PARSER_STACK)
            .spawn_scoped(scope, || {
                let mut sources = Sources::default();
                let out = compile(&mut sources);
                phase("compile", started);
                (out, sources)
            });
        // Path checks read the Kubernetes schema table (~10 ms to decode):
        // decoded beside the parse rather than in the middle of code
        // generation. Only the standard library is sure to need it.
        // (No thread to be had: the compile decodes it when it needs it.)
        if plan.program.is_none() && plan.use_library {
            let _ = std::thread::Builder::new().name("parity-schemas".into()).spawn_scoped(scope, || {
                crate::schema::schemas();
            });
        }
        let load_started = Instant::now();
        let loaded = load(plan);
        phase("load", load_started);
        let (compiled, compiled_sources) = match compiling {
            Ok(handle) => handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            // No thread to be had: compile here, after the load.
            Err(_) => {
                let mut sources = Sources::default();
                (compile(&mut sources), sources)
            }
        };
        (compiled, compiled_sources, loaded)
    });
    report.errors.extend(selected.errors);
    report.warnings.extend(selected.warnings);
    report.errors.extend(diagnostics.iter().map(|d| crate::diag::diag_error(&sources, d)));
    let Loaded { mut world, errors, skipped, warnings, .. } = loaded;
    if let Some(c) = &crds {
        world.set_given_crds(c.objects.clone());
    }
    if let Some(v) = &plan.kube_version {
        for env in world.envs.iter_mut().filter(|e| e.version.is_none()) {
            env.version = Some(v.clone());
        }
    }
    report.errors.extend(errors);
    report.skipped.extend(skipped);
    report.warnings.extend(warnings);
    if world.object_count() == 0 && report.errors.is_empty() && !plan.allow_empty {
        // An empty input (a failed `helm template` upstream, an empty
        // folder, every file skipped) checks nothing: it must not pass.
        let why = if report.skipped.is_empty() {
            "the input holds no Kubernetes objects"
        } else {
            "every file or document was skipped"
        };
        let message = format!("no objects loaded: {why}, so nothing was checked (pass --allow-empty to accept this)");
        report.errors.push(crate::load::LoadError::Empty(message).whole_run());
    }

    let mut eopts = crate::engine::Options {
        progress: hooks.progress,
        timings: crate::timing::enabled(),
        only: plan.only.as_deref(),
        frames: !plan.no_frames,
        ..Default::default()
    };
    if let Some(steps) = plan.limits.step_budget {
        eopts.step_budget = steps;
    }
    if let Some(steps) = plan.limits.rule_step_budget {
        eopts.rule_step_budget = steps;
    }
    if let Some(time) = plan.limits.rule_time_budget {
        eopts.rule_time_budget = time;
    }
    let eval_started = Instant::now();
    let out = crate::engine::run(&program, &world, &eopts);
    phase("evaluate", eval_started);
    report.findings = out.findings;
    report.waived = out.waived;
    report.errors.extend(out.errors);
    report.warnings.extend(out.warnings);
    report.summary.rules = program.rules.len();
    report.warnings.extend(unmatched_notices(&program, &out.unmatched, plan.verbose, world.envs.is_empty()));
    report.summary.unmatched_rules = out.unmatched;
    report.summary.unmatched_rules.sort();
    report.summary.schema = crate::schema::summary(&program, &world);
    report.warnings.extend(crate::schema::version_notices(&program, &world));
    if world.envs.len() == 1 {
        let only = plan.only.as_deref();
        report.summary.uncompared_rules = program
            .rules
            .iter()
            .filter(|r| r.cross_env && only.is_none_or(|ids| ids.contains(&r.id)))
            .map(|r| r.id.clone())
            .collect();
        report.summary.uncompared_rules.sort();
    }

    waive(plan, &mut report);
    if let Some(changed) = &plan.changed {
        keep_changed(&world, changed, &mut report);
    }
    report.summary.waived = report.waived.len();
    if !plan.show_waived {
        report.waived.clear();
    }
    report.summary.envs = world.envs.iter().map(|e| e.name.clone()).collect();
    report.summary.objects = world.object_count();
    report.summary.files = world.files.len();
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    Outcome { report, program, sources, diagnostics, world }
}

/// Keeps the rules the plan's selection runs; a `select`/`extend-select`
/// pattern that names no rule is a run error (a typo must not check less),
/// an `ignore` pattern a warning. `--rule` bodies always run.
fn select(plan: &Plan, prog: &mut Program, report: &mut Report) {
    for u in plan.selection.unknown(prog) {
        let message = format!(
            "`{}` in {} names no loaded rule (no rule id, tag or glob match)",
            crate::escape::text(&u.pattern),
            u.key
        );
        let error = crate::select::SelectError(message);
        if u.key == "ignore" {
            report.warnings.push(Notice::new(&error, "", 0));
        } else {
            report.errors.push(error.whole_run());
        }
    }
    let bodies: Vec<String> = (1..=plan.rule_texts.len()).map(|i| format!("cli-{i}")).collect();
    plan.selection.apply(prog, &bodies);
}

/// Reads the plan's CRD files (errors into the report); `None` without any.
fn read_crds(plan: &Plan, report: &mut Report) -> Option<Arc<crate::schema::given::GivenCrds>> {
    if plan.crds.is_empty() {
        return None;
    }
    let started = Instant::now();
    let (objects, errors) = crate::load::crds::read(&plan.crds, &plan.load);
    report.errors.extend(errors);
    let crds = crate::schema::given::GivenCrds::from_objects(objects);
    crate::timing::phase("crds", started);
    Some(Arc::new(crds))
}

/// Loads the envs a plan names (`parity diff` loads as `check` does).
pub fn load(plan: &Plan) -> Loaded {
    match &plan.envs {
        EnvSource::Nothing => Loaded::default(),
        EnvSource::Configured => match &plan.config {
            Some(cfg) => crate::load::load_configured(cfg, &plan.load),
            None => Loaded::default(),
        },
        EnvSource::Inputs { inputs, named, stdin_text, texts } => {
            let mut loaded =
                crate::load::load_inputs_with(inputs, named, stdin_text.clone(), texts.clone(), &plan.load);
            if let Some(cfg) = &plan.config {
                apply_config(cfg, &mut loaded);
            }
            loaded
        }
    }
}

/// With explicit inputs, `parity.toml` still supplies promotion order and
/// tags for the envs it names. The order is set by the same
/// `envs::apply_order` as for envs declared in parity.toml, so it never
/// depends on where the paths came from.
fn apply_config(config: &Config, loaded: &mut Loaded) {
    for env in &mut loaded.world.envs {
        if let Some(ec) = config.envs.iter().find(|e| e.name == env.name) {
            env.tags = ec.tags.clone();
            env.default_namespace = ec.namespace.clone();
        }
    }
    crate::load::apply_versions(loaded, &config.envs, &config.file);
    if config.promotion.is_some() || config.envs.iter().any(|e| e.namespace.is_some()) {
        crate::load::envs::apply_order(&mut loaded.world, config.promotion.as_deref());
    }
}

/// A note for each rule that matched nothing in any env: always for the
/// user's own rules (a typo in a noun or filter shows at once), and with
/// `verbose` for the standard library's too.
fn unmatched_notices(prog: &Program, unmatched: &[String], verbose: bool, no_envs: bool) -> Vec<Notice> {
    if no_envs {
        return Vec::new();
    }
    prog.rules
        .iter()
        .filter(|r| unmatched.contains(&r.id))
        .filter(|r| verbose || !r.is_builtin())
        .map(|r| {
            let (file, line) = r.origin_file_line();
            Notice {
                code: "parity::rule::matched-nothing".into(),
                file,
                line,
                message: format!(
                    "rule `{}` matched nothing in any env: no subject passed `{}`; check its nouns and filters",
                    r.id,
                    r.checks
                        .first()
                        .map(|c| c.text.split_whitespace().collect::<Vec<_>>().join(" "))
                        .unwrap_or_default()
                ),
            }
        })
        .collect()
}

/// Applies parity.toml exceptions and the baseline.
fn waive(plan: &Plan, report: &mut Report) {
    let mut list = Vec::new();
    if let Some(cfg) = &plan.config {
        match crate::waive::from_config(cfg) {
            Ok(l) => list = l,
            Err(e) => report.errors.push(e),
        }
    }
    let findings = std::mem::take(&mut report.findings);
    let applied = crate::waive::apply(findings, &list, plan.baseline.as_ref(), crate::waive::today());
    report.findings = applied.kept;
    report.findings.extend(applied.meta);
    report.waived.extend(applied.waived);
}

/// Keeps the findings a changed file is part of: located in one, with a
/// related object or a counterpart (the same object in another env) in one,
/// or env-level findings of a changed env (or of any env, when the
/// reference env changed).
fn keep_changed(world: &crate::world::World, changed: &[String], report: &mut Report) {
    let touches = |file: &str| changed.iter().any(|c| c == file);
    // The envs a changed file belongs to. An env-level finding (no file of
    // its own: kubelet versions that differ from the reference env's) is
    // reported when the change touches its env or the reference env, which
    // it is compared with; a whole-world one when it touches any.
    let mut changed_envs = BTreeSet::new();
    // The identities (kind, canonical namespace, name) of the objects in
    // changed files: an object finding is also reported when one of its
    // counterparts in another env changed (a cross-env comparison such as
    // service-port-parity depends on both sides).
    let mut changed_identities = BTreeSet::new();
    for env in &world.envs {
        for o in &env.objects {
            if world.files.get(o.file as usize).is_some_and(|f| touches(f)) {
                changed_envs.insert(env.name.clone());
                let ns = o.namespace.as_deref().map(|n| env.canonical_namespace(n).to_string());
                changed_identities.insert((o.kind.to_ascii_lowercase(), ns.unwrap_or_default(), o.name.to_string()));
            }
        }
    }
    let counterpart_changed = |f: &Finding| {
        if f.kind.is_empty() {
            return false;
        }
        let canonical = match world.envs.iter().find(|e| e.name == f.env) {
            Some(env) => env.canonical_namespace(&f.namespace).to_string(),
            None => f.namespace.clone(),
        };
        changed_identities.contains(&(f.kind.to_ascii_lowercase(), canonical, f.name.clone()))
    };
    let reference_changed = world.envs.last().is_some_and(|e| changed_envs.contains(&e.name));
    let relevant = |f: &Finding| {
        touches(&f.file)
            || f.related.iter().any(|r| touches(&r.file))
            || counterpart_changed(f)
            || (f.file.is_empty()
                && (changed_envs.contains(&f.env) || reference_changed || f.env.is_empty() && !changed_envs.is_empty()))
    };
    report.findings.retain(|f| relevant(f));
    report.waived.retain(|w| relevant(&w.finding));
}
