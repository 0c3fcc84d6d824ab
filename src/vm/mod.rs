//! The evaluator: a stack machine over a [`Program`] and a [`World`].
//!
//! One `Vm` per rayon task; it borrows the program and the world, so values
//! point into both without copying. Every run has a step budget, so no rule
//! can hang a check: a rule that exceeds it is reported as an error.
//!
//! In trace mode (used only to explain a finding) quantifiers do not stop
//! early and the VM records the values compared, the elements that broke an
//! `every` or satisfied a `no`, and the envs missing a counterpart.

pub mod functions;
pub mod jsonpath;
pub mod value;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bytecode::{
    Check1, Check2, Cmp, Code, DomainSource, EnvScope, EnvSelSpec, NsScope, Op, PathSeg, Program, Quant, Slot,
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
    Element { label: String, elem: Val<'w> },
    /// Envs where an object has no counterpart.
    Missing { envs: Vec<EnvId> },
    /// A field path read from the subject object.
    Field { path: u32 },
    /// The envs a traced quantifier ranged over (for whole-world findings).
    Scanned { envs: Vec<EnvId> },
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
}

struct Iter<'w> {
    elems: Elems<'w>,
    seg: usize,
    pos: usize,
    slot: Slot,
    trues: u32,
    total: u32,
    label: u32,
    collected: Vec<Val<'w>>,
    /// Where to keep the result of an invariant comprehension.
    cache_key: Option<CacheKey>,
}

/// What an invariant comprehension's result depends on: its domain and the
/// elements it yields (env and index list, by address; the world outlives
/// the VM and never changes during a run).
type CacheKey = (u32, Vec<(EnvId, usize, usize)>);

fn cache_key(d: u32, elems: &Elems) -> Option<CacheKey> {
    match elems {
        Elems::Objects(segs) => Some((
            d,
            segs.iter()
                .map(|s| match s {
                    ObjSeg::Idx(e, list) => (*e, list.as_ptr() as usize, list.len()),
                    ObjSeg::All(e, len) => (*e, usize::MAX, *len),
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
    memo: HashMap<CacheKey, Val<'w>>,
    /// Results of one-argument built-in calls on large computed lists, by
    /// (function, list address); the entry keeps the list alive so the
    /// address cannot be reused. `flatten(<memoised set>)` runs once.
    call_memo: HashMap<(u32, usize), (Val<'w>, Val<'w>)>,
    /// String-membership indexes of large all-string lists, by address
    /// (again keeping the list alive), for `x in <list>`.
    in_index: HashMap<usize, (Val<'w>, StringIndex)>,
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
}

/// The strings of a list, or `None` when it holds anything else.
type StringIndex = Option<HashSet<Rc<str>>>;

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
            memo: HashMap::new(),
            call_memo: HashMap::new(),
            in_index: HashMap::new(),
            underflow: false,
            meters: None,
            unmetered: Vec::new(),
            metered_at: None,
            regex_sizes: prog.regexes.iter().map(|r| regex_size(r.as_str())).collect(),
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
        self.slots.resize(slots.max(2) as usize, Val::Absent);
        self.slots[0] = subject;
        self.slots[1] = env.map(Val::Env).unwrap_or(Val::Absent);
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

    fn text(&self, id: u32) -> String {
        self.prog.texts.get(id as usize).cloned().unwrap_or_default()
    }

    fn exec(&mut self, mut pc: usize) -> Result<Val<'w>, EvalError> {
        let ops = &self.prog.ops;
        let mut steps: u64 = 0;
        // Steps already reported to the rule's meter, and when to next.
        let mut reported: u64 = 0;
        let mut next_tick = match self.current_meter() {
            Some(m) if m.stopped() => return Err(EvalError::RuleBudget),
            Some(_) => TICK,
            None => u64::MAX,
        };
        loop {
            steps += 1;
            if steps > self.budget {
                return Err(EvalError::Budget(self.budget));
            }
            if steps >= next_tick {
                self.tick(&mut reported, steps, false)?;
                next_tick = steps.saturating_add(TICK);
            }
            let op = *ops.get(pc).ok_or(EvalError::Internal("jump out of program"))?;
            pc += 1;
            match op {
                Op::Const(c) => {
                    let v = self.constant(c);
                    self.stack.push(v);
                }
                Op::Absent => self.stack.push(Val::Absent),
                Op::Load(s) => {
                    let v = self.slots.get(s as usize).cloned().unwrap_or(Val::Absent);
                    self.stack.push(v);
                }
                Op::Store(s) => {
                    let v = self.pop();
                    if let Some(slot) = self.slots.get_mut(s as usize) {
                        *slot = v;
                    }
                }
                Op::Path(p) => {
                    let spec = &self.prog.paths[p as usize];
                    let n = spec.dyn_count();
                    let at = self.stack.len().saturating_sub(n);
                    let dyns: Vec<Val<'w>> = self.stack.split_off(at);
                    let base = self.pop();
                    if let (Some(t), Val::Obj(o)) = (&self.trace, &base)
                        && t.subject.is_some_and(|s| std::ptr::eq(s, *o))
                        && n == 0
                        && self.tracing_here()
                    {
                        self.record(TraceItem::Field { path: p });
                    }
                    let v = match (&base, &spec.segs[..]) {
                        // An object's namespace is where it is applied: the
                        // env's default namespace when the manifest names none.
                        (Val::Obj(o), [PathSeg::Key(m), PathSeg::Key(n)])
                            if o.namespace_implied && m == "metadata" && n == "namespace" =>
                        {
                            o.namespace.as_deref().map(Val::S).unwrap_or(Val::Absent)
                        }
                        _ => self.apply_path(base, &spec.segs, &dyns),
                    };
                    self.stack.push(v);
                }
                Op::Query(q) => {
                    let base = self.pop();
                    let root = match &base {
                        Val::Obj(o) => Some(o.value()),
                        Val::J(j) => Some(*j),
                        _ => None,
                    };
                    let v = match root {
                        Some(root) => {
                            let (_, query) = &self.prog.queries[q as usize];
                            // Every node visited or selected is a step; the
                            // results are the tree's own nodes.
                            match jsonpath::query(query, root, self.budget.saturating_sub(steps)) {
                                Ok((found, used)) => {
                                    self.spend(&mut steps, used)?;
                                    Val::List(Rc::new(match found {
                                        jsonpath::Found::Nodes(n) => n.into_iter().map(Val::json).collect(),
                                        jsonpath::Found::Copies(c) => c.iter().map(Val::owned).collect(),
                                    }))
                                }
                                Err(jsonpath::Stop::Budget) => {
                                    return Err(EvalError::TooCostly(
                                        "a JSONPath query",
                                        self.budget.saturating_sub(steps).saturating_add(1),
                                        self.budget,
                                    ));
                                }
                                Err(jsonpath::Stop::TooLarge) => {
                                    return Err(EvalError::QueryTooLarge(jsonpath::MAX_QUERY_NODES));
                                }
                            }
                        }
                        None => Val::Absent,
                    };
                    self.stack.push(v);
                }
                Op::List(n) => {
                    let at = self.stack.len().saturating_sub(n as usize);
                    let items = self.stack.split_off(at);
                    self.stack.push(Val::List(Rc::new(items)));
                }
                Op::Map(n) => {
                    let at = self.stack.len().saturating_sub(2 * n as usize);
                    let items = self.stack.split_off(at);
                    let mut map = std::collections::BTreeMap::new();
                    for pair in items.chunks(2) {
                        if let [k, v] = pair
                            && let Some(k) = k.as_str()
                        {
                            map.insert(k.to_string(), v.clone());
                        }
                    }
                    self.stack.push(Val::Map(Rc::new(map)));
                }
                Op::Call(f, argc) => {
                    let at = self.stack.len().saturating_sub(argc as usize);
                    let args = self.stack.split_off(at);
                    let func = functions::FUNCTIONS.get(f as usize).ok_or(EvalError::Internal("unknown function"))?;
                    let v = match args.as_slice() {
                        [arg @ Val::List(l)] if l.len() >= MEMO_MIN_LEN => {
                            let key = (f, Rc::as_ptr(l) as usize);
                            match self.call_memo.get(&key) {
                                Some((_, v)) => v.clone(),
                                None => {
                                    let v = (func.imp)(&args);
                                    self.call_memo.insert(key, (arg.clone(), v.clone()));
                                    v
                                }
                            }
                        }
                        _ if args.len() == argc as usize => (func.imp)(&args),
                        _ => Val::Absent,
                    };
                    if self.tracing_here()
                        && let Some(locate) = functions::locator(f)
                        && let Some(node) = locate(&args)
                    {
                        self.record(TraceItem::At { node });
                    }
                    self.stack.push(v);
                }
                Op::Add(n) => {
                    let at = self.stack.len().saturating_sub(n as usize);
                    let items = self.stack.split_off(at);
                    let v = self.add(items);
                    self.stack.push(v);
                }
                Op::Sub | Op::Mul => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    self.stack.push(arith(op == Op::Sub, &lhs, &rhs));
                }
                Op::Cmp(c, t) | Op::CmpText(c, t) => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    let typed = if matches!(op, Op::Cmp(..)) { typed_strings(&lhs, &rhs) } else { None };
                    // The evidence shows the values as written, labelled
                    // with the type they were compared as.
                    let (lhs, rhs, typing) = match typed {
                        Some((typing, l, r)) => (l, r, Some((typing, lhs, rhs))),
                        None => (lhs, rhs, None),
                    };
                    let holds = match c {
                        Cmp::Eq => equal(&lhs, &rhs),
                        Cmp::Ne => not_equal(&lhs, &rhs),
                        Cmp::Lt => compare(&lhs, &rhs).is_some_and(|o| o.is_lt()),
                        Cmp::Le => compare(&lhs, &rhs).is_some_and(|o| o.is_le()),
                        Cmp::Gt => compare(&lhs, &rhs).is_some_and(|o| o.is_gt()),
                        Cmp::Ge => compare(&lhs, &rhs).is_some_and(|o| o.is_ge()),
                    };
                    match typing {
                        Some((typing, l, r)) => self.trace_typed(t, &l, &r, holds, typing),
                        None => self.trace_compared(t, &lhs, &rhs, holds),
                    }
                    self.stack.push(Val::Bool(holds));
                }
                Op::Test(kind, t) => {
                    let v = self.pop();
                    let holds = match kind {
                        Check1::Exists => v.exists(),
                        Check1::Empty => v.is_empty(),
                        Check1::Null => matches!(v, Val::Null),
                        Check1::Truthy => v.truthy(),
                    };
                    if kind != Check1::Truthy {
                        self.trace_compared(t, &v, &Val::Absent, holds);
                    }
                    self.stack.push(Val::Bool(holds));
                }
                Op::Test2(kind, t) => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    let holds = match (kind, &lhs, &rhs) {
                        (Check2::In, Val::S(_) | Val::Str(_), Val::List(l)) if l.len() >= MEMO_MIN_LEN => {
                            self.string_member(&lhs, &rhs).unwrap_or_else(|| test2(kind, &lhs, &rhs))
                        }
                        _ => test2(kind, &lhs, &rhs),
                    };
                    self.trace_compared(t, &lhs, &rhs, holds);
                    self.stack.push(Val::Bool(holds));
                }
                Op::Match(r, t) => {
                    let v = self.pop();
                    let holds = match v.as_str() {
                        Some(s) => {
                            // A match takes at most (length + 1) × program
                            // size steps of the automaton: counted before it
                            // runs, so a costly one never starts.
                            let size = self.regex_sizes.get(r as usize).copied().unwrap_or(1);
                            let cost = (s.len() as u64 + 1).saturating_mul(size);
                            if steps.saturating_add(cost) > self.budget {
                                return Err(EvalError::TooCostly("matching a regex", cost, self.budget));
                            }
                            self.spend(&mut steps, cost)?;
                            self.prog.regexes[r as usize].is_match(s)
                        }
                        None => false,
                    };
                    self.trace_compared(t, &v, &Val::Absent, holds);
                    self.stack.push(Val::Bool(holds));
                }
                Op::Not => {
                    let v = self.pop();
                    self.stack.push(Val::Bool(!v.truthy()));
                }
                Op::JumpIfFalse(target) => {
                    if !self.pop().truthy() {
                        pc = target as usize;
                    }
                }
                Op::AndJump(target) => {
                    if self.stack.last().is_some_and(|v| !v.truthy()) {
                        pc = target as usize;
                    } else {
                        self.pop();
                    }
                }
                Op::OrJump(target) => {
                    if self.stack.last().is_some_and(|v| v.truthy()) {
                        pc = target as usize;
                    } else {
                        self.pop();
                    }
                }
                Op::Jump(target) => pc = target as usize,
                Op::KindIn(k) => {
                    let v = self.pop();
                    let set = &self.prog.kind_sets[k as usize];
                    let holds = matches!(&v, Val::Obj(o) if set.iter().any(|s| o.kind.eq_ignore_ascii_case(s)));
                    self.stack.push(Val::Bool(holds));
                }
                Op::IterStart(d, slot) => {
                    let scanned = match self.prog.domains.get(d as usize).map(|x| &x.source) {
                        Some(DomainSource::Objects { envs, .. })
                            if self.trace.as_ref().is_some_and(|t| t.depth == self.iters.len())
                                && self.tracing_here() =>
                        {
                            Some(self.scope_envs(envs))
                        }
                        _ => None,
                    };
                    let elems = self.domain(d)?;
                    if let Some(envs) = scanned {
                        self.record(TraceItem::Scanned { envs });
                    }
                    // Also while tracing: a comprehension's body runs at
                    // iteration depth >= 1, where nothing is recorded.
                    let cache_key = if self.prog.invariant.contains(&d) { cache_key(d, &elems) } else { None };
                    if let Some(key) = &cache_key
                        && let Some(v) = self.memo.get(key)
                        && let Some(Op::IterNext(end)) = ops.get(pc)
                    {
                        // Skip the body and its `CollectEnd`.
                        self.stack.push(v.clone());
                        pc = *end as usize + 1;
                        continue;
                    }
                    self.iters.push(Iter {
                        cache_key,
                        elems,
                        seg: 0,
                        pos: 0,
                        slot,
                        trues: 0,
                        total: 0,
                        label: d,
                        collected: Vec::new(),
                    });
                }
                Op::IterNext(end) => {
                    if !self.advance() {
                        pc = end as usize;
                    }
                }
                Op::QStep(q, end) => {
                    let verdict = self.pop().truthy();
                    let traced = self.trace.as_ref().is_some_and(|t| t.depth + 1 == self.iters.len());
                    let it = self.iters.last_mut().ok_or(EvalError::Internal("QStep outside iteration"))?;
                    it.total += 1;
                    it.trues += u32::from(verdict);
                    let decided = match q {
                        Quant::Every => !verdict,
                        Quant::Some => verdict,
                        Quant::No => verdict,
                        Quant::AtLeast(n) => it.trues >= n,
                        Quant::AtMost(n) | Quant::Exactly(n) => it.trues > n,
                    };
                    let (slot, label) = (it.slot, it.label);
                    let notable = match q {
                        Quant::Every => !verdict,
                        _ => verdict,
                    };
                    if traced && notable {
                        let elem = self.slots.get(slot as usize).cloned().unwrap_or(Val::Absent);
                        let label = self.prog.domains.get(label as usize).map(|d| d.label.clone()).unwrap_or_default();
                        self.record(TraceItem::Element { label, elem });
                    }
                    if decided && self.trace.is_none() {
                        pc = end as usize;
                    }
                }
                Op::QEnd(q) => {
                    let it = self.iters.pop().ok_or(EvalError::Internal("QEnd outside iteration"))?;
                    let r = match q {
                        Quant::Every => it.trues == it.total,
                        Quant::Some => it.trues > 0,
                        Quant::No => it.trues == 0,
                        Quant::AtLeast(n) => it.trues >= n,
                        Quant::AtMost(n) => it.trues <= n,
                        Quant::Exactly(n) => it.trues == n,
                    };
                    self.stack.push(Val::Bool(r));
                }
                Op::Collect => {
                    let v = self.pop();
                    if let Some(it) = self.iters.last_mut()
                        && !v.is_absent()
                    {
                        it.collected.push(v);
                    }
                }
                Op::CollectEnd => {
                    let it = self.iters.pop().ok_or(EvalError::Internal("CollectEnd outside iteration"))?;
                    let set = Val::List(Rc::new(into_set(it.collected)));
                    if let Some(key) = it.cache_key {
                        self.memo.insert(key, set.clone());
                    }
                    self.stack.push(set);
                }
                Op::Counterpart(sel) => {
                    let v = self.pop();
                    let r = match v {
                        Val::Obj(o) => {
                            let envs = self.select_envs(sel, Some(o.env));
                            envs.first().and_then(|e| self.counterpart(o, *e)).map(Val::Obj).unwrap_or(Val::Absent)
                        }
                        _ => Val::Absent,
                    };
                    self.stack.push(r);
                }
                Op::ExistsIn(sel) => {
                    let v = self.pop();
                    let r = match v {
                        Val::Obj(o) => {
                            let missing: Vec<EnvId> = self
                                .select_envs(sel, Some(o.env))
                                .into_iter()
                                .filter(|e| *e != o.env && self.counterpart(o, *e).is_none())
                                .collect();
                            let ok = missing.is_empty();
                            if !ok && self.tracing_here() {
                                self.record(TraceItem::Missing { envs: missing });
                            }
                            ok
                        }
                        _ => false,
                    };
                    self.stack.push(Val::Bool(r));
                }
                Op::EnvOf(sel) => {
                    let cur = match self.slots.get(1) {
                        Some(Val::Env(e)) => Some(*e),
                        _ => None,
                    };
                    let v = self.select_envs(sel, cur).first().map(|e| Val::Env(*e)).unwrap_or(Val::Absent);
                    self.stack.push(v);
                }
                Op::Ret => {
                    if self.meters.is_some() {
                        self.tick(&mut reported, steps, true)?;
                    }
                    return Ok(self.pop());
                }
            }
        }
    }

    /// A comparison of two data strings read as `typing`: the evidence says
    /// so next to each side (`resources.limits.cpu (as quantity)`).
    fn trace_typed(&mut self, t: u32, lhs: &Val<'w>, rhs: &Val<'w>, holds: bool, typing: value::Typing) {
        if self.tracing_here() {
            let label = |s: String| if s.is_empty() { s } else { format!("{s} (as {})", typing.name()) };
            let (l, r) = (label(self.text(t)), label(self.text(t + 1)));
            self.record(TraceItem::Compared { lhs: l, lhs_val: lhs.clone(), rhs: r, rhs_val: rhs.clone(), holds });
        }
    }

    fn trace_compared(&mut self, t: u32, lhs: &Val<'w>, rhs: &Val<'w>, holds: bool) {
        if self.tracing_here() {
            let (l, r) = (self.text(t), self.text(t + 1));
            self.record(TraceItem::Compared { lhs: l, lhs_val: lhs.clone(), rhs: r, rhs_val: rhs.clone(), holds });
        }
    }

    fn constant(&self, c: u32) -> Val<'w> {
        use crate::bytecode::Const;
        match &self.prog.consts[c as usize] {
            Const::Null => Val::Null,
            Const::Bool(b) => Val::Bool(*b),
            Const::Num(n) => Val::Num(*n),
            Const::Str(s) => Val::S(s.as_str()),
            Const::Quantity(q) => Val::Qty(*q),
            Const::Version(v) => Val::Ver(Rc::new(v.clone())),
        }
    }

    fn add(&self, items: Vec<Val<'w>>) -> Val<'w> {
        if items.iter().any(Val::is_absent) {
            return Val::Absent;
        }
        if items.iter().all(|v| matches!(v, Val::Num(_))) {
            return Val::Num(items.iter().map(|v| if let Val::Num(n) = v { *n } else { 0.0 }).sum());
        }
        // A quantity makes the sum a quantity, by value: every other term
        // must read as one (a number, or a string in quantity syntax), else
        // the sum is absent. Never the terms' text joined.
        if items.iter().any(|v| matches!(v, Val::Qty(_))) {
            let mut nanos: i128 = 0;
            for v in &items {
                let Some(q) = value::as_quantity(v) else { return Val::Absent };
                let Some(n) = nanos.checked_add(q.nanos()) else { return Val::Absent };
                nanos = n;
            }
            return Val::Qty(crate::world::Quantity::from_nanos(nanos));
        }
        if items.iter().all(|v| v.elements().is_some() && !v.is_map()) {
            return Val::List(Rc::new(items.iter().flat_map(|v| v.elements().unwrap_or_default()).collect()));
        }
        let names = |e: EnvId| self.env_name(e);
        let mut s = String::new();
        for v in &items {
            s.push_str(&value::display(v, &names));
        }
        Val::str(s)
    }

    pub fn world(&self) -> &'w World {
        self.world
    }

    /// The segments of an interned path.
    pub fn path_segs(&self, p: u32) -> &[PathSeg] {
        &self.prog.paths[p as usize].segs
    }

    pub fn env_name(&self, e: EnvId) -> String {
        self.world.envs.get(e as usize).map(|e| e.name.clone()).unwrap_or_default()
    }

    /// `x in list` for a string `x` and a large list, through a hash index
    /// built once per list; `None` when the list holds non-strings (whose
    /// equality with a string may coerce), so the caller scans.
    fn string_member(&mut self, x: &Val<'w>, list: &Val<'w>) -> Option<bool> {
        let (Val::List(l), Some(x)) = (list, x.as_str()) else { return None };
        let (_, index) = self.in_index.entry(Rc::as_ptr(l) as usize).or_insert_with(|| {
            let strings: StringIndex = l
                .iter()
                .map(|v| match v {
                    Val::S(s) => Some(Rc::from(*s)),
                    Val::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            (list.clone(), strings)
        });
        index.as_ref().map(|set| set.contains(x))
    }

    fn advance(&mut self) -> bool {
        let Some(it) = self.iters.last_mut() else { return false };
        let slot = it.slot as usize;
        let (elem, env): (Val<'w>, Option<EnvId>) = match &mut it.elems {
            Elems::Envs(envs) => {
                let Some(e) = envs.get(it.pos).copied() else { return false };
                it.pos += 1;
                (Val::Env(e), Some(e))
            }
            Elems::Values(vals) => {
                let Some(v) = vals.get(it.pos).cloned() else { return false };
                it.pos += 1;
                (v, None)
            }
            Elems::Objects(segs) => loop {
                let Some(seg) = segs.get(it.seg) else { return false };
                let (env, idx) = match seg {
                    ObjSeg::Idx(env, list) => (*env, list.get(it.pos).map(|i| *i as usize)),
                    ObjSeg::All(env, len) => (*env, (it.pos < *len).then_some(it.pos)),
                };
                match idx {
                    Some(i) => {
                        it.pos += 1;
                        let obj = &self.world.envs[env as usize].objects[i];
                        break (Val::Obj(obj), Some(env));
                    }
                    None => {
                        it.seg += 1;
                        it.pos = 0;
                    }
                }
            },
        };
        if slot + 1 >= self.slots.len() {
            self.slots.resize(slot + 2, Val::Absent);
        }
        self.slots[slot] = elem;
        if let Some(e) = env {
            self.slots[slot + 1] = Val::Env(e);
        }
        true
    }

    fn slot_env(&self, s: Slot) -> Option<EnvId> {
        match self.slots.get(s as usize) {
            Some(Val::Env(e)) => Some(*e),
            Some(Val::Obj(o)) => Some(o.env),
            _ => None,
        }
    }

    /// The envs an object domain's scope selects, with the current slots.
    fn scope_envs(&self, envs: &EnvScope) -> Vec<EnvId> {
        match envs {
            EnvScope::Current(s) => self.slot_env(*s).into_iter().collect(),
            EnvScope::Sel(sel, s) => {
                let cur = s.and_then(|s| self.slot_env(s));
                self.select_envs(*sel, cur)
            }
            EnvScope::All => (0..self.world.envs.len() as EnvId).collect(),
        }
    }

    fn domain(&mut self, d: u32) -> Result<Elems<'w>, EvalError> {
        let prog = self.prog;
        let dom = prog.domains.get(d as usize).ok_or(EvalError::Internal("unknown domain"))?;
        Ok(match &dom.source {
            DomainSource::Envs(sel) => Elems::Envs(self.select_envs(*sel, None)),
            DomainSource::Values => {
                let v = self.pop();
                Elems::Values(match &v {
                    Val::Absent | Val::Null => Vec::new(),
                    _ => v.elements().unwrap_or_default(),
                })
            }
            DomainSource::Objects { kinds, envs, ns } => {
                let env_ids = self.scope_envs(envs);
                let world = self.world;
                let mut segs = Vec::new();
                for e in env_ids {
                    let env = &world.envs[e as usize];
                    let namespace: Option<String> = match ns {
                        NsScope::None => None,
                        NsScope::Of(s) => match self.slots.get(*s as usize) {
                            Some(Val::Obj(o)) if o.kind.eq_ignore_ascii_case("namespace") => {
                                Some(env.canonical_namespace(&o.name).to_string())
                            }
                            Some(Val::Obj(o)) => o.namespace.as_ref().map(|n| env.canonical_namespace(n).to_string()),
                            _ => None,
                        },
                    };
                    match (kinds, namespace) {
                        (Some(kinds), ns) => {
                            for k in kinds {
                                let list = match &ns {
                                    Some(ns) if !crate::world::is_cluster_scoped(k) => env.of_kind_in(k, ns),
                                    _ => env.of_kind(k),
                                };
                                if !list.is_empty() {
                                    segs.push(ObjSeg::Idx(e, list));
                                }
                            }
                        }
                        (None, None) => segs.push(ObjSeg::All(e, env.objects.len())),
                        (None, Some(ns)) => {
                            for k in env.kinds() {
                                let list = env.of_kind_in(k, &ns);
                                if !list.is_empty() {
                                    segs.push(ObjSeg::Idx(e, list));
                                }
                            }
                        }
                    }
                }
                Elems::Objects(segs)
            }
        })
    }

    /// The envs a selector picks, relative to the current env.
    pub fn select_envs(&self, sel: u32, current: Option<EnvId>) -> Vec<EnvId> {
        select_envs(self.world, &self.prog.env_sels[sel as usize], current)
    }

    fn counterpart(&self, o: &'w Object, env: EnvId) -> Option<&'w Object> {
        let own = &self.world.envs[o.env as usize];
        let target = &self.world.envs[env as usize];
        own.counterpart_in(o, target).map(|i| &target.objects[i as usize])
    }

    fn apply_path(&self, base: Val<'w>, segs: &[PathSeg], dyns: &[Val<'w>]) -> Val<'w> {
        let multi = segs.iter().any(|s| matches!(s, PathSeg::Star));
        let mut dyn_i = 0;
        if !multi {
            let mut cur = base;
            for seg in segs {
                cur = self.step(cur, seg, dyns, &mut dyn_i);
                if cur.is_absent() {
                    return cur;
                }
            }
            return cur;
        }
        let mut cur = vec![base];
        for seg in segs {
            let mut next = Vec::with_capacity(cur.len());
            for v in cur {
                match seg {
                    PathSeg::Star => {
                        if let Some(e) = v.elements() {
                            next.extend(e);
                        }
                    }
                    _ => {
                        let mut di = dyn_i;
                        let r = self.step(v, seg, dyns, &mut di);
                        if !r.is_absent() {
                            next.push(r);
                        }
                    }
                }
            }
            if matches!(seg, PathSeg::Dyn) {
                dyn_i += 1;
            }
            cur = next;
        }
        Val::List(Rc::new(cur))
    }

    fn step(&self, v: Val<'w>, seg: &PathSeg, dyns: &[Val<'w>], dyn_i: &mut usize) -> Val<'w> {
        match seg {
            PathSeg::Key(k) => self.key(v, k),
            PathSeg::Index(i) => v.get_index(*i),
            PathSeg::Star => v.elements().map(|e| Val::List(Rc::new(e))).unwrap_or(Val::Absent),
            PathSeg::Dyn => {
                let d = dyns.get(*dyn_i).cloned().unwrap_or(Val::Absent);
                *dyn_i += 1;
                match d {
                    Val::Num(n) if n.fract() == 0.0 => v.get_index(n as i64),
                    other => match other.as_str() {
                        Some(k) => self.key(v, k),
                        None => Val::Absent,
                    },
                }
            }
            PathSeg::PodSpec => match v {
                Val::Obj(o) => o.pod_spec().map(Val::json).unwrap_or(Val::Absent),
                _ => Val::Absent,
            },
            PathSeg::Containers => match &v {
                Val::Obj(o) if o.pod_spec().is_some() => Val::List(Rc::new(o.containers().map(Val::json).collect())),
                Val::J(j) => Val::List(Rc::new(containers(*j).map(Val::json).collect())),
                _ => Val::Absent,
            },
        }
    }

    fn key(&self, v: Val<'w>, k: &str) -> Val<'w> {
        match v {
            Val::Env(e) => {
                let world = self.world;
                let Some(env) = world.envs.get(e as usize) else { return Val::Absent };
                match k {
                    "name" => Val::S(env.name.as_str()),
                    "tags" => Val::List(Rc::new(env.tags.iter().map(|t| Val::S(t.as_str())).collect())),
                    "order" => Val::Num(env.order as f64),
                    "version" => env
                        .version
                        .as_deref()
                        .and_then(crate::world::Version::parse)
                        .map(|v| Val::Ver(Rc::new(v)))
                        .unwrap_or(Val::Absent),
                    "reference" => Val::Bool(e as usize + 1 == world.envs.len()),
                    _ => Val::Absent,
                }
            }
            Val::Ver(x) => match k {
                "major" => Val::Num(x.major() as f64),
                "minor" => Val::Ver(Rc::new(x.minor())),
                "patch" => Val::Num(x.patch() as f64),
                _ => Val::Absent,
            },
            ref s if k == "minor" || k == "major" => match as_version(s) {
                Some(x) if k == "minor" => Val::Ver(Rc::new(x.minor())),
                Some(x) => Val::Num(x.major() as f64),
                None => Val::Absent,
            },
            other => other.get_key(k),
        }
    }
}

/// The envs a selector picks, relative to the current env (if any).
pub fn select_envs(world: &World, sel: &EnvSelSpec, current: Option<EnvId>) -> Vec<EnvId> {
    let n = world.envs.len() as EnvId;
    match sel {
        EnvSelSpec::All => (0..n).collect(),
        EnvSelSpec::Others => (0..n).filter(|e| Some(*e) != current).collect(),
        EnvSelSpec::Tagged(t) => (0..n).filter(|e| world.envs[*e as usize].tags.iter().any(|x| x == t)).collect(),
        EnvSelSpec::Named(name) => world.env_by_name(name).into_iter().collect(),
        EnvSelSpec::Reference => world.reference().into_iter().collect(),
        EnvSelSpec::Previous => current.and_then(|c| c.checked_sub(1)).into_iter().collect(),
        EnvSelSpec::Next => current.map(|c| c + 1).filter(|c| *c < n).into_iter().collect(),
    }
}

/// `lhs - rhs` (`sub`) or `lhs * rhs`: numbers as numbers; with a quantity
/// on either side (or a string, read in quantity syntax), by exact value.
/// A quantity may be multiplied by a number, not by a quantity. Anything
/// else, and overflow, is absent.
fn arith<'w>(sub: bool, lhs: &Val<'w>, rhs: &Val<'w>) -> Val<'w> {
    use crate::world::Quantity;
    const NANOS: i128 = 1_000_000_000;
    match (lhs, rhs) {
        (Val::Num(a), Val::Num(b)) => Val::Num(if sub { a - b } else { a * b }),
        _ if sub => match (value::as_quantity(lhs), value::as_quantity(rhs)) {
            (Some(a), Some(b)) => {
                a.nanos().checked_sub(b.nanos()).map(|n| Val::Qty(Quantity::from_nanos(n))).unwrap_or(Val::Absent)
            }
            _ => Val::Absent,
        },
        (Val::Qty(_) | Val::S(_) | Val::Str(_), Val::Num(_)) | (Val::Num(_), Val::Qty(_) | Val::S(_) | Val::Str(_)) => {
            let (q, n) = if matches!(lhs, Val::Num(_)) { (rhs, lhs) } else { (lhs, rhs) };
            match (value::as_quantity(q), value::as_quantity(n)) {
                // (q nanos * n nanos) / 1e9, exact while it fits.
                (Some(q), Some(n)) => q
                    .nanos()
                    .checked_mul(n.nanos())
                    .map(|p| Val::Qty(Quantity::from_nanos(p / NANOS)))
                    .unwrap_or(Val::Absent),
                _ => Val::Absent,
            }
        }
        _ => Val::Absent,
    }
}

/// Whether every key/value pair of map `a` is in map `b`.
fn map_subset(a: &Val, b: &Val) -> bool {
    let (x, y) = (value::entries(a), value::entries(b));
    x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && equal(v, v2)))
}

/// The size of a regex's program: its pattern's atoms with every counted
/// repetition expanded (`a[ab]{10000}c` is 10,002), the number of states a
/// match may track at each byte of the value.
pub fn regex_size(pattern: &str) -> u64 {
    use regex_syntax::hir::{Hir, HirKind};
    fn size(h: &Hir) -> u64 {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => 1,
            HirKind::Literal(l) => l.0.len().max(1) as u64,
            HirKind::Repetition(r) => {
                let times = r.max.unwrap_or(r.min).max(r.min).max(1) as u64;
                size(&r.sub).saturating_mul(times)
            }
            HirKind::Capture(c) => size(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().map(size).fold(0u64, |a, b| a.saturating_add(b)),
        }
    }
    regex_syntax::Parser::new().parse(pattern).map(|h| size(&h)).unwrap_or(pattern.len() as u64).max(1)
}

fn test2(kind: Check2, lhs: &Val, rhs: &Val) -> bool {
    if lhs.is_absent() || rhs.is_absent() {
        return false;
    }
    let member = |x: &Val, coll: &Val| -> bool {
        match coll {
            c if c.is_map() => x.as_str().is_some_and(|k| !coll.get_key(k).is_absent()),
            // Scan in place: `elements()` would copy the whole list per test.
            Val::List(items) => items.iter().any(|i| equal(x, i)),
            Val::J(items) => items.iter().any(|i| equal(x, &Val::json(i))),
            _ => matches!((x.as_str(), coll.as_str()), (Some(a), Some(b)) if b.contains(a)),
        }
    };
    // Two maps are sets of key/value pairs: `{app: api} subset of {app:
    // api, tier: web}`.
    if matches!(kind, Check2::SubsetOf | Check2::SameSetAs) && lhs.is_map() && rhs.is_map() {
        return map_subset(lhs, rhs) && (kind == Check2::SubsetOf || map_subset(rhs, lhs));
    }
    match kind {
        Check2::In => member(lhs, rhs),
        Check2::Contains => member(rhs, lhs),
        Check2::StartsWith => matches!((lhs.as_str(), rhs.as_str()), (Some(a), Some(b)) if a.starts_with(b)),
        Check2::EndsWith => matches!((lhs.as_str(), rhs.as_str()), (Some(a), Some(b)) if a.ends_with(b)),
        Check2::SubsetOf => match lhs.elements() {
            Some(items) => rhs.elements().is_some() && items.iter().all(|i| member(i, rhs)),
            None => false,
        },
        Check2::SameSetAs => match (lhs.elements(), rhs.elements()) {
            (Some(a), Some(b)) => a.iter().all(|i| member(i, rhs)) && b.iter().all(|i| member(i, lhs)),
            _ => false,
        },
    }
}

#[cfg(test)]
#[path = "vm_tests.rs"]
mod tests;
