//! The evaluator: a stack machine over a [`Program`] and a [`World`].
//!
//! One `Vm` per rayon task; it borrows the program and the world, so values
//! point into both without copying. Every run has a step budget, so no rule
//! can hang a check: a rule that exceeds it is reported as an error.
//!
//! In trace mode (used only to explain a finding) quantifiers do not stop
//! early and the VM records the values compared, the elements that broke an
//! `every` or satisfied a `no`, and the envs missing a counterpart.

mod drift;
pub mod functions;
pub mod jsonpath;
pub(crate) mod schema_fns;
pub mod value;

mod exec;
mod iter;
mod join;
mod ops;
mod paths;

pub use iter::select_envs;
pub use ops::regex_size;
use ops::*;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bytecode::{
    Check1, Check2, Cmp, Code, ConstId, DomainId, DomainSource, EnvScope, EnvSelId, EnvSelSpec, FuncId, NsScope, Op,
    PathId, PathSeg, Program, Quant, Slot, TextId,
};
use crate::world::{EnvId, Object, World, containers};
use value::{Val, as_version, compare, equal, into_set, not_equal, typed_strings};

/// Steps one evaluation of one rule on one subject may take.
pub const DEFAULT_STEP_BUDGET: u64 = 50_000_000;

/// Steps one rule may take over a whole run, all subjects and threads
/// together (about ten seconds of evaluation on a 2-core machine; see
/// docs/limits.md).
pub const DEFAULT_RULE_STEP_BUDGET: u64 = 500_000_000;

/// Evaluation time one rule may take over a whole run, all threads together.
pub const DEFAULT_RULE_TIME_BUDGET: Duration = Duration::from_secs(10);

/// How often (in steps) an evaluation reports to its rule's [`Meter`].
const TICK: u64 = 4096;

/// An evaluation that could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("evaluation exceeded its budget of {0} steps")]
    Budget(u64),
    /// One operation would take more than the steps left.
    #[error("{0} would take about {1} steps, more than the budget of {2} steps")]
    TooCostly(&'static str, u64, u64),
    #[error("a JSONPath query selected more than {0} nodes")]
    QueryTooLarge(usize),
    /// The rule's budget for the whole run is spent (see [`Meter`]).
    #[error("the rule's budget for this run is spent")]
    RuleBudget,
    #[error("internal evaluator error: {0}")]
    Internal(&'static str),
}

/// The work one rule has done in a run, over all subjects and threads, and
/// its limits. Evaluations report to it every [`TICK`] steps; once either
/// limit is passed, every evaluation of the rule stops with
/// [`EvalError::RuleBudget`].
#[derive(Debug)]
pub struct Meter {
    steps: AtomicU64,
    nanos: AtomicU64,
    stopped: AtomicBool,
    max_steps: u64,
    max_time: Duration,
}

impl Meter {
    pub fn new(max_steps: u64, max_time: Duration) -> Meter {
        Meter {
            steps: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            max_steps,
            max_time,
        }
    }

    /// Whether the rule ran out of steps or time.
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// Steps counted so far (a multiple of the tick, or more).
    pub fn steps(&self) -> u64 {
        self.steps.load(Ordering::Relaxed)
    }

    /// Evaluation time counted so far.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    pub fn max_steps(&self) -> u64 {
        self.max_steps
    }

    pub fn max_time(&self) -> Duration {
        self.max_time
    }

    /// Adds work; false once the rule is over either limit.
    fn add(&self, steps: u64, nanos: u64) -> bool {
        let total = self.steps.fetch_add(steps, Ordering::Relaxed).saturating_add(steps);
        let time = self.nanos.fetch_add(nanos, Ordering::Relaxed).saturating_add(nanos);
        if total > self.max_steps || Duration::from_nanos(time) > self.max_time {
            self.stopped.store(true, Ordering::Relaxed);
        }
        !self.stopped()
    }
}

/// What tracing recorded.
#[derive(Debug, Clone)]
pub enum TraceItem<'w> {
    /// A comparison or test: the texts of its operands and their values.
    Compared { lhs: String, lhs_val: Val<'w>, rhs: String, rhs_val: Val<'w>, holds: bool },
    /// An element that decided a quantifier: a counterexample of `every`, a
    /// witness of `some`/`no`/counts.
    Element { label: String, elem: Val<'w>, domain: DomainId },
    /// Envs where an object has no counterpart.
    Missing { envs: Vec<EnvId> },
    /// A field path read from the subject object.
    Field { path: PathId },
    /// The envs a traced quantifier ranged over (for whole-world findings).
    Scanned { envs: Vec<EnvId> },
    /// `matches`: the object matched against, and the fields that differ.
    Drift { other: &'w Object, diffs: Vec<crate::diff::Diff> },
    /// A node of the subject a function found a problem at
    /// (`schema-problems`): the finding's line.
    At { node: crate::world::tree::NodeRef<'w> },
}

struct Trace<'w> {
    depth: usize,
    subject: Option<&'w Object>,
    items: Vec<TraceItem<'w>>,
}

enum Elems<'w> {
    Envs(Vec<EnvId>),
    Objects(Vec<ObjSeg<'w>>),
    Values(Vec<Val<'w>>),
}

enum ObjSeg<'w> {
    Idx(EnvId, &'w [u32]),
    All(EnvId, usize),
    /// A list of a join index (`join`).
    Shared(EnvId, Arc<[u32]>),
}

struct Iter<'w> {
    elems: Elems<'w>,
    seg: usize,
    pos: usize,
    slot: Slot,
    trues: u32,
    total: u32,
    label: DomainId,
    collected: Vec<Val<'w>>,
    /// Where to keep the result of an invariant comprehension.
    cache_key: Option<CacheKey>,
}

/// What an invariant comprehension's result depends on: its domain and the
/// elements it yields (env and index list, by address; the world outlives
/// the VM and never changes during a run).
type CacheKey = (DomainId, Vec<(EnvId, usize, usize)>);

fn cache_key(d: DomainId, elems: &Elems) -> Option<CacheKey> {
    match elems {
        Elems::Objects(segs) => Some((
            d,
            segs.iter()
                .map(|s| match s {
                    ObjSeg::Idx(e, list) => (*e, list.as_ptr() as usize, list.len()),
                    ObjSeg::All(e, len) => (*e, usize::MAX, *len),
                    ObjSeg::Shared(e, list) => (*e, list.as_ptr() as usize, list.len()),
                })
                .collect(),
        )),
        Elems::Envs(envs) => Some((d, envs.iter().map(|e| (*e, 0, 0)).collect())),
        Elems::Values(_) => None,
    }
}

pub struct Vm<'w> {
    prog: &'w Program,
    world: &'w World,
    stack: Vec<Val<'w>>,
    pub slots: Vec<Val<'w>>,
    iters: Vec<Iter<'w>>,
    trace: Option<Trace<'w>>,
    budget: u64,
    /// Results of invariant comprehensions (`Program::invariant`), reused
    /// across the subjects this VM evaluates: `{ images(it) for workloads in
    /// previous env }` is computed once per VM, not once per subject.
    memo: HashMap<CacheKey, Val<'w>, Hasher>,
    /// Results of one-argument built-in calls on large computed lists, by
    /// (function, list address); the entry keeps the list alive so the
    /// address cannot be reused. `flatten(<memoised set>)` runs once.
    call_memo: HashMap<(FuncId, usize), (Val<'w>, Val<'w>), Hasher>,
    /// String-membership indexes of large all-string lists, by address
    /// (again keeping the list alive), for `x in <list>`.
    in_index: HashMap<usize, (Val<'w>, StringIndex), Hasher>,
    /// Join indexes this VM fetched from the world (`join`).
    join_cache: join::JoinCache,
    /// Values of env-invariant filter conditions (`Op::EnvMemo`), by (pc
    /// of the `EnvMemo`, env): computed once per env, not once per subject.
    env_memo: HashMap<(u32, u32), Val<'w>, Hasher>,
    /// Set when code popped an empty stack: a bug, reported by `run`.
    underflow: bool,
    /// The run budgets of every rule, and the rule now being evaluated.
    meters: Option<(Arc<[Meter]>, usize)>,
    /// Steps taken per rule and not yet reported to its meter (reported a
    /// tick at a time, and by `flush_meters`).
    unmetered: Vec<u64>,
    /// When the current rule's meter was last told, once an evaluation ran
    /// past a tick: time is counted from tick to tick while evaluations of
    /// one rule follow each other on this VM.
    metered_at: Option<Instant>,
    /// Per regex of the program, the size of its program (states of the
    /// automaton): a match costs the value's length times this many steps.
    regex_sizes: Vec<u64>,
    /// Per tolerance of the program, whether it allowed a difference here.
    tol_used: Vec<bool>,
    /// Runs tolerances' `for NP` filters in the middle of a `matches`.
    tol_vm: Option<Box<Vm<'w>>>,
    /// `matches` comparisons made (of two distinct objects).
    drift_runs: u64,
    /// Values of paths without computed steps, by (base, path): a few
    /// recent ones (`PATH_CACHE`, one per hash slot, overwritten). A
    /// subject's checks run one after another on this VM, and many read
    /// the same fields of it (the containers of a workload: five rules).
    /// The world does not change during a run, so an entry never goes
    /// stale.
    path_cache: Vec<Option<PathHit<'w>>>,
    /// Per path of the program, whether `join::walk` may read it: a node
    /// walk by keys (see [`plain_path`]).
    plain_paths: Vec<bool>,
}

/// Slots of `Vm::path_cache` (a power of two).
const PATH_CACHE: usize = 64;

/// A remembered path value: its base (an object's address, or a tree's
/// address and node), its path (interned across the program by the
/// compiler, so rules reading the same steps share it) and its value.
#[derive(Clone)]
struct PathHit<'w> {
    base: (usize, u32),
    path: u32,
    value: Val<'w>,
}

/// Whether a path is read the same by walking nodes key by key as by
/// [`Vm::apply_path`]: it has steps (no steps is the base itself, an
/// object), they are keys after at most a leading pod spec step, and none
/// is `minor` or `major` (which `Vm::key` reads as a version's part, not
/// as a field). `metadata.namespace` is left to `Vm::path_value`: an
/// object's implied namespace is not in its tree.
fn plain_path(segs: &[PathSeg]) -> bool {
    let keys = match segs {
        [PathSeg::PodSpec, rest @ ..] => rest,
        all => all,
    };
    !segs.is_empty()
        && !join::namespace_path(segs)
        && keys.iter().all(|s| matches!(s, PathSeg::Key(k) if k != "minor" && k != "major"))
}

/// `PARITY_NO_ENV_MEMO` set (to anything): `Op::EnvMemo` never reuses a
/// value, so env-invariant conditions run for every subject again. For
/// comparing the two (tests, benchmarks); not a user option.
pub(super) fn env_memo_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| std::env::var_os("PARITY_NO_ENV_MEMO").is_some())
}

/// The strings of a list, or `None` when it holds anything else.
type StringIndex = Option<HashSet<Rc<str>, Hasher>>;

/// The hasher of the VM's tables (as the world's indexes): seeded per
/// process, and much faster than SipHash on the short keys looked up once
/// or more per subject.
type Hasher = foldhash::fast::RandomState;

/// Lists shorter than this are scanned; longer ones get memoised calls and
/// hashed membership.
const MEMO_MIN_LEN: usize = 64;

impl<'w> Vm<'w> {
    pub fn new(prog: &'w Program, world: &'w World) -> Vm<'w> {
        Vm {
            prog,
            world,
            stack: Vec::with_capacity(64),
            slots: Vec::new(),
            iters: Vec::new(),
            trace: None,
            budget: DEFAULT_STEP_BUDGET,
            memo: HashMap::default(),
            call_memo: HashMap::default(),
            in_index: HashMap::default(),
            join_cache: HashMap::default(),
            env_memo: HashMap::default(),
            underflow: false,
            meters: None,
            unmetered: Vec::new(),
            metered_at: None,
            regex_sizes: prog.regexes.iter().map(|r| regex_size(r.as_str())).collect(),
            tol_used: Vec::new(),
            tol_vm: None,
            drift_runs: 0,
            path_cache: vec![None; PATH_CACHE],
            plain_paths: prog.paths.iter().map(|p| plain_path(&p.segs)).collect(),
        }
    }

    /// Counts the following evaluations against rule `rule`'s run budget in
    /// `meters` (one per rule of the program).
    pub fn meter(&mut self, meters: &Arc<[Meter]>, rule: usize) {
        match &mut self.meters {
            Some((m, r)) if Arc::ptr_eq(m, meters) => {
                if *r != rule {
                    *r = rule;
                    self.metered_at = None;
                }
            }
            _ => {
                self.flush_meters();
                self.unmetered = vec![0; meters.len()];
                self.meters = Some((meters.clone(), rule));
                self.metered_at = None;
            }
        }
    }

    /// Reports every step not yet reported (at the end of a run).
    pub fn flush_meters(&mut self) {
        if let Some((m, _)) = &self.meters {
            for (meter, n) in m.iter().zip(self.unmetered.iter_mut()) {
                if *n > 0 {
                    meter.add(std::mem::take(n), 0);
                }
            }
        }
    }

    /// Reports the current rule's pending steps, and the time since the
    /// last report; false when the rule is over its budget.
    fn flush_meter(&mut self) -> bool {
        let Some((m, r)) = &self.meters else { return true };
        let now = Instant::now();
        let nanos = self.metered_at.map(|t| now.duration_since(t).as_nanos() as u64).unwrap_or(0);
        self.metered_at = Some(now);
        let steps = self.unmetered.get_mut(*r).map(std::mem::take).unwrap_or(0);
        m.get(*r).is_none_or(|m| m.add(steps, nanos))
    }

    fn current_meter(&self) -> Option<&Meter> {
        self.meters.as_ref().and_then(|(m, r)| m.get(*r))
    }

    /// Counts `n` more steps of the current evaluation (the cost of one
    /// expensive operation, before it runs): past its budget, it stops.
    fn spend(&self, steps: &mut u64, n: u64) -> Result<(), EvalError> {
        *steps = steps.saturating_add(n);
        if *steps > self.budget { Err(EvalError::Budget(self.budget)) } else { Ok(()) }
    }

    /// Reports an evaluation's steps from `reported` to `steps` to the
    /// rule's meter, every [`TICK`] steps and when it ends.
    fn tick(&mut self, reported: &mut u64, steps: u64, at_end: bool) -> Result<(), EvalError> {
        let Some((_, r)) = &self.meters else { return Ok(()) };
        let Some(pending) = self.unmetered.get_mut(*r) else { return Ok(()) };
        *pending += steps - *reported;
        *reported = steps;
        // At the end of an evaluation, a short one's steps wait for more.
        if (at_end && *pending < TICK) || self.flush_meter() { Ok(()) } else { Err(EvalError::RuleBudget) }
    }

    pub fn with_budget(mut self, budget: u64) -> Vm<'w> {
        self.budget = budget;
        self
    }

    /// Resets the slots for a check: slot 0 the subject, slot 1 its env.
    pub fn bind(&mut self, slots: u16, subject: Val<'w>, env: Option<EnvId>) {
        self.slots.clear();
        self.slots.resize_with(slots.max(2) as usize, || Val::Absent);
        self.slots[0] = subject;
        self.slots[1] = env.map(Val::Env).unwrap_or(Val::Absent);
    }

    /// Sets one slot (after `bind`): a name a message reads.
    pub fn set_slot(&mut self, slot: u16, v: Val<'w>) {
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = v;
        }
    }

    /// Runs a code block to its result. Code that pops more than it pushed
    /// is an internal error, never an `absent` that would decide a verdict.
    pub fn run(&mut self, code: Code) -> Result<Val<'w>, EvalError> {
        self.stack.clear();
        self.iters.clear();
        self.underflow = false;
        let r = self.exec(code.entry as usize);
        if self.underflow {
            return Err(EvalError::Internal("stack underflow"));
        }
        r
    }

    /// Runs a code block with tracing, returning its result and the trace.
    pub fn run_traced(&mut self, code: Code) -> Result<(Val<'w>, Vec<TraceItem<'w>>), EvalError> {
        let subject = match &self.slots[0] {
            Val::Obj(o) => Some(*o),
            _ => None,
        };
        self.trace = Some(Trace { depth: 0, subject, items: Vec::new() });
        let r = self.run(code);
        let items = self.trace.take().map(|t| t.items).unwrap_or_default();
        r.map(|v| (v, items))
    }

    fn pop(&mut self) -> Val<'w> {
        match self.stack.pop() {
            Some(v) => v,
            None => {
                self.underflow = true;
                Val::Absent
            }
        }
    }

    /// The current env (slot 1) as a key of `env_memo`.
    fn memo_env(&self) -> u32 {
        match self.slots.get(1) {
            Some(Val::Env(e)) => *e,
            _ => u32::MAX,
        }
    }

    fn tracing_here(&self) -> bool {
        self.trace.as_ref().is_some_and(|t| t.depth == self.iters.len())
    }

    fn record(&mut self, item: TraceItem<'w>) {
        if let Some(t) = &mut self.trace
            && t.items.len() < 64
        {
            t.items.push(item);
        }
    }

    fn text(&self, id: TextId) -> String {
        self.prog.texts.get(id.index()).cloned().unwrap_or_default()
    }

    pub fn world(&self) -> &'w World {
        self.world
    }

    /// The segments of an interned path.
    pub fn path_segs(&self, p: PathId) -> &[PathSeg] {
        &self.prog.paths[p.index()].segs
    }

    pub fn env_name(&self, e: EnvId) -> String {
        self.world.envs.get(e as usize).map(|e| e.name.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "vm_tests.rs"]
mod tests;
