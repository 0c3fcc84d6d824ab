//! Code generation: AST expressions → ops. Names are resolved here, against
//! [`Defs`]: noun phrases become quantifier domains plus filter code,
//! qualifiers and values are inlined (definitions never recurse, so inlining
//! terminates; a cycle is reported), paths are interned, regexes and
//! JSONPath queries compiled once.

mod conditions;
mod env_memo;
mod joins;
mod names;
mod quantifiers;
mod schema_typing;
mod values;

use names::*;
pub use quantifiers::{PredSrc, split_predicate};

use std::collections::HashMap;

use super::scope::{Builtin, Defs, NounRef};
use crate::bytecode::functions;
use crate::bytecode::{
    Check1, Check2, Cmp, Code, Const, ConstId, Domain, DomainId, DomainSource, EnvScope, EnvSelId, EnvSelSpec,
    KindSetId, NsScope, Op, PathId, PathSeg, PathSpec, Program, Quant, Slot, TextId,
};
use crate::diag::DiagCode;
use crate::diag::{Diag, Sources, did_you_mean};
use crate::syntax::ast::{
    ArithOp, CmpOp, EnvSel, EnvSelKind, Expr, ExprKind, Filter, Lit, NounPhrase, Pred, PredKind, Quant as AQuant,
    Scope, Seg, Span, Test, Text, Word,
};
use crate::world::{Quantity, Version};

pub type R<T> = Result<T, Diag>;

/// Code size past which a rule is rejected (inlining could otherwise grow
/// without bound through chains of definitions).
pub const MAX_OPS_PER_RULE: usize = 200_000;
/// Regexes compile to at most this many bytes.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// String literals may be at most this long.
pub const MAX_LITERAL_BYTES: usize = 64 * 1024;

/// The static type of a subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Env,
    /// Objects of these kinds (`None`: any kind).
    Obj(Option<Vec<String>>),
    /// Elements of a collection noun (`container`).
    Coll(String),
    Value,
}

impl Ty {
    pub(super) fn describe(&self) -> String {
        match self {
            Ty::Env => "env".into(),
            Ty::Obj(Some(k)) if k.len() == 1 => k[0].clone(),
            Ty::Obj(Some(_)) => "workload".into(),
            Ty::Obj(None) => "object".into(),
            Ty::Coll(c) => c.clone(),
            Ty::Value => "value".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Subj {
    pub slot: Slot,
    pub ty: Ty,
}

/// What is in scope while compiling one expression.
#[derive(Debug, Clone, Default)]
pub struct Cx {
    pub it: Option<Subj>,
    /// A slot holding the current env (`Val::Env`).
    pub env: Option<Slot>,
    pub binds: Vec<(String, Subj)>,
    /// The slot of the object that owns the current subject: the subject
    /// itself when it is an object, the enclosing object for a nested
    /// element (a container, an env var). Object lookups from a nested
    /// element are scoped by it (its env and namespace).
    pub owner: Option<Slot>,
}

impl Cx {
    /// A context whose subject is `it` (and whose owner follows it).
    pub fn of(it: Subj, env: Option<Slot>, binds: Vec<(String, Subj)>, outer_owner: Option<Slot>) -> Cx {
        let owner = owner_of(&it, outer_owner);
        Cx { it: Some(it), env, binds, owner }
    }

    pub(super) fn bound(&self, name: &str) -> Option<&Subj> {
        self.binds.iter().rev().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    pub(super) fn with_it(&self, it: Subj) -> Cx {
        let owner = owner_of(&it, self.owner);
        Cx { it: Some(it), owner, ..self.clone() }
    }
}

/// The owning object of a subject: itself when it is an object, the outer
/// owner for a nested element, none for an env or a plain value.
pub(super) fn owner_of(it: &Subj, outer: Option<Slot>) -> Option<Slot> {
    match it.ty {
        Ty::Obj(_) => Some(it.slot),
        Ty::Coll(_) => outer,
        Ty::Env | Ty::Value => None,
    }
}

/// Where a noun phrase's objects come from, after resolution.
#[derive(Debug, Clone)]
pub enum Base {
    Env,
    Objects(Option<Vec<String>>),
    Collection(String),
}

/// A qualifier applied by a noun phrase.
#[derive(Debug, Clone)]
pub struct QualUse {
    pub name: String,
    pub args: Vec<Expr>,
    pub span: Span,
}

/// A resolved noun phrase.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub base: Base,
    pub label: String,
    pub quals: Vec<QualUse>,
    pub filters: Vec<Filter>,
    pub trailing: Vec<Word>,
}

impl Resolved {
    pub fn ty(&self) -> Ty {
        match &self.base {
            Base::Env => Ty::Env,
            // `object where kind = "Widget"`: typed as that kind.
            Base::Objects(None) => Ty::Obj(crate::compile::kind_filter::kinds(&self.filters)),
            Base::Objects(k) => Ty::Obj(k.clone()),
            Base::Collection(c) => Ty::Coll(c.clone()),
        }
    }
}

/// The code generator for one program.
pub struct Gen<'a, 'p> {
    pub prog: &'p mut Program,
    pub defs: &'a Defs<'a>,
    pub sources: &'a Sources,
    pub next_slot: Slot,
    pub max_slot: Slot,
    /// Definitions being inlined, innermost last: (kind, name, use span).
    stack: Vec<(&'static str, String)>,
    consts: HashMap<String, ConstId>,
    /// Envs named by the rule being compiled.
    pub named_envs: Vec<String>,
    /// Env tags named by the rule being compiled.
    pub named_tags: Vec<String>,
    pub start_ops: usize,
    /// How many quantifiers (and comprehensions) enclose the code being
    /// emitted, inside the check's filter or predicate.
    pub depth: u16,
    /// Names bound with `as` on a quantifier directly inside a check's
    /// filter or predicate (depth 0, not inside a definition): the element
    /// the trace records for that quantifier (the counterexample of
    /// `every`, the witness of `some`/`no`) is what a message sees.
    pub elem_binds: Vec<(String, Ty, DomainId)>,
    /// Set while compiling the filter of a top-level check over objects:
    /// its `where` conditions memoise their env-invariant conjuncts
    /// (`env_memo`).
    pub memo_env_where: bool,
}

/// The element count of a list, map or `+` as the 16-bit operand its op
/// holds: a larger literal is a compile error, never a silently cut list.
pub(super) fn operand_count(n: usize, span: Span) -> R<u16> {
    u16::try_from(n).map_err(|_| {
        Diag::new(DiagCode::TooLarge, span, format!("{n} elements in one literal or sum; at most {}", u16::MAX))
            .help("split it, or keep the list in a value definition built from smaller parts")
    })
}

impl<'a, 'p> Gen<'a, 'p> {
    pub fn new(prog: &'p mut Program, defs: &'a Defs<'a>, sources: &'a Sources) -> Gen<'a, 'p> {
        Gen {
            prog,
            defs,
            sources,
            next_slot: 2,
            max_slot: 2,
            stack: Vec::new(),
            consts: HashMap::new(),
            named_envs: Vec::new(),
            named_tags: Vec::new(),
            start_ops: 0,
            depth: 0,
            elem_binds: Vec::new(),
            memo_env_where: false,
        }
    }

    // ---------------------------------------------------------------- emission

    pub fn emit(&mut self, op: Op) -> usize {
        self.prog.ops.push(op);
        self.prog.ops.len() - 1
    }

    pub(super) fn here(&self) -> u32 {
        self.prog.ops.len() as u32
    }

    pub(super) fn patch(&mut self, at: usize, target: u32) {
        self.prog.ops[at] = match self.prog.ops[at] {
            Op::JumpIfFalse(_) => Op::JumpIfFalse(target),
            Op::AndJump(_) => Op::AndJump(target),
            Op::OrJump(_) => Op::OrJump(target),
            Op::Jump(_) => Op::Jump(target),
            Op::IterNext(_) => Op::IterNext(target),
            Op::QStep(q, _) => Op::QStep(q, target),
            other => other,
        };
    }

    pub(super) fn alloc(&mut self, n: u16) -> Slot {
        let s = self.next_slot;
        self.next_slot += n;
        self.max_slot = self.max_slot.max(self.next_slot);
        s
    }

    pub(super) fn check_size(&self, span: Span) -> R<()> {
        if self.prog.ops.len() - self.start_ops > MAX_OPS_PER_RULE {
            return Err(Diag::new(DiagCode::TooLarge, span, "this rule compiles to too much code")
                .help("definitions used here expand into each other too many times; simplify them"));
        }
        Ok(())
    }

    pub fn konst(&mut self, c: Const) -> ConstId {
        let key = format!("{c:?}");
        if let Some(id) = self.consts.get(&key) {
            return *id;
        }
        let id = ConstId::next(self.prog.consts.len());
        self.prog.consts.push(c);
        self.consts.insert(key, id);
        id
    }

    pub(super) fn path_id(&mut self, segs: Vec<PathSeg>) -> PathId {
        // Interned across the program, not only this rule's code
        // (`Program::path_ids`): two rules reading `podspec.containers`
        // share the VM's remembered values of it.
        if let Some(id) = self.prog.path_ids.get(&segs) {
            return *id;
        }
        let id = PathId::next(self.prog.paths.len());
        self.prog.path_ids.insert(segs.clone(), id);
        self.prog.paths.push(PathSpec { segs });
        id
    }

    pub(super) fn texts(&mut self, lhs: String, rhs: String) -> TextId {
        let id = TextId::next(self.prog.texts.len());
        self.prog.texts.push(lhs);
        self.prog.texts.push(rhs);
        id
    }

    /// The source text of a span on one line, comments dropped.
    pub(super) fn src(&self, span: Span) -> String {
        snippet(self.sources.slice(span))
    }

    pub(super) fn domain(&mut self, source: DomainSource, label: String) -> DomainId {
        let id = DomainId::next(self.prog.domains.len());
        self.prog.domains.push(Domain { source, label });
        id
    }

    pub fn env_sel(&mut self, sel: &EnvSel) -> EnvSelId {
        let spec = match &sel.kind {
            EnvSelKind::Every => EnvSelSpec::All,
            EnvSelKind::Others => EnvSelSpec::Others,
            EnvSelKind::Tagged(t) => {
                if !self.named_tags.contains(t) {
                    self.named_tags.push(t.clone());
                }
                EnvSelSpec::Tagged(t.clone())
            }
            EnvSelKind::Named(n) => {
                if !self.named_envs.contains(n) {
                    self.named_envs.push(n.clone());
                }
                EnvSelSpec::Named(n.clone())
            }
            EnvSelKind::Reference => EnvSelSpec::Reference,
            EnvSelKind::Previous => EnvSelSpec::Previous,
            EnvSelKind::Next => EnvSelSpec::Next,
        };
        if let Some(i) = self.prog.env_sels.iter().position(|s| *s == spec) {
            return EnvSelId::next(i);
        }
        self.prog.env_sels.push(spec);
        EnvSelId::next(self.prog.env_sels.len() - 1)
    }

    pub(super) fn kind_set(&mut self, kinds: Vec<String>) -> KindSetId {
        if let Some(i) = self.prog.kind_sets.iter().position(|k| *k == kinds) {
            return KindSetId::next(i);
        }
        self.prog.kind_sets.push(kinds);
        KindSetId::next(self.prog.kind_sets.len() - 1)
    }

    /// Ends a block and returns its code handle.
    pub fn block(&mut self, f: impl FnOnce(&mut Self) -> R<()>) -> R<Code> {
        let entry = self.here();
        f(self)?;
        self.emit(Op::Ret);
        Ok(Code { entry })
    }

    pub(super) fn enter(&mut self, kind: &'static str, name: &str, span: Span) -> R<()> {
        if let Some(pos) = self.stack.iter().position(|(k, n)| *k == kind && n == name) {
            let chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| format!("`{n}`")).collect();
            return Err(Diag::new(DiagCode::Cycle, span, format!("definition cycle: `{name}` uses itself"))
                .label("used again here")
                .help(format!(
                    "the chain is {} → `{name}`; a definition may use others, but never itself",
                    chain.join(" → ")
                )));
        }
        if self.stack.len() > 64 {
            return Err(Diag::new(DiagCode::TooDeep, span, "definitions nest more than 64 levels deep"));
        }
        self.stack.push((kind, name.to_string()));
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.stack.pop();
    }
}

/// Rule text on one line, without `#` comments (outside strings).
pub fn snippet(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' if prev != '\\' => in_str = !in_str,
                '#' if !in_str => {
                    cut = i;
                    break;
                }
                _ => {}
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn last_line(s: &str) -> String {
    let l = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim();
    l.strip_prefix("error: ").unwrap_or(l).to_string()
}

fn first_line(s: &str) -> String {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}
