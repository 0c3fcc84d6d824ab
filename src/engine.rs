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

use crate::bytecode::{CheckKind, Code, DomainId, DomainSource, EnvScope, Op, PathId, PathSeg, Piece, Program, Rule};
use crate::report::{Finding, Location, Notice, RunError, Severity, Waived};
use crate::vm::value::{Val, equal, object_label, to_json_with};
use crate::vm::{EvalError, Meter, TraceItem, Vm, select_envs};
use crate::waive::annotations::{self, Waiver};
use crate::world::tree::NodeRef;
use crate::world::{EnvId, Object, World, pod_spec_path};
pub use error::EngineError;

mod drift;
pub mod error;
mod findings;
mod locations;
mod messages;
pub use drift::{FieldLines, TOLERANCE_UNUSED};
use findings::*;
use locations::*;
use messages::*;

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
    /// Per tolerance of the program, whether it allowed a difference.
    tolerances_used: Vec<bool>,
    /// `matches` comparisons made.
    drift_runs: u64,
}

/// The error finding for two objects with one identity in one env.
pub const DUPLICATE_OBJECT: &str = "parity/duplicate-object";

/// Options of one run.
pub struct Options<'a> {
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
    /// Cut a code frame for each finding on an object (`Finding::frame`;
    /// only the human report shows them). Without, files are read again
    /// after the rules only for the lines their trees did not record.
    pub frames: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            progress: None,
            step_budget: crate::vm::DEFAULT_STEP_BUDGET,
            rule_step_budget: crate::vm::DEFAULT_RULE_STEP_BUDGET,
            rule_time_budget: crate::vm::DEFAULT_RULE_TIME_BUDGET,
            only: None,
            timings: false,
            frames: true,
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

/// Evaluates every rule of a program over a world.
pub fn run<'w>(prog: &'w Program, world: &'w World, opts: &Options) -> Outcome {
    crate::vm::schema_fns::new_run();
    let mut out = Outcome::default();
    unknown_envs_and_tags(prog, world, opts.only, &mut out);
    let units = plan(prog, world, opts.only);
    let total = units.len();
    let done = AtomicUsize::new(0);
    let files = FileCache::new(world, opts.frames);
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
                    if let Subject::Obj(o) = s {
                        o.warm();
                    }
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
            let used = Outcome {
                tolerances_used: vm.tolerances_used().to_vec(),
                drift_runs: vm.drift_runs(),
                ..Outcome::default()
            };
            mine.push((usize::MAX, used));
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
            crate::timing::record(format!("parity:   {id} {:.1} ms", *nanos as f64 / 1e6));
        }
    }
    out.findings.extend(duplicate_findings(world, &files));
    let mut over_budget: Vec<(usize, RunError)> = Vec::new();
    let mut used = vec![false; prog.tolerances.len()];
    let mut drift_runs = 0;
    for r in results {
        for (u, x) in used.iter_mut().zip(&r.tolerances_used) {
            *u |= *x;
        }
        drift_runs += r.drift_runs;
        out.findings.extend(r.findings);
        out.errors.extend(r.errors);
        out.warnings.extend(r.warnings);
        out.excepted += r.excepted;
        out.waived.extend(r.waived);
        out.matched.extend(r.matched);
        over_budget.extend(r.over_budget);
    }
    // Lines and code frames, from the files with findings, read again.
    let started = std::time::Instant::now();
    settle(&files, &mut out.findings, &mut out.waived, &mut out.warnings);
    crate::timing::phase("findings' lines", started);
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
    if drift_runs > 0 {
        out.findings.extend(drift::unused_tolerances(prog, &used));
    }
    out.unmatched =
        prog.rules.iter().enumerate().filter(|(i, _)| !out.matched.contains(i)).map(|(_, r)| r.id.clone()).collect();
    out
}

/// Splits the work: the `Each` checks grouped by domain, each group into
/// chunks of subjects.
fn plan<'w>(prog: &Program, world: &'w World, only: Option<&[String]>) -> Vec<Unit<'w>> {
    let mut units = Vec::new();
    // (domain, checks over it), in the order first seen.
    let mut groups: Vec<(DomainId, Vec<(usize, usize)>)> = Vec::new();
    for (ri, rule) in prog.rules.iter().enumerate() {
        if only.is_some_and(|ids| !ids.contains(&rule.id)) {
            continue;
        }
        for (ci, check) in rule.checks.iter().enumerate() {
            match &check.kind {
                CheckKind::Each { domain, .. } => {
                    let source = &prog.domains[domain.index()].source;
                    match groups.iter_mut().find(|(d, _)| prog.domains[d.index()].source == *source) {
                        Some((_, checks)) => checks.push((ri, ci)),
                        None => groups.push((*domain, vec![(ri, ci)])),
                    }
                }
                CheckKind::Agree { .. } | CheckKind::Global { .. } => units.push(Unit::Whole { rule: ri, check: ci }),
            }
        }
    }
    // Checks that memoise a comprehension over objects (a whole env's
    // images, say) get a unit of their own, taken first: that value is then
    // computed by one VM, where a check split into chunks had every thread
    // compute it again. The other thread meanwhile takes the chunks.
    let mut whole_first = Vec::new();
    for (domain, checks) in groups {
        let subjects = subjects(prog, world, domain);
        let (memoising, others): (Vec<_>, Vec<_>) =
            checks.into_iter().partition(|&(r, c)| memoises_objects(prog, r, c));
        if !memoising.is_empty() && !subjects.is_empty() {
            whole_first.push(Unit::Each { checks: memoising, subjects: subjects.clone() });
        }
        if others.is_empty() {
            continue;
        }
        // A few large units per group rather than many small ones: values a
        // check computes once per VM are then computed a few times, not
        // once per 512 subjects.
        let threads = rayon::current_num_threads().max(1);
        let size = CHUNK.max(subjects.len().div_ceil(4 * threads));
        for chunk in subjects.chunks(size) {
            units.push(Unit::Each { checks: others.clone(), subjects: chunk.to_vec() });
        }
    }
    whole_first.extend(units);
    whole_first
}

/// Whether a check's filter or predicate opens a comprehension over objects
/// whose value the VM memoises (`Program::invariant`).
fn memoises_objects(prog: &Program, rule: usize, check: usize) -> bool {
    let Some(CheckKind::Each { filter, pred, .. }) =
        prog.rules.get(rule).and_then(|r| r.checks.get(check)).map(|c| &c.kind)
    else {
        return false;
    };
    filter.iter().chain([pred]).any(|code| {
        prog.ops.iter().skip(code.entry as usize).take_while(|op| !matches!(op, Op::Ret)).any(|op| {
            matches!(op, Op::IterStart(d, _) if prog.invariant.contains(d)
                && matches!(prog.domains.get(d.index()).map(|x| &x.source), Some(DomainSource::Objects { .. })))
        })
    })
}

/// The subjects of a top-level domain.
fn subjects<'w>(prog: &Program, world: &'w World, domain: DomainId) -> Vec<Subject<'w>> {
    match &prog.domains[domain.index()].source {
        DomainSource::Envs(sel) => {
            select_envs(world, &prog.env_sels[sel.index()], None).into_iter().map(Subject::Env).collect()
        }
        DomainSource::Objects { kinds, envs, .. } => {
            let env_ids: Vec<EnvId> = match envs {
                EnvScope::Sel(sel, _) => select_envs(world, &prog.env_sels[sel.index()], None),
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
            for f in drift::expand(world, files, f, &subject, &items) {
                waive_or_keep(f, &subject, rule, out);
            }
        }
        Err(e) => eval_failed(out, ri, rule, world, &subject, e),
    }
}

/// Keeps a finding, or waives it when its object's annotations say so.
fn waive_or_keep(f: Finding, subject: &Val, rule: &Rule, out: &mut Outcome) {
    {
        {
            let waiver = match subject {
                Val::Obj(o) => annotations::waiver(o, &rule.id),
                _ => Waiver::None,
            };
            match (subject, waiver) {
                (_, Waiver::None) => out.findings.push(f),
                (_, Waiver::Reason(reason)) => {
                    out.waived.push(Waived { finding: f, reason, waived_by: "annotation".into(), owner: String::new() })
                }
                (Val::Obj(o), Waiver::NoReason) => {
                    out.findings.push(annotations::without_reason(&f, o));
                    out.findings.push(f);
                }
                (_, Waiver::NoReason) => out.findings.push(f),
            }
        }
    }
}

fn excepted<'w>(vm: &mut Vm<'w>, rule: &Rule, slots: u16, subject: &Val<'w>, env: Option<EnvId>) -> bool {
    let Some(code) = rule.except else { return false };
    vm.bind(slots, subject.clone(), env);
    vm.run(code).map(|v| v.truthy()).unwrap_or(false)
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
                    let (evidence, summary) = whole_world_evidence(world, &items, &check.text);
                    let mut message = message(vm, rule, ci, &Val::Absent, None, &evidence, &MsgCtx::default());
                    if check.message.is_none() {
                        message = format!("{message}: {summary}");
                    }
                    out.findings.push(env_finding(rule, String::new(), message, evidence));
                }
                Err(e) => eval_failed(out, ri, rule, world, &Val::Absent, e),
            }
        }
        CheckKind::Agree { envs, filter, value } => {
            let DomainSource::Envs(sel) = &prog.domains[envs.index()].source else { return };
            let mut values: Vec<(EnvId, Val<'w>)> = Vec::new();
            let selected = select_envs(world, &prog.env_sels[sel.index()], None);
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
                let mut ev = vec![item(&one_line(&check.text), Json::Null, &names(reference), None)];
                for (e, v) in &values {
                    ev.push(item(&one_line(&check.text), to_json_with(v, &names), &names(*e), None));
                }
                let evidence = Json::Array(ev);
                let mut message =
                    message(vm, rule, ci, &Val::Env(reference), Some(reference), &evidence, &MsgCtx::default());
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
                let evidence = Json::Array(vec![
                    item(
                        &one_line(&check.text),
                        to_json_with(v, &names),
                        &names(*e),
                        Some(to_json_with(&ref_val, &names)),
                    ),
                    item(&one_line(&check.text), to_json_with(&ref_val, &names), &names(ref_env), None),
                ]);
                let mut message = message(vm, rule, ci, &Val::Env(*e), Some(*e), &evidence, &MsgCtx::default());
                if check.message.is_none() {
                    message = format!(
                        "{message}: {} has {}, reference env {} has {}",
                        names(*e),
                        compact(&to_json_with(v, &names)),
                        names(ref_env),
                        compact(&to_json_with(&ref_val, &names))
                    );
                }
                out.findings.push(env_finding(rule, names(*e), message, evidence));
            }
        }
        CheckKind::Each { .. } => {}
    }
}

fn both_empty(a: &Val, b: &Val) -> bool {
    a.is_empty() && b.is_empty()
}

fn run_bool(vm: &mut Vm, code: Code) -> Result<bool, crate::vm::EvalError> {
    vm.run(code).map(|v| v.truthy())
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
