//! The compiled form of rules: a flat list of small, `Copy` [`Op`]s and side
//! tables for everything large (constants, interned paths, quantifier
//! domains, env selectors, regexes, JSONPath queries, source snippets).
//!
//! A [`Program`] is immutable once built and `Send + Sync`, so every rayon
//! thread evaluates it by reference.

mod disasm;
pub mod functions;
mod verify;

pub use verify::verify;

use std::fmt;

use crate::report::Severity;

/// Index of an op.
pub type Pc = u32;

/// Side-table ids: one type per table, so a `TextId` cannot index the
/// paths. `index()` reads the table; `next(len)` is the id of the element
/// about to be pushed onto a table of `len` elements.
macro_rules! side_table_ids {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub fn next(len: usize) -> $name {
                $name(len as u32)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

impl TextId {
    /// The second text of a pair made by the compiler's `texts(lhs, rhs)`.
    pub fn rhs(self) -> TextId {
        TextId(self.0 + 1)
    }
}

side_table_ids!(
    /// A constant of `Program::consts`.
    ConstId,
    /// An interned path of `Program::paths`.
    PathId,
    /// A quantifier domain of `Program::domains`.
    DomainId,
    /// An env selector of `Program::env_sels`.
    EnvSelId,
    /// A regex of `Program::regexes`.
    RegexId,
    /// A JSONPath query of `Program::queries`.
    QueryId,
    /// A source snippet of `Program::texts`.
    TextId,
    /// A built-in function of the catalogue (`functions`).
    FuncId,
    /// A kind set of `Program::kind_sets`.
    KindSetId,
);
pub type Slot = u16;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Unary tests on one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check1 {
    /// Present and not null.
    Exists,
    /// Absent, null, "", [] or {}.
    Empty,
    /// Null (an explicit `null`).
    Null,
    /// The value as a condition: `true`, or present and not false/null.
    Truthy,
}

/// Binary tests on two values (lhs below rhs on the stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check2 {
    In,
    Contains,
    StartsWith,
    EndsWith,
    SubsetOf,
    SameSetAs,
}

/// Quantifiers, with their count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    Every,
    Some,
    No,
    AtLeast(u32),
    AtMost(u32),
    Exactly(u32),
}

/// One instruction. Kept at 8 bytes: large operands live in side tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// Push a constant.
    Const(ConstId),
    /// Push absent.
    Absent,
    /// Push a slot's value.
    Load(Slot),
    /// Pop into a slot.
    Store(Slot),
    /// Pop a value, apply an interned path, push the result. Dynamic index
    /// segments are popped first (pushed before the base).
    Path(PathId),
    /// Pop an object, evaluate a JSONPath query on it, push the list of
    /// matches.
    Query(QueryId),
    /// Pop `n` values, push them as a list.
    List(u16),
    /// Pop `n` key/value pairs (keys are constants pushed as values), push a
    /// map.
    Map(u16),
    /// Pop `argc` arguments, call a built-in function, push its result.
    Call(FuncId, u8),
    /// Pop `n` values, push their sum (numbers) or concatenation (strings,
    /// lists).
    Add(u16),
    /// Pop rhs and lhs, push `lhs - rhs` (numbers, quantities).
    Sub,
    /// Pop rhs and lhs, push `lhs * rhs` (numbers; a quantity times a
    /// number).
    Mul,
    /// Pop rhs and lhs, push the comparison's truth. Two strings from data
    /// are typed first (versions, quantities, numbers: `value::typed_strings`).
    Cmp(Cmp, TextId),
    /// As `Cmp`, with a string literal on one side: strings compare as text.
    CmpText(Cmp, TextId),
    /// Pop a value, push the test's truth.
    Test(Check1, TextId),
    /// Pop rhs and lhs, push the test's truth.
    Test2(Check2, TextId),
    /// Pop a string, push whether it matches the regex (also used for globs).
    Match(RegexId, TextId),
    /// Pop a bool, push its negation.
    Not,
    /// Pop a bool; jump if it is false.
    JumpIfFalse(Pc),
    /// Peek a bool; jump (keeping it) if false, else pop it.
    AndJump(Pc),
    /// Peek a bool; jump (keeping it) if true, else pop it.
    OrJump(Pc),
    Jump(Pc),
    /// Pop a value, push whether it is an object of one of a set of kinds.
    KindIn(KindSetId),
    /// Start iterating a domain into `elem` (and its env into `elem + 1`).
    /// Pops the domain's operand (a `Values` domain's list) if it has one.
    IterStart(DomainId, Slot),
    /// Advance the innermost iteration, or jump to the end when done.
    IterNext(Pc),
    /// Pop a bool: one element's verdict. Jumps to the end once the
    /// quantifier's result is decided (not while tracing).
    QStep(Quant, Pc),
    /// End an iteration and push the quantifier's result.
    QEnd(Quant),
    /// Pop a value into the innermost iteration's collected set.
    Collect,
    /// End an iteration and push the collected values as a sorted set.
    CollectEnd,
    /// Pop an object, push its counterpart in the selected env (or absent).
    Counterpart(EnvSelId),
    /// Pop an object, push whether it has a counterpart in every selected
    /// env other than its own.
    ExistsIn(EnvSelId),
    /// Push the selected env (a single env selector) or absent.
    EnvOf(EnvSelId),
    /// Pop an object and the object it must match (its counterpart), push
    /// whether they differ in no field but what the program's tolerances
    /// allow (`matches`; see `crate::diff`).
    Drift,
    /// Start of a top-level filter's condition that reads nothing of its
    /// subject but its env (`where env.reference = false`): when this VM
    /// has its value for the current env (slot 1) and is not tracing, push
    /// it and jump to the target (past the matching `EnvMemoPut`).
    EnvMemo(Pc),
    /// End of such a condition: remember the value on top of the stack for
    /// the current env, keyed by the pc of its `EnvMemo`.
    EnvMemoPut(Pc),
    /// End of a code block: the top of the stack is its result.
    Ret,
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Quantity(crate::world::Quantity),
    Version(crate::world::Version),
}

/// One step of an interned path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    Key(String),
    Index(i64),
    /// Every element of a list (or value of a map); makes the result a list.
    Star,
    /// An index computed at run time (popped from the stack).
    Dyn,
    /// The pod spec of a workload, wherever its kind keeps it.
    PodSpec,
    /// All containers of a workload: init, regular, ephemeral.
    Containers,
}

/// An interned path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSpec {
    pub segs: Vec<PathSeg>,
}

impl PathSpec {
    pub fn dyn_count(&self) -> usize {
        self.segs.iter().filter(|s| matches!(s, PathSeg::Dyn)).count()
    }
}

/// Which envs an env selector picks, relative to the current env.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvSelSpec {
    All,
    Others,
    Tagged(String),
    Named(String),
    Reference,
    Previous,
    Next,
}

/// As rule text says it.
impl fmt::Display for EnvSelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvSelSpec::All => write!(f, "every env"),
            EnvSelSpec::Others => write!(f, "other envs"),
            EnvSelSpec::Tagged(t) => write!(f, "envs tagged {t}"),
            EnvSelSpec::Named(n) => write!(f, "env {n}"),
            EnvSelSpec::Reference => write!(f, "reference env"),
            EnvSelSpec::Previous => write!(f, "previous env"),
            EnvSelSpec::Next => write!(f, "next env"),
        }
    }
}

/// Where a quantifier's objects come from.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvScope {
    /// The env in a slot (the current env).
    Current(Slot),
    /// Envs picked by a selector, relative to the env in a slot (if any).
    Sel(EnvSelId, Option<Slot>),
    /// Every env.
    All,
}

/// Namespace restriction of an object domain.
#[derive(Debug, Clone, PartialEq)]
pub enum NsScope {
    None,
    /// The namespace of the object in a slot (for a Namespace, its name).
    Of(Slot),
}

/// What a quantifier or comprehension iterates.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainSource {
    /// Envs.
    Envs(EnvSelId),
    /// Objects of some kinds (`None`: every kind).
    Objects { kinds: Option<Vec<String>>, envs: EnvScope, ns: NsScope },
    /// Elements of a list value popped from the stack.
    Values,
}

/// An indexed join (issue 18): an object domain whose quantifier filters
/// by `PATH = KEY`, where `PATH` reads the element and `KEY` is bound
/// outside the quantifier. The VM computes the key once when the iteration
/// starts and yields only the objects whose path holds that text, in scan
/// order (the filter still runs on each of them); for a key that is not
/// plain text it scans.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// The path read on each element (no dynamic or `*` segments).
    pub path: PathId,
    pub key: JoinKey,
    /// A comprehension whose body reads nothing bound outside it but this
    /// equality: on the objects the index yields its result depends only on
    /// them, so the VM may reuse it (as for `Program::invariant`).
    pub invariant: bool,
}

/// Where a join's key comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JoinKey {
    Const(ConstId),
    /// A slot bound outside the quantifier, with a path applied (no dynamic
    /// segments).
    Slot(Slot, Option<PathId>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub source: DomainSource,
    /// The phrase it came from, for the disassembler and evidence.
    pub label: String,
}

/// A range of ops: entry point of one code block, ended by `Ret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub entry: Pc,
}

/// How one part of a rule produces findings.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// One verdict per element of a domain: a finding where `pred` is
    /// `fire_when`. Elements failing `filter` are skipped.
    Each { domain: DomainId, filter: Option<Code>, pred: Code, fire_when: bool },
    /// Each selected env's value must equal the reference env's.
    Agree { envs: DomainId, filter: Option<Code>, value: Code },
    /// One verdict for the whole world.
    Global { pred: Code },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub kind: CheckKind,
    /// Slots its code uses (slot 0: subject, slot 1: its env).
    pub slots: u16,
    /// The source text of the check, for messages.
    pub text: String,
    /// The rule's message template, compiled where this check makes its
    /// findings (it sees the names the check's subject phrase binds).
    pub message: Option<Vec<Piece>>,
    /// Names the message reads that the check binds with `as` on a
    /// quantifier of its filter or predicate: (the quantifier's domain, the
    /// slot the message reads). The engine fills the slot with the element
    /// the trace recorded for that domain, once per element that decided
    /// the verdict.
    pub elem_binds: Vec<(DomainId, Slot)>,
}

/// A message template: literal text and expressions to fill in.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(String),
    Expr(Code),
    /// `{evidence}`: the evidence, rendered.
    Evidence,
    /// `{missing-envs}`: the envs where the subject has no counterpart
    /// (`exists in ENVS`), as `dev, qa`.
    MissingEnvs,
}

/// A compiled rule with its documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub fix: String,
    pub example: String,
    pub tags: Vec<String>,
    /// The rule body as written.
    pub body: String,
    /// Where the rule was defined: `file:line`.
    pub origin: String,
    pub checks: Vec<Check>,
    pub except: Option<Code>,
    /// Envs the rule names (`env prod`), to warn when one is not loaded.
    pub named_envs: Vec<String>,
    /// Env tags the rule names (`envs tagged nonprod`), checked the same way.
    pub named_tags: Vec<String>,
    /// `enabled: false`: off unless selected explicitly by id, tag or glob
    /// (`--select`, `--extend-select`, parity.toml `select`/`extend-select`).
    pub enabled: bool,
    /// Whether the rule compares envs: it pairs counterparts, asks where an
    /// object exists (`exists in`), or makes envs agree (`agree on`). With
    /// one env loaded such a rule has nothing to compare.
    pub cross_env: bool,
}

impl Rule {
    /// Where the rule was defined, as (file, line); line 0 when unknown.
    pub fn origin_file_line(&self) -> (String, u32) {
        match self.origin.rsplit_once(':') {
            Some((f, l)) => (f.to_string(), l.parse().unwrap_or(0)),
            None => (self.origin.clone(), 0),
        }
    }

    /// Whether the rule ships with parity (the standard library or the
    /// prelude) rather than being the user's own.
    pub fn is_builtin(&self) -> bool {
        self.origin.starts_with("<stdlib>") || self.origin.starts_with("<prelude>")
    }
}

/// A compiled rule set.
#[derive(Debug, Default)]
pub struct Program {
    pub ops: Vec<Op>,
    pub consts: Vec<Const>,
    pub paths: Vec<PathSpec>,
    /// Where each distinct path of `paths` is (the compiler's interning
    /// table): rules reading the same steps share one path, whose values the
    /// VM remembers by path (`Vm::path_cache`).
    pub path_ids: std::collections::HashMap<Vec<PathSeg>, PathId>,
    pub domains: Vec<Domain>,
    pub env_sels: Vec<EnvSelSpec>,
    pub regexes: Vec<regex::Regex>,
    pub queries: Vec<(String, jsonpath_rust::parser::model::JpQuery)>,
    pub texts: Vec<String>,
    pub kind_sets: Vec<Vec<String>>,
    pub rules: Vec<Rule>,
    /// Comprehensions (by the domain their `IterStart` opens) whose body
    /// reads no slot bound outside it: their result depends only on the
    /// elements the domain yields, so the VM may reuse it.
    pub invariant: std::collections::HashSet<DomainId, foldhash::fast::RandomState>,
    /// Object domains evaluated through a join index (by the domain their
    /// `IterStart` opens). Clearing this table gives the same results by
    /// scanning (the property test `tests/joins.rs` compares the two).
    pub joins: std::collections::HashMap<DomainId, Join, foldhash::fast::RandomState>,
    /// Every `tolerate` declaration: what `matches` lets differ.
    pub tolerances: Vec<Tolerance>,
}

/// A compiled `tolerate PATH [by PATTERN] [for NP]` declaration.
#[derive(Debug, Clone)]
pub struct Tolerance {
    pub path: crate::diff::pattern::Pattern,
    pub by: Option<crate::diff::pattern::ValuePattern>,
    /// `for NP`: the objects (in the env that differs) it covers: a domain
    /// (kinds, envs) and the code of the phrase's filters.
    pub scope: Option<TolScope>,
    /// `file:line` of the declaration.
    pub origin: String,
    /// The declaration as written.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct TolScope {
    pub domain: DomainId,
    pub filter: Option<Code>,
    pub slots: u16,
}

impl Tolerance {
    /// Declared by the standard library (never reported unused).
    pub fn is_builtin(&self) -> bool {
        self.origin.starts_with("<stdlib>") || self.origin.starts_with("<prelude>")
    }
}

impl Program {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

pub use disasm::disassemble;

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quant::Every => write!(f, "every"),
            Quant::Some => write!(f, "some"),
            Quant::No => write!(f, "no"),
            Quant::AtLeast(n) => write!(f, "atleast{n}"),
            Quant::AtMost(n) => write!(f, "atmost{n}"),
            Quant::Exactly(n) => write!(f, "exactly{n}"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Const(c) => write!(f, "Const c{c}"),
            Op::Absent => write!(f, "Absent"),
            Op::Load(s) => write!(f, "Load s{s}"),
            Op::Store(s) => write!(f, "Store s{s}"),
            Op::Path(p) => write!(f, "Path p{p}"),
            Op::Query(q) => write!(f, "Query q{q}"),
            Op::List(n) => write!(f, "List {n}"),
            Op::Map(n) => write!(f, "Map {n}"),
            Op::Call(func, n) => write!(f, "Call f{func} {n}"),
            Op::Add(n) => write!(f, "Add {n}"),
            Op::Sub => write!(f, "Sub"),
            Op::Mul => write!(f, "Mul"),
            Op::Cmp(c, _) => write!(f, "Cmp {c:?}"),
            Op::CmpText(c, _) => write!(f, "CmpText {c:?}"),
            Op::Test(t, _) => write!(f, "Test {t:?}"),
            Op::Test2(t, _) => write!(f, "Test2 {t:?}"),
            Op::Match(r, _) => write!(f, "Match r{r}"),
            Op::Not => write!(f, "Not"),
            Op::JumpIfFalse(pc) => write!(f, "JumpIfFalse {pc:04}"),
            Op::AndJump(pc) => write!(f, "AndJump {pc:04}"),
            Op::OrJump(pc) => write!(f, "OrJump {pc:04}"),
            Op::Jump(pc) => write!(f, "Jump {pc:04}"),
            Op::KindIn(k) => write!(f, "KindIn k{k}"),
            Op::IterStart(d, s) => write!(f, "IterStart d{d} s{s}"),
            Op::IterNext(pc) => write!(f, "IterNext {pc:04}"),
            Op::QStep(q, pc) => write!(f, "QStep {q} {pc:04}"),
            Op::QEnd(q) => write!(f, "QEnd {q}"),
            Op::Collect => write!(f, "Collect"),
            Op::CollectEnd => write!(f, "CollectEnd"),
            Op::Counterpart(e) => write!(f, "Counterpart e{e}"),
            Op::ExistsIn(e) => write!(f, "ExistsIn e{e}"),
            Op::EnvOf(e) => write!(f, "EnvOf e{e}"),
            Op::Drift => write!(f, "Drift"),
            Op::EnvMemo(pc) => write!(f, "EnvMemo {pc:04}"),
            Op::EnvMemoPut(pc) => write!(f, "EnvMemoPut {pc:04}"),
            Op::Ret => write!(f, "Ret"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_stay_small() {
        assert!(std::mem::size_of::<Op>() <= 12, "Op is {} bytes", std::mem::size_of::<Op>());
    }

    #[test]
    fn program_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Program>();
    }
}
