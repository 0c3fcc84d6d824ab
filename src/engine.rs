//! Rules × envs × objects on rayon → findings.
//!
//! Every check of every rule is split into chunks of subjects; each chunk is
//! evaluated by its own VM over the shared, read-only program and world. A
//! subject that fails is evaluated once more with tracing on, to collect the
//! evidence and the field it failed on. The report is sorted afterwards, so
//! output is identical for any thread count.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::bytecode::{CheckKind, Code, DomainSource, EnvScope, PathSeg, Piece, Program, Rule};
use crate::report::{Finding, Location, Notice, RunError, Severity, Waived};
use crate::vm::value::{Val, display, equal, object_label, to_json_with};
use crate::vm::{EvalError, Meter, TraceItem, Vm, select_envs};
use crate::world::tree::NodeRef;
use crate::world::{EnvId, Object, World, pod_spec_path};

/// Subjects evaluated by one task, at least.
const CHUNK: usize = 512;

/// What one run of the engine produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<RunError>,
    pub warnings: Vec<Notice>,
    /// Findings suppressed by a rule's `except` clause.
    pub excepted: usize,
    /// Findings waived by a `parity.dev/ignore` annotation on their object.
    pub waived: Vec<Waived>,
    /// Indexes of the rules that examined at least one subject (passed
    /// their filters) in some env; whole-world checks always count.
    pub matched: std::collections::BTreeSet<usize>,
    /// Ids of the rules that examined no subject in any env: their nouns
    /// and filters matched nothing (a typo shows here).
    pub unmatched: Vec<String>,
    /// Subjects over the per-subject step budget, by rule: reported as one
    /// error per rule.
    over_budget: Vec<(usize, RunError)>,
}

/// The annotation that waives named rules on one object.
pub const IGNORE_ANNOTATION: &str = "parity.dev/ignore";
/// The annotation that must give the reason for it.
pub const IGNORE_REASON_ANNOTATION: &str = "parity.dev/ignore-reason";
/// Rule id of the finding for an ignore annotation without a reason.
pub const IGNORE_WITHOUT_REASON: &str = "parity/ignore-without-reason";
/// The error finding for two objects with one identity in one env.
pub const DUPLICATE_OBJECT: &str = "parity/duplicate-object";

/// Options of one run.
pub struct Options<'a> {
    /// Text of stdin, for locating fields of objects read from it.
    pub stdin_text: Option<&'a str>,
    /// Called with (done, total) work units as evaluation proceeds.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    pub step_budget: u64,
    /// Steps one rule may take over the whole run (all subjects, all
    /// threads).
    pub rule_step_budget: u64,
    /// Evaluation time one rule may take over the whole run.
    pub rule_time_budget: std::time::Duration,
    /// Evaluate only these rule ids (all when `None`).
    pub only: Option<&'a [String]>,
    /// Print the time spent in each rule to stderr (`PARITY_TIMINGS`).
    pub timings: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            stdin_text: None,
            progress: None,
            step_budget: crate::vm::DEFAULT_STEP_BUDGET,
            rule_step_budget: crate::vm::DEFAULT_RULE_STEP_BUDGET,
            rule_time_budget: crate::vm::DEFAULT_RULE_TIME_BUDGET,
            only: None,
            timings: false,
        }
    }
}

/// A subject that can cross threads (a `Val` holds `Rc`s).
#[derive(Clone, Copy)]
enum Subject<'w> {
    Env(EnvId),
    Obj(&'w Object),
}

impl<'w> Subject<'w> {
    fn val(self) -> Val<'w> {
        match self {
            Subject::Env(e) => Val::Env(e),
            Subject::Obj(o) => Val::Obj(o),
        }
    }
}

enum Unit<'w> {
    /// Every `(rule, check)` of `checks` (all over the same domain) on each
    /// of `subjects`, subject by subject: a subject's document is then read
    /// from memory once for all of them rather than once per rule.
    Each {
        checks: Vec<(usize, usize)>,
        subjects: Vec<Subject<'w>>,
    },
    Whole {
        rule: usize,
        check: usize,
    },
}

/// A user rule that names an env or tag no loaded env has could check
/// nothing and pass, so it is an error, with a "did you mean" over the envs
/// and tags loaded. The standard library's rules name envs and tags that a
/// setup may not have; for them it is a warning.
fn unknown_envs_and_tags(prog: &Program, world: &World, only: Option<&[String]>, out: &mut Outcome) {
    if world.envs.is_empty() {
        return;
    }
    let names: Vec<&str> = world.envs.iter().map(|e| e.name.as_str()).collect();
    let mut tags: Vec<&str> = world.envs.iter().flat_map(|e| e.tags.iter().map(String::as_str)).collect();
    tags.sort_unstable();
    tags.dedup();
    let list = |v: &[&str]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    for rule in prog.rules.iter().filter(|r| only.is_none_or(|ids| ids.contains(&r.id))) {
        let builtin = rule.origin.starts_with("<stdlib>") || rule.origin.starts_with("<prelude>");
        let (file, line) = match rule.origin.rsplit_once(':') {
            Some((f, l)) => (f.to_string(), l.parse().unwrap_or(0)),
            None => (rule.origin.clone(), 0),
        };
        let mut report = |code: &str, message: String| {
            if builtin {
                out.warnings.push(Notice { code: code.into(), file: rule.origin.clone(), line: 0, message });
            } else {
                out.errors.push(RunError { code: code.into(), file: file.clone(), line, column: 0, message });
            }
        };
        for env in &rule.named_envs {
            if world.env_by_name(env).is_none() {
                let hint = match crate::diag::did_you_mean(env, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(
                    "parity::rule::unknown-env",
                    format!(
                        "rule `{}` names env `{env}`, which no loaded env has; {hint}loaded envs: {}",
                        rule.id,
                        list(&names)
                    ),
                );
            }
        }
        for tag in &rule.named_tags {
            if !tags.contains(&tag.as_str()) {
                let hint = match crate::diag::did_you_mean(tag, tags.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(
                    "parity::rule::unknown-tag",
                    format!(
                        "rule `{}` names env tag `{tag}`, which no loaded env has; {hint}tags of the loaded envs: {}",
                        rule.id,
                        list(&tags)
                    ),
                );
            }
        }
    }
}

/// Evaluates every rule of a program over a world.
pub fn run<'w>(prog: &'w Program, world: &'w World, opts: &Options) -> Outcome {
    let mut out = Outcome::default();
    unknown_envs_and_tags(prog, world, opts.only, &mut out);
    let units = plan(prog, world, opts.only);
    let total = units.len();
    let done = AtomicUsize::new(0);
    let files = FileCache::new(world, opts.stdin_text);
    let spent: Vec<AtomicUsize> = prog.rules.iter().map(|_| AtomicUsize::new(0)).collect();
    // Each rule's budget for the whole run; a rule over it stops everywhere.
    let meters: Arc<[Meter]> =
        prog.rules.iter().map(|_| Meter::new(opts.rule_step_budget, opts.rule_time_budget)).collect();
    // Runs `f`, adding its time to the rule's when timings are on.
    let timed = |rule: usize, f: &mut dyn FnMut()| {
        let started = opts.timings.then(std::time::Instant::now);
        f();
        if let Some(t) = started {
            spent[rule].fetch_add(t.elapsed().as_nanos() as usize, Ordering::Relaxed);
        }
    };
    let run_unit = |vm: &mut Vm<'w>, u: &Unit<'w>| {
        let mut o = Outcome::default();
        match u {
            Unit::Each { checks, subjects } => {
                for s in subjects {
                    for &(rule, check) in checks {
                        if meters[rule].stopped() {
                            continue;
                        }
                        vm.meter(&meters, rule);
                        timed(rule, &mut || each_subject(vm, prog, world, rule, check, s.val(), &files, &mut o));
                    }
                }
            }
            Unit::Whole { rule, check } => {
                o.matched.insert(*rule);
                if !meters[*rule].stopped() {
                    vm.meter(&meters, *rule);
                    timed(*rule, &mut || whole(vm, prog, world, *rule, *check, &mut o));
                }
            }
        }
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = opts.progress {
            p(n, total);
        }
        o
    };
    // One VM per thread, taking units from a shared queue in order: the
    // VM's caches of subject-independent values (a whole env's images, say)
    // are then built once per thread, where a VM per rayon job built them
    // for each of a dozen or more jobs. A worker that starts late finds the
    // queue empty.
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().max(1);
    let mut results: Vec<(usize, Outcome)> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .flat_map_iter(|_| {
            let mut vm = Vm::new(prog, world).with_budget(opts.step_budget);
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(u) = units.get(i) else { break };
                mine.push((i, run_unit(&mut vm, u)));
            }
            vm.flush_meters();
            mine
        })
        .collect();
    results.sort_by_key(|(i, _)| *i);
    let results = results.into_iter().map(|(_, o)| o);
    if opts.timings {
        let mut by_rule: Vec<(usize, &str)> =
            spent.iter().zip(&prog.rules).map(|(t, r)| (t.load(Ordering::Relaxed), r.id.as_str())).collect();
        by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        for (nanos, id) in by_rule.iter().filter(|(t, _)| *t > 0) {
            eprintln!("parity:   {id} {:.1} ms", *nanos as f64 / 1e6);
        }
    }
    out.findings.extend(duplicate_findings(world, &files));
    let mut over_budget: Vec<(usize, RunError)> = Vec::new();
    for r in results {
        out.findings.extend(r.findings);
        out.errors.extend(r.errors);
        out.warnings.extend(r.warnings);
        out.excepted += r.excepted;
        out.waived.extend(r.waived);
        out.matched.extend(r.matched);
        over_budget.extend(r.over_budget);
    }
    // Subjects over their own budget: one error per rule, the first subject
    // (in plan order) named, the others counted.
    let mut first: BTreeMap<usize, (RunError, usize)> = BTreeMap::new();
    for (rule, e) in over_budget {
        first.entry(rule).or_insert((e, 0)).1 += 1;
    }
    for (rule, (mut e, n)) in first {
        if meters[rule].stopped() {
            continue;
        }
        if n > 1 {
            e.message = format!("{} ({} more subjects of the rule too)", e.message, n - 1);
        }
        out.errors.push(e);
    }
    // A rule over its run budget: its findings so far depend on the order
    // threads took the work, so none is reported; one error says why.
    for (rule, meter) in prog.rules.iter().zip(meters.iter()) {
        if !meter.stopped() {
            continue;
        }
        out.findings.retain(|f| f.rule != rule.id);
        out.waived.retain(|w| w.finding.rule != rule.id);
        out.errors.push(rule_budget_error(rule, meter));
    }
    out.unmatched =
        prog.rules.iter().enumerate().filter(|(i, _)| !out.matched.contains(i)).map(|(_, r)| r.id.clone()).collect();
    out
}

/// One error finding per object whose kind, namespace and name an earlier
/// object of the same env already has: kubectl would apply only one of them,
/// and a counterpart lookup could pick either, so neither verdict is sure.
fn duplicate_findings(world: &World, files: &FileCache) -> Vec<Finding> {
    let mut out = Vec::new();
    for env in &world.envs {
        for &(first, repeat) in &env.duplicates {
            let (a, b) = (&env.objects[first as usize], &env.objects[repeat as usize]);
            let (la, lb) = (location(world, a, None, files), location(world, b, None, files));
            let message = format!(
                "{} is defined twice in env {}: here and at {}:{}; only one of them would be applied",
                object_label(b),
                env.name,
                la.file,
                la.line
            );
            let mut evidence = serde_json::Map::new();
            evidence.insert("also defined at".into(), Json::String(format!("{}:{}", la.file, la.line)));
            out.push(Finding {
                rule: DUPLICATE_OBJECT.into(),
                severity: Severity::Error,
                env: env.name.clone(),
                api_version: lb.api_version.clone(),
                kind: lb.kind.clone(),
                namespace: lb.namespace.clone(),
                name: lb.name.clone(),
                file: lb.file.clone(),
                line: lb.line,
                message,
                evidence: Json::Object(evidence),
                related: vec![la],
            });
        }
    }
    out
}

/// The one error of a rule that passed its run budget.
fn rule_budget_error(rule: &Rule, meter: &Meter) -> RunError {
    let limit = if meter.steps() > meter.max_steps() {
        format!("{} evaluation steps (`--rule-budget`)", meter.max_steps())
    } else {
        format!("{} s of evaluation (`--rule-timeout`)", meter.max_time().as_secs_f64())
    };
    RunError {
        code: "parity::eval::rule-budget".into(),
        file: rule.origin.clone(),
        line: 0,
        column: 0,
        message: format!(
            "rule `{}` was stopped: it took more than its budget for one run of {limit}; none of its findings \
             are reported. Narrow its domain or raise the budget",
            rule.id
        ),
    }
}

/// Splits the work: the `Each` checks grouped by domain, each group into
/// chunks of subjects.
fn plan<'w>(prog: &Program, world: &'w World, only: Option<&[String]>) -> Vec<Unit<'w>> {
    let mut units = Vec::new();
    // (domain, checks over it), in the order first seen.
    let mut groups: Vec<(u32, Vec<(usize, usize)>)> = Vec::new();
    for (ri, rule) in prog.rules.iter().enumerate() {
        if only.is_some_and(|ids| !ids.contains(&rule.id)) {
            continue;
        }
        for (ci, check) in rule.checks.iter().enumerate() {
            match &check.kind {
                CheckKind::Each { domain, .. } => {
                    let source = &prog.domains[*domain as usize].source;
                    match groups.iter_mut().find(|(d, _)| prog.domains[*d as usize].source == *source) {
                        Some((_, checks)) => checks.push((ri, ci)),
                        None => groups.push((*domain, vec![(ri, ci)])),
                    }
                }
                CheckKind::Agree { .. } | CheckKind::Global { .. } => units.push(Unit::Whole { rule: ri, check: ci }),
            }
        }
    }
    for (domain, checks) in groups {
        let subjects = subjects(prog, world, domain);
        // A few large units per group rather than many small ones: values a
        // check computes once per VM (a whole env's images, say) are then
        // computed a few times, not once per 512 subjects.
        let threads = rayon::current_num_threads().max(1);
        let size = CHUNK.max(subjects.len().div_ceil(4 * threads));
        for chunk in subjects.chunks(size) {
            units.push(Unit::Each { checks: checks.clone(), subjects: chunk.to_vec() });
        }
    }
    units
}

/// The subjects of a top-level domain.
fn subjects<'w>(prog: &Program, world: &'w World, domain: u32) -> Vec<Subject<'w>> {
    match &prog.domains[domain as usize].source {
        DomainSource::Envs(sel) => {
            select_envs(world, &prog.env_sels[*sel as usize], None).into_iter().map(Subject::Env).collect()
        }
        DomainSource::Objects { kinds, envs, .. } => {
            let env_ids: Vec<EnvId> = match envs {
                EnvScope::Sel(sel, _) => select_envs(world, &prog.env_sels[*sel as usize], None),
                _ => (0..world.envs.len() as EnvId).collect(),
            };
            let mut out = Vec::new();
            for e in env_ids {
                let env = &world.envs[e as usize];
                match kinds {
                    Some(kinds) => {
                        for k in kinds {
                            out.extend(env.of_kind(k).iter().map(|i| Subject::Obj(&env.objects[*i as usize])));
                        }
                    }
                    None => out.extend(env.objects.iter().map(Subject::Obj)),
                }
            }
            out
        }
        DomainSource::Values => Vec::new(),
    }
}

fn env_of(s: &Val) -> Option<EnvId> {
    match s {
        Val::Env(e) => Some(*e),
        Val::Obj(o) => Some(o.env),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn each_subject<'w>(
    vm: &mut Vm<'w>,
    prog: &'w Program,
    world: &'w World,
    ri: usize,
    ci: usize,
    subject: Val<'w>,
    files: &FileCache,
    out: &mut Outcome,
) {
    let rule = &prog.rules[ri];
    let check = &rule.checks[ci];
    let CheckKind::Each { filter, pred, fire_when, .. } = &check.kind else { return };
    let env = env_of(&subject);
    vm.bind(check.slots, subject.clone(), env);
    // A `no X where C` rule that passes has, by design, no subject passing
    // its filter: it counts as matched when its noun had any subject, so the
    // matched-nothing note does not fire for every passing `no` rule.
    let mut examined = *fire_when;
    let result = (|| -> Result<bool, crate::vm::EvalError> {
        if let Some(f) = filter
            && !vm.run(*f)?.truthy()
        {
            return Ok(false);
        }
        examined = true;
        Ok(vm.run(*pred)?.truthy() == *fire_when)
    })();
    if examined {
        out.matched.insert(ri);
    }
    match result {
        Ok(false) => {}
        Ok(true) => {
            if excepted(vm, rule, check.slots, &subject, env) {
                out.excepted += 1;
                return;
            }
            // Trace the filter (for the objects that triggered an env-level
            // rule) and the predicate (for the evidence).
            vm.bind(check.slots, subject.clone(), env);
            let mut items = Vec::new();
            if let Some(f) = filter
                && let Ok((_, t)) = vm.run_traced(*f)
            {
                items.extend(t.into_iter().map(|i| (true, i)));
            }
            if let Ok((_, t)) = vm.run_traced(*pred) {
                items.extend(t.into_iter().map(|i| (false, i)));
            }
            let f = finding(vm, world, rule, ci, &subject, env, &items, *fire_when, files);
            match (&subject, annotation_waiver(&subject, &rule.id)) {
                (_, Waiver::None) => out.findings.push(f),
                (_, Waiver::Reason(reason)) => {
                    out.waived.push(Waived { finding: f, reason, waived_by: "annotation".into(), owner: String::new() })
                }
                (Val::Obj(o), Waiver::NoReason) => {
                    let mut meta = f.clone();
                    meta.rule = IGNORE_WITHOUT_REASON.into();
                    meta.severity = Severity::Error;
                    meta.message = format!(
                        "{} {} waives rules with `{IGNORE_ANNOTATION}` but gives no `{IGNORE_REASON_ANNOTATION}`; the waiver is not applied",
                        o.kind, o.name
                    );
                    meta.evidence = Json::Object(Default::default());
                    meta.related.clear();
                    out.findings.push(meta);
                    out.findings.push(f);
                }
                (_, Waiver::NoReason) => out.findings.push(f),
            }
        }
        Err(e) => eval_failed(out, ri, rule, world, &subject, e),
    }
}

/// Records an evaluation that did not finish: a budget error is kept for
/// one error per rule; a rule over its run budget is reported once, at the
/// end.
fn eval_failed(out: &mut Outcome, ri: usize, rule: &Rule, world: &World, subject: &Val, e: EvalError) {
    match e {
        EvalError::RuleBudget => {}
        e => out.over_budget.push((ri, eval_error(rule, world, subject, e))),
    }
}

enum Waiver {
    None,
    Reason(String),
    NoReason,
}

/// Whether the subject's annotations waive this rule, and with what reason.
fn annotation_waiver(subject: &Val, rule: &str) -> Waiver {
    let Val::Obj(o) = subject else { return Waiver::None };
    let Some(ann) = o.value().get("metadata").and_then(|m| m.get("annotations")) else { return Waiver::None };
    let Some(list) = ann.str_field(IGNORE_ANNOTATION) else { return Waiver::None };
    if !list.split(',').map(str::trim).any(|r| r == rule || r == "*") {
        return Waiver::None;
    }
    match ann.str_field(IGNORE_REASON_ANNOTATION).map(str::trim) {
        Some(reason) if !reason.is_empty() => Waiver::Reason(reason.to_string()),
        _ => Waiver::NoReason,
    }
}

fn excepted<'w>(vm: &mut Vm<'w>, rule: &Rule, slots: u16, subject: &Val<'w>, env: Option<EnvId>) -> bool {
    let Some(code) = rule.except else { return false };
    vm.bind(slots, subject.clone(), env);
    vm.run(code).map(|v| v.truthy()).unwrap_or(false)
}

fn eval_error(rule: &Rule, world: &World, subject: &Val, e: crate::vm::EvalError) -> RunError {
    let what = match subject {
        Val::Obj(o) => format!(" on {} in env `{}`", object_label(o), world.envs[o.env as usize].name),
        Val::Env(e) => format!(" on env `{}`", world.envs[*e as usize].name),
        _ => String::new(),
    };
    let (code, advice) = match e {
        crate::vm::EvalError::Budget(_)
        | crate::vm::EvalError::TooCostly(..)
        | crate::vm::EvalError::QueryTooLarge(_)
        | crate::vm::EvalError::RuleBudget => ("parity::eval::budget", "the rule is too costly for this input"),
        crate::vm::EvalError::Internal(_) => {
            ("parity::eval::internal", "this is a bug in parity; please report it with the rule and the input")
        }
    };
    RunError {
        code: code.into(),
        file: rule.origin.clone(),
        line: 0,
        column: 0,
        message: format!("rule `{}`{what}: {e}; {advice}", rule.id),
    }
}

#[allow(clippy::too_many_arguments)]
fn finding<'w>(
    vm: &mut Vm<'w>,
    world: &'w World,
    rule: &Rule,
    ci: usize,
    subject: &Val<'w>,
    env: Option<EnvId>,
    items: &[(bool, TraceItem<'w>)],
    fire_when: bool,
    files: &FileCache,
) -> Finding {
    let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    let mut evidence: BTreeMap<String, Json> = BTreeMap::new();
    let mut related = Vec::new();
    let mut field: Option<u32> = None;
    let mut element_path: Option<Vec<crate::load::PathSeg>> = None;
    for (in_filter, item) in items {
        match item {
            TraceItem::Element { label, elem } => {
                if let Val::Obj(o) = elem {
                    related.push(location(world, o, None, files));
                }
                if *in_filter {
                    continue;
                }
                // A counterexample inside the subject (a container): its line.
                if let (None, Val::J(j), Val::Obj(o)) = (&element_path, elem, subject) {
                    element_path = path_to(o.value(), *j);
                }
                let entry = evidence.entry(label.clone()).or_insert_with(|| Json::Array(vec![]));
                if let Json::Array(a) = entry {
                    a.push(Json::String(element_label(elem, &names)));
                }
            }
            TraceItem::Compared { lhs, lhs_val, rhs, rhs_val, holds } if !in_filter && *holds == fire_when => {
                if !lhs.is_empty() {
                    evidence.insert(lhs.clone(), to_json_with(lhs_val, &names));
                }
                if !rhs.is_empty() {
                    evidence.insert(rhs.clone(), to_json_with(rhs_val, &names));
                }
            }
            TraceItem::Missing { envs } if !in_filter => {
                evidence
                    .insert("missing in".into(), Json::Array(envs.iter().map(|e| Json::String(names(*e))).collect()));
                if let Val::Obj(o) = subject {
                    // Point at the counterparts that do exist.
                    for (i, other) in world.envs.iter().enumerate() {
                        if i as EnvId == o.env || envs.contains(&(i as EnvId)) {
                            continue;
                        }
                        if let Some(j) = world.envs[o.env as usize].counterpart_in(o, other) {
                            related.push(location(world, &other.objects[j as usize], None, files));
                        }
                    }
                }
            }
            TraceItem::Field { path } if field.is_none() && !in_filter => field = Some(*path),
            _ => {}
        }
    }
    let evidence = Json::Object(evidence.into_iter().collect());
    let message = message(vm, rule, ci, subject, env, &evidence);
    let env_name = env.map(names).unwrap_or_default();
    match subject {
        Val::Obj(o) => {
            let loc = match element_path {
                Some(p) => {
                    let line = files.concrete_line(o, &p);
                    let mut l = location(world, o, None, files);
                    l.line = line.unwrap_or(l.line);
                    l
                }
                None => {
                    let path = field.map(|p| vm_path(vm, p));
                    location(world, o, path.as_deref(), files)
                }
            };
            Finding {
                rule: rule.id.clone(),
                severity: rule.severity,
                env: env_name,
                api_version: loc.api_version,
                kind: loc.kind,
                namespace: loc.namespace,
                name: loc.name,
                file: loc.file,
                line: loc.line,
                message,
                evidence,
                related,
            }
        }
        _ => Finding { related, ..env_finding(rule, env_name, message, evidence) },
    }
}

fn vm_path(vm: &Vm, p: u32) -> Vec<PathSeg> {
    vm.path_segs(p).to_vec()
}

/// An element named the way a person would: an object by kind and name, a
/// container or port by its `name`, anything else as compact JSON.
fn element_label(v: &Val, names: &dyn Fn(EnvId) -> String) -> String {
    match v {
        Val::Obj(o) => object_label(o),
        Val::Env(e) => names(*e),
        other => match other.get_key("name").as_str() {
            Some(n) => n.to_string(),
            None => display(other, names),
        },
    }
}

fn message<'w>(
    vm: &mut Vm<'w>,
    rule: &Rule,
    ci: usize,
    subject: &Val<'w>,
    env: Option<EnvId>,
    evidence: &Json,
) -> String {
    let evidence_text = || {
        evidence
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k}: {}", compact(v))).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    };
    let check = &rule.checks[ci];
    let Some(pieces) = &check.message else {
        let base =
            if rule.title.is_empty() { format!("violates `{}`", one_line(&rule.body)) } else { rule.title.clone() };
        return match evidence.get("missing in") {
            Some(Json::Array(envs)) if !envs.is_empty() => {
                let list: Vec<String> = envs.iter().filter_map(|e| e.as_str().map(str::to_string)).collect();
                format!("{base}: missing in {}", list.join(", "))
            }
            _ => base,
        };
    };
    let mut out = String::new();
    let slots = rule.checks.iter().map(|c| c.slots).max().unwrap_or(2);
    for p in pieces {
        match p {
            Piece::Lit(s) => out.push_str(s),
            Piece::Evidence => out.push_str(&evidence_text()),
            Piece::Expr(code) => {
                vm.bind(slots, subject.clone(), env);
                // The filter stores the names the subject phrase binds
                // (counterparts) in the slots the template reads.
                if let CheckKind::Each { filter: Some(f), .. } = &check.kind {
                    let _ = vm.run(*f);
                }
                let world = vm.world();
                let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
                let text = match vm.run(*code) {
                    Ok(v) => display(&v, &names),
                    Err(_) => "<error>".into(),
                };
                out.push_str(&text);
            }
        }
    }
    out
}

fn compact(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Array(a) => a.iter().map(compact).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn whole<'w>(vm: &mut Vm<'w>, prog: &'w Program, world: &'w World, ri: usize, ci: usize, out: &mut Outcome) {
    let rule = &prog.rules[ri];
    let check = &rule.checks[ci];
    let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    match &check.kind {
        CheckKind::Global { pred } => {
            vm.bind(check.slots, Val::Absent, None);
            match vm.run(*pred) {
                Ok(v) if v.truthy() => {}
                Ok(_) => {
                    // Trace it again for what was examined and found.
                    vm.bind(check.slots, Val::Absent, None);
                    let items = vm.run_traced(*pred).map(|(_, t)| t).unwrap_or_default();
                    let (evidence, summary) = whole_world_evidence(world, &items);
                    let mut message = message(vm, rule, ci, &Val::Absent, None, &evidence);
                    if check.message.is_none() {
                        message = format!("{message}: {summary}");
                    }
                    out.findings.push(env_finding(rule, String::new(), message, evidence));
                }
                Err(e) => eval_failed(out, ri, rule, world, &Val::Absent, e),
            }
        }
        CheckKind::Agree { envs, filter, value } => {
            let DomainSource::Envs(sel) = &prog.domains[*envs as usize].source else { return };
            let mut values: Vec<(EnvId, Val<'w>)> = Vec::new();
            let selected = select_envs(world, &prog.env_sels[*sel as usize], None);
            // The reference env, or the last selected env when the selection
            // leaves the reference env out on purpose (`in envs tagged nonprod`).
            let Some(&reference) = selected.iter().max() else { return };
            for e in selected {
                vm.bind(check.slots, Val::Env(e), Some(e));
                let pass = match filter {
                    Some(f) => run_bool(vm, *f),
                    None => Ok(true),
                };
                match pass.and_then(|p| if p { vm.run(*value).map(Some) } else { Ok(None) }) {
                    Ok(Some(v)) => values.push((e, v)),
                    Ok(None) => {}
                    Err(err) => eval_failed(out, ri, rule, world, &Val::Env(e), err),
                }
            }
            if values.is_empty() {
                return;
            }
            let ref_env = reference;
            let Some(ref_val) = values.iter().find(|(e, _)| *e == reference).map(|(_, v)| v.clone()) else {
                // The envs that have a value cannot be compared with the
                // reference env: say so once, on the reference env.
                let have: Vec<String> = values.iter().map(|(e, _)| names(*e)).collect();
                let mut ev = serde_json::Map::new();
                ev.insert("reference env".into(), Json::String(names(reference)));
                ev.insert("envs with a value".into(), Json::Array(have.iter().cloned().map(Json::String).collect()));
                let evidence = Json::Object(ev);
                let mut message = message(vm, rule, ci, &Val::Env(reference), Some(reference), &evidence);
                if check.message.is_none() {
                    message = format!(
                        "{message}: the reference env {} has no value to compare with ({} {})",
                        names(reference),
                        have.join(", "),
                        if have.len() == 1 { "has one" } else { "have one" }
                    );
                }
                out.findings.push(env_finding(rule, names(reference), message, evidence));
                return;
            };
            for (e, v) in &values {
                if *e == ref_env || equal(v, &ref_val) || both_empty(v, &ref_val) {
                    continue;
                }
                if excepted(vm, rule, check.slots, &Val::Env(*e), Some(*e)) {
                    out.excepted += 1;
                    continue;
                }
                let mut ev = serde_json::Map::new();
                ev.insert(names(*e), to_json_with(v, &names));
                ev.insert(names(ref_env), to_json_with(&ref_val, &names));
                let evidence = Json::Object(ev);
                let mut message = message(vm, rule, ci, &Val::Env(*e), Some(*e), &evidence);
                if check.message.is_none() {
                    message = format!(
                        "{message}: {} has {}, reference env {} has {}",
                        names(*e),
                        display(v, &names),
                        names(ref_env),
                        display(&ref_val, &names)
                    );
                }
                out.findings.push(env_finding(rule, names(*e), message, evidence));
            }
        }
        CheckKind::Each { .. } => {}
    }
}

/// Evidence for a whole-world verdict (`some ...`, `at least N ...`): the
/// envs examined and the elements found, with a one-line summary.
fn whole_world_evidence(world: &World, items: &[TraceItem]) -> (Json, String) {
    let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    let mut envs: Vec<EnvId> = items
        .iter()
        .filter_map(|i| match i {
            TraceItem::Scanned { envs } => Some(envs.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    envs.sort_unstable();
    envs.dedup();
    let found: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            TraceItem::Element { elem, .. } => Some(element_label(elem, &names)),
            _ => None,
        })
        .collect();
    let env_names: Vec<String> = envs.iter().map(|e| names(*e)).collect();
    let mut ev = serde_json::Map::new();
    ev.insert("envs examined".into(), Json::Array(env_names.iter().cloned().map(Json::String).collect()));
    ev.insert("found".into(), Json::from(found.len()));
    const SHOWN: usize = 20;
    if !found.is_empty() {
        ev.insert("matching".into(), Json::Array(found.iter().take(SHOWN).cloned().map(Json::String).collect()));
    }
    let where_ = match env_names.len() {
        0 => "no env".to_string(),
        1 => format!("env {}", env_names[0]),
        _ => format!("envs {}", env_names.join(", ")),
    };
    let what = match found.len() {
        0 => "found none".to_string(),
        n if n <= SHOWN => format!("found {n} ({})", found.join(", ")),
        n => format!("found {n} ({}, ...)", found[..SHOWN].join(", ")),
    };
    (Json::Object(ev), format!("{what} in {where_}"))
}

fn both_empty(a: &Val, b: &Val) -> bool {
    a.is_empty() && b.is_empty()
}

fn run_bool(vm: &mut Vm, code: Code) -> Result<bool, crate::vm::EvalError> {
    vm.run(code).map(|v| v.truthy())
}

fn env_finding(rule: &Rule, env: String, message: String, evidence: Json) -> Finding {
    Finding {
        rule: rule.id.clone(),
        severity: rule.severity,
        env,
        api_version: String::new(),
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        file: String::new(),
        line: 0,
        message,
        evidence,
        related: Vec::new(),
    }
}

/// An object's location; with a field path, the line of that field (or of
/// its nearest existing parent).
fn location(world: &World, o: &Object, path: Option<&[PathSeg]>, files: &FileCache) -> Location {
    let line = path.and_then(|p| files.field_line(o, p)).unwrap_or(o.line);
    Location {
        env: world.envs.get(o.env as usize).map(|e| e.name.clone()).unwrap_or_default(),
        api_version: o.api_version().to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.as_deref().unwrap_or("").to_string(),
        name: o.name.to_string(),
        file: world.files.get(o.file as usize).cloned().unwrap_or_default(),
        line,
    }
}

/// Source texts, kept by the loader for files whose trees recorded no lines
/// (see `tree_line`), to find the line of a field in a finding. A file is
/// never opened again (by its display name or otherwise): a file without a
/// kept text gives its object's line.
struct FileCache<'a> {
    world: &'a World,
    stdin: Option<Arc<String>>,
}

impl<'a> FileCache<'a> {
    fn new(world: &'a World, stdin: Option<&'a str>) -> FileCache<'a> {
        FileCache { world, stdin: stdin.map(|s| Arc::new(s.to_string())) }
    }

    fn text(&self, file: u32) -> Option<Arc<String>> {
        if let Some(Some(text)) = self.world.texts.get(file as usize) {
            return Some(text.clone());
        }
        let name = self.world.files.get(file as usize)?;
        if name == crate::load::STDIN { self.stdin.clone() } else { None }
    }

    fn field_line(&self, o: &Object, path: &[PathSeg]) -> Option<u32> {
        let segs = concrete_path(o, path)?;
        self.concrete_line(o, &segs)
    }

    fn concrete_line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> Option<u32> {
        if segs.is_empty() {
            return None;
        }
        if let Some(line) = tree_line(o.value(), segs) {
            return Some(line);
        }
        let text = self.text(o.file)?;
        crate::load::locate::field_line_at(&text, o.doc_offset as usize, o.line, segs)
    }
}

/// The line of the deepest node along `segs` from `root`, from the lines
/// the tree recorded while loading; `None` where one is not known (a tree
/// the general YAML parser or the JSON parser built, an empty value), and
/// the file is parsed again instead.
fn tree_line(root: NodeRef, segs: &[crate::load::PathSeg]) -> Option<u32> {
    use crate::load::PathSeg as L;
    let mut node = root;
    for seg in segs {
        let next = match seg {
            L::Key(k) => node.get(k),
            L::Index(i) => node.at(*i),
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node.line()
}

/// The path from `root` to the node `target` (found by identity: elements
/// of nested collections are nodes of their object's tree).
fn path_to(root: NodeRef, target: NodeRef) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    if root == target {
        return Some(Vec::new());
    }
    // Depth first, in key (or element) order; only the keys on the path
    // found are copied.
    let (seg, mut rest) = if root.is_map() {
        root.entries().find_map(|(k, v)| path_to(v, target).map(|rest| (L::Key(k.to_string()), rest)))
    } else {
        root.iter().enumerate().find_map(|(i, v)| path_to(v, target).map(|rest| (L::Index(i), rest)))
    }?;
    rest.insert(0, seg);
    Some(rest)
}

/// An interned path as concrete keys in the object's source, as far as it
/// can be followed (the pod spec is expanded per kind).
fn concrete_path(o: &Object, path: &[PathSeg]) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    let mut out = Vec::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => out.push(L::Key(k.clone())),
            PathSeg::Index(i) if *i >= 0 => out.push(L::Index(*i as usize)),
            PathSeg::PodSpec => out.extend(pod_spec_path(&o.kind)?.iter().map(|k| L::Key(k.to_string()))),
            _ => break,
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
