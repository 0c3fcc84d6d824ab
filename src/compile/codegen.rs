//! Code generation: AST expressions → ops. Names are resolved here, against
//! [`Defs`]: noun phrases become quantifier domains plus filter code,
//! qualifiers and values are inlined (definitions never recurse, so inlining
//! terminates; a cycle is reported), paths are interned, regexes and
//! JSONPath queries compiled once.

use std::collections::HashMap;

use super::scope::{Builtin, Defs, NounRef};
use crate::bytecode::{
    Check1, Check2, Cmp, Code, Const, Domain, DomainSource, EnvScope, EnvSelSpec, NsScope, Op, PathSeg, PathSpec,
    Program, Quant, Slot,
};
use crate::diag::{Diag, Sources, did_you_mean};
use crate::syntax::ast::{
    ArithOp, CmpOp, EnvSel, EnvSelKind, Expr, ExprKind, Filter, Lit, NounPhrase, Pred, PredKind, Quant as AQuant,
    Scope, Seg, Span, Test, Text, Word,
};
use crate::vm::functions;
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
    fn describe(&self) -> String {
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

    fn bound(&self, name: &str) -> Option<&Subj> {
        self.binds.iter().rev().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    fn with_it(&self, it: Subj) -> Cx {
        let owner = owner_of(&it, self.owner);
        Cx { it: Some(it), owner, ..self.clone() }
    }
}

/// The owning object of a subject: itself when it is an object, the outer
/// owner for a nested element, none for an env or a plain value.
fn owner_of(it: &Subj, outer: Option<Slot>) -> Option<Slot> {
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
    consts: HashMap<String, u32>,
    paths: HashMap<String, u32>,
    /// Envs named by the rule being compiled.
    pub named_envs: Vec<String>,
    /// Env tags named by the rule being compiled.
    pub named_tags: Vec<String>,
    pub start_ops: usize,
}

/// The element count of a list, map or `+` as the 16-bit operand its op
/// holds: a larger literal is a compile error, never a silently cut list.
fn operand_count(n: usize, span: Span) -> R<u16> {
    u16::try_from(n).map_err(|_| {
        Diag::new(
            "parity::compile::too-large",
            span,
            format!("{n} elements in one literal or sum; at most {}", u16::MAX),
        )
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
            paths: HashMap::new(),
            named_envs: Vec::new(),
            named_tags: Vec::new(),
            start_ops: 0,
        }
    }

    // ---------------------------------------------------------------- emission

    pub fn emit(&mut self, op: Op) -> usize {
        self.prog.ops.push(op);
        self.prog.ops.len() - 1
    }

    fn here(&self) -> u32 {
        self.prog.ops.len() as u32
    }

    fn patch(&mut self, at: usize, target: u32) {
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

    fn alloc(&mut self, n: u16) -> Slot {
        let s = self.next_slot;
        self.next_slot += n;
        self.max_slot = self.max_slot.max(self.next_slot);
        s
    }

    fn check_size(&self, span: Span) -> R<()> {
        if self.prog.ops.len() - self.start_ops > MAX_OPS_PER_RULE {
            return Err(Diag::new("parity::compile::too-large", span, "this rule compiles to too much code")
                .help("definitions used here expand into each other too many times; simplify them"));
        }
        Ok(())
    }

    pub fn konst(&mut self, c: Const) -> u32 {
        let key = format!("{c:?}");
        if let Some(id) = self.consts.get(&key) {
            return *id;
        }
        self.prog.consts.push(c);
        let id = (self.prog.consts.len() - 1) as u32;
        self.consts.insert(key, id);
        id
    }

    fn path_id(&mut self, segs: Vec<PathSeg>) -> u32 {
        let key = format!("{segs:?}");
        if let Some(id) = self.paths.get(&key) {
            return *id;
        }
        self.prog.paths.push(PathSpec { segs });
        let id = (self.prog.paths.len() - 1) as u32;
        self.paths.insert(key, id);
        id
    }

    fn texts(&mut self, lhs: String, rhs: String) -> u32 {
        self.prog.texts.push(lhs);
        self.prog.texts.push(rhs);
        (self.prog.texts.len() - 2) as u32
    }

    /// The source text of a span on one line, comments dropped.
    fn src(&self, span: Span) -> String {
        snippet(self.sources.slice(span))
    }

    fn domain(&mut self, source: DomainSource, label: String) -> u32 {
        self.prog.domains.push(Domain { source, label });
        (self.prog.domains.len() - 1) as u32
    }

    pub fn env_sel(&mut self, sel: &EnvSel) -> u32 {
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
            return i as u32;
        }
        self.prog.env_sels.push(spec);
        (self.prog.env_sels.len() - 1) as u32
    }

    fn kind_set(&mut self, kinds: Vec<String>) -> u32 {
        if let Some(i) = self.prog.kind_sets.iter().position(|k| *k == kinds) {
            return i as u32;
        }
        self.prog.kind_sets.push(kinds);
        (self.prog.kind_sets.len() - 1) as u32
    }

    /// Ends a block and returns its code handle.
    pub fn block(&mut self, f: impl FnOnce(&mut Self) -> R<()>) -> R<Code> {
        let entry = self.here();
        f(self)?;
        self.emit(Op::Ret);
        Ok(Code { entry })
    }

    fn enter(&mut self, kind: &'static str, name: &str, span: Span) -> R<()> {
        if let Some(pos) = self.stack.iter().position(|(k, n)| *k == kind && n == name) {
            let chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| format!("`{n}`")).collect();
            return Err(Diag::new("parity::compile::cycle", span, format!("definition cycle: `{name}` uses itself"))
                .label("used again here")
                .help(format!(
                    "the chain is {} → `{name}`; a definition may use others, but never itself",
                    chain.join(" → ")
                )));
        }
        if self.stack.len() > 64 {
            return Err(Diag::new("parity::compile::too-deep", span, "definitions nest more than 64 levels deep"));
        }
        self.stack.push((kind, name.to_string()));
        Ok(())
    }

    fn leave(&mut self) {
        self.stack.pop();
    }

    // ---------------------------------------------------------------- conditions

    /// Emits code that leaves a bool: whether `e` holds.
    pub fn cond(&mut self, e: &Expr, cx: &Cx) -> R<()> {
        self.check_size(e.span)?;
        match &e.kind {
            ExprKind::Or(parts) | ExprKind::And(parts) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut jumps = Vec::new();
                for (i, p) in parts.iter().enumerate() {
                    self.cond(p, cx)?;
                    if i + 1 < parts.len() {
                        jumps.push(self.emit(if is_and { Op::AndJump(0) } else { Op::OrJump(0) }));
                    }
                }
                let end = self.here();
                for j in jumps {
                    self.patch(j, end);
                }
                Ok(())
            }
            ExprKind::Not(inner) => {
                self.cond(inner, cx)?;
                self.emit(Op::Not);
                Ok(())
            }
            ExprKind::Quantified { quant, np, pred } => self.quantified(*quant, np, pred.as_ref(), cx, None),
            ExprKind::EnvSubject { env, pred } => {
                let sel = self.env_sel(env);
                let label = self.src(env.span);
                self.env_quantifier(AQuant::Every, sel, label, &[], Some(pred), cx)
            }
            ExprKind::Has(inner) => {
                let subj = self.current_subject(cx, e.span)?;
                self.has(inner, &subj, cx)
            }
            ExprKind::Bare { np, pred } => self.bare_cond(np, pred.as_ref(), cx, e.span),
            ExprKind::Test { value, test } => self.test(value, test, cx, e.span),
            ExprKind::Agree { .. } => Err(Diag::new(
                "parity::compile::agree-position",
                e.span,
                "`agree on` can only be a rule's own check, not part of a condition",
            )
            .help("make it the rule body, or join it to other checks with `and`")),
            _ => {
                let t = self.texts(self.src(e.span), String::new());
                self.value(e, cx)?;
                self.emit(Op::Test(Check1::Truthy, t));
                Ok(())
            }
        }
    }

    fn current_subject(&self, cx: &Cx, span: Span) -> R<Subj> {
        if let Some(it) = &cx.it {
            return Ok(it.clone());
        }
        if let Some(env) = cx.env {
            return Ok(Subj { slot: env, ty: Ty::Env });
        }
        Err(Diag::new("parity::compile::no-subject", span, "`has` needs a subject here")
            .help("say what has it: `every env has ...`, `env prod has ...`"))
    }

    /// `SUBJECT has X`: X is a noun phrase (some X in the subject's scope), a
    /// quantified phrase, or a condition on the subject.
    fn has(&mut self, e: &Expr, subj: &Subj, cx: &Cx) -> R<()> {
        let scx = self.subject_cx(cx, subj);
        match &e.kind {
            ExprKind::Quantified { quant, np, pred } => self.quantified(*quant, np, pred.as_ref(), &scx, Some(subj)),
            ExprKind::Bare { np, pred } if self.resolve_np(np).is_ok() => {
                let r = self.resolve_np(np)?;
                let q = if pred.is_some() || !r.trailing.is_empty() { AQuant::Every } else { AQuant::Some };
                self.quantified(q, np, pred.as_ref(), &scx, Some(subj))
            }
            _ => self.cond(e, &scx),
        }
    }

    fn subject_cx(&self, cx: &Cx, subj: &Subj) -> Cx {
        let mut scx = cx.with_it(subj.clone());
        if subj.ty == Ty::Env {
            scx.env = Some(subj.slot);
        }
        scx
    }

    /// A bare noun phrase as a condition.
    fn bare_cond(&mut self, np: &NounPhrase, pred: Option<&Pred>, cx: &Cx, span: Span) -> R<()> {
        match self.resolve_np(np) {
            Ok(r) => {
                let q = if pred.is_some() || !r.trailing.is_empty() { AQuant::Every } else { AQuant::Some };
                let has = cx.it.clone();
                self.quantified(q, np, pred, cx, has.as_ref())
            }
            Err(noun_err) => {
                if !np.filters.is_empty() || pred.is_some() {
                    return Err(noun_err);
                }
                if let [w] = &np.words[..] {
                    return self.word_cond(w, cx, noun_err);
                }
                // A multi-word qualifier applied to the current subject.
                let name = join_words(&np.words);
                if let Some(name) = name.filter(|n| !self.defs.qualifier(n).is_empty()) {
                    let subj = self.current_subject(cx, span)?;
                    return self.apply_qualifier(&name, &[], &subj, cx, span);
                }
                Err(noun_err)
            }
        }
    }

    /// One word as a condition: a qualifier of the subject, a value, a bound
    /// name, or a path (its existence).
    fn word_cond(&mut self, w: &Word, cx: &Cx, noun_err: Diag) -> R<()> {
        match w {
            // A bare field is a condition on its value: a boolean is its
            // truth (`readOnlyRootFilesystem: false` is false), anything
            // else must be present and not null.
            Word::Path(p) => {
                let t = self.texts(self.src(p.span), String::new());
                self.path_value(p, cx)?;
                self.emit(Op::Test(Check1::Truthy, t));
                Ok(())
            }
            Word::Resource(t) => {
                let subj = self.current_subject(cx, t.span)?;
                let arg = lit_str(&t.text, t.span);
                self.apply_qualifier("resource", &[arg], &subj, cx, t.span)
            }
            Word::Call { name, args, span } => {
                if !self.defs.qualifier(&name.text).is_empty() {
                    let subj = self.current_subject(cx, *span)?;
                    return self.apply_qualifier(&name.text, args, &subj, cx, *span);
                }
                let call =
                    Expr { kind: ExprKind::Call { name: name.clone(), args: args.clone(), tail: vec![] }, span: *span };
                let t = self.texts(self.src(*span), String::new());
                self.value(&call, cx)?;
                self.emit(Op::Test(Check1::Truthy, t));
                Ok(())
            }
            Word::Env(span) => Err(Diag::new("parity::compile::type", *span, "`env` alone is not a condition")),
            Word::Name(t) => {
                let n = t.text.as_str();
                if !self.defs.qualifier(n).is_empty() {
                    let subj = self.current_subject(cx, t.span)?;
                    return self.apply_qualifier(n, &[], &subj, cx, t.span);
                }
                if cx.bound(n).is_some() || self.defs.value(n).is_some() || n == "it" {
                    let tx = self.texts(n.to_string(), String::new());
                    let e = Expr {
                        kind: ExprKind::Path(crate::syntax::ast::Path { head: t.clone(), segs: vec![], span: t.span }),
                        span: t.span,
                    };
                    self.value(&e, cx)?;
                    self.emit(Op::Test(Check1::Truthy, tx));
                    return Ok(());
                }
                Err(noun_err.help(format!(
                    "`{n}` is not a noun, qualifier or value in scope; to test a field, write `{n} exists`"
                )))
            }
        }
    }

    fn test(&mut self, value: &Expr, test: &Test, cx: &Cx, span: Span) -> R<()> {
        let lt = self.src(value.span);
        let rt = |g: &Self, e: &Expr| if matches!(e.kind, ExprKind::Lit(_)) { String::new() } else { g.src(e.span) };
        match test {
            Test::Cmp(op, rhs) => {
                self.static_types(value, rhs, span)?;
                let t = self.texts(lt, rt(self, rhs));
                self.value(value, cx)?;
                self.value(rhs, cx)?;
                let op = match op {
                    CmpOp::Eq => Cmp::Eq,
                    CmpOp::Ne => Cmp::Ne,
                    CmpOp::Lt => Cmp::Lt,
                    CmpOp::Le => Cmp::Le,
                    CmpOp::Gt => Cmp::Gt,
                    CmpOp::Ge => Cmp::Ge,
                };
                // A string literal says "compare as text"; two values from
                // data are typed at run time (docs/language.md).
                let literal = |e: &Expr| matches!(e.kind, ExprKind::Lit(crate::syntax::ast::Lit::Str(_)));
                if literal(value) || literal(rhs) {
                    self.emit(Op::CmpText(op, t));
                } else {
                    self.emit(Op::Cmp(op, t));
                }
            }
            Test::Exists | Test::Missing { .. } | Test::Empty { .. } | Test::Null { .. } => {
                let t = self.texts(lt, String::new());
                self.value(value, cx)?;
                let (check, negate) = match test {
                    Test::Exists => (Check1::Exists, false),
                    Test::Missing { negated } => (Check1::Exists, !negated),
                    Test::Empty { negated } => (Check1::Empty, *negated),
                    Test::Null { negated: false } => (Check1::Null, false),
                    _ => (Check1::Exists, false),
                };
                if matches!(test, Test::Empty { negated: true }) {
                    // `is not empty`: present and not empty.
                    self.emit(Op::Test(Check1::Empty, t));
                    self.emit(Op::Not);
                    return Ok(());
                }
                self.emit(Op::Test(check, t));
                if negate {
                    self.emit(Op::Not);
                }
            }
            Test::Like { negated, rhs } | Test::Matches { negated, rhs } => {
                let pattern = match &rhs.kind {
                    ExprKind::Lit(Lit::Str(s)) => s.clone(),
                    _ => {
                        return Err(Diag::new(
                            "parity::compile::pattern",
                            rhs.span,
                            "a pattern must be a string literal",
                        )
                        .help("patterns are compiled once, when rules compile"));
                    }
                };
                let is_glob = matches!(test, Test::Like { .. });
                let re = if is_glob { glob_to_regex(&pattern) } else { pattern.clone() };
                let compiled = regex::RegexBuilder::new(&re).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| {
                    Diag::new("parity::compile::regex", rhs.span, format!("invalid {}: {}", if is_glob { "glob" } else { "regex" }, last_line(&e.to_string())))
                        .label("this pattern")
                        .help("regexes use Rust `regex` syntax (no look-around or back-references); they are limited in size so matching stays fast")
                })?;
                self.prog.regexes.push(compiled);
                let r = (self.prog.regexes.len() - 1) as u32;
                let t = self.texts(lt, format!("{pattern:?}"));
                self.negatable(*negated, value, cx, |g| {
                    g.emit(Op::Match(r, t));
                    Ok(())
                })?;
            }
            Test::In { negated, rhs } | Test::Contains { negated, rhs } => {
                let kind = if matches!(test, Test::In { .. }) { Check2::In } else { Check2::Contains };
                let t = self.texts(lt, rt(self, rhs));
                let rhs = rhs.clone();
                // Negated, the collection must exist too: `"a" not in
                // spec.missing` is false, like every test on absent.
                if *negated {
                    let rt = self.texts(self.src(rhs.span), String::new());
                    self.value(&rhs, cx)?;
                    self.emit(Op::Test(Check1::Exists, rt));
                    let j = self.emit(Op::AndJump(0));
                    self.negatable(true, value, cx, |g| {
                        g.value(&rhs, cx)?;
                        g.emit(Op::Test2(kind, t));
                        Ok(())
                    })?;
                    let end = self.here();
                    self.patch(j, end);
                    return Ok(());
                }
                self.negatable(false, value, cx, |g| {
                    g.value(&rhs, cx)?;
                    g.emit(Op::Test2(kind, t));
                    Ok(())
                })?;
            }
            Test::StartsWith { negated, rhs } | Test::EndsWith { negated, rhs } => {
                let kind = if matches!(test, Test::StartsWith { .. }) { Check2::StartsWith } else { Check2::EndsWith };
                let t = self.texts(lt, rt(self, rhs));
                let rhs = rhs.clone();
                self.negatable(*negated, value, cx, |g| {
                    g.value(&rhs, cx)?;
                    g.emit(Op::Test2(kind, t));
                    Ok(())
                })?;
            }
            Test::SubsetOf(rhs) | Test::SameSetAs(rhs) => {
                let kind = if matches!(test, Test::SubsetOf(_)) { Check2::SubsetOf } else { Check2::SameSetAs };
                let t = self.texts(lt, rt(self, rhs));
                self.value(value, cx)?;
                self.value(rhs, cx)?;
                self.emit(Op::Test2(kind, t));
            }
        }
        Ok(())
    }

    /// Emits `value <test>`; negated, `value exists and not (value <test>)`,
    /// so a negated test on an absent value is false like every other.
    fn negatable(&mut self, negated: bool, value: &Expr, cx: &Cx, rest: impl Fn(&mut Self) -> R<()>) -> R<()> {
        if !negated {
            self.value(value, cx)?;
            return rest(self);
        }
        let t = self.texts(self.src(value.span), String::new());
        self.value(value, cx)?;
        self.emit(Op::Test(Check1::Exists, t));
        let j = self.emit(Op::AndJump(0));
        self.value(value, cx)?;
        rest(self)?;
        self.emit(Op::Not);
        let end = self.here();
        self.patch(j, end);
        Ok(())
    }

    /// Rejects comparisons whose operands are literals of different kinds.
    fn static_types(&self, a: &Expr, b: &Expr, span: Span) -> R<()> {
        fn kind(e: &Expr) -> Option<&'static str> {
            match &e.kind {
                ExprKind::Lit(Lit::Version(_)) => Some("version"),
                ExprKind::Lit(Lit::Quantity(_)) => Some("quantity"),
                ExprKind::Lit(Lit::Bool(_)) => Some("bool"),
                ExprKind::List(_) => Some("list"),
                ExprKind::Map(_) => Some("map"),
                _ => None,
            }
        }
        match (kind(a), kind(b)) {
            (Some(x), Some(y)) if x != y => Err(Diag::new(
                "parity::compile::type",
                span,
                format!("this compares a {x} with a {y}, which is never true"),
            )
            .label("never true")
            .help("compare values of one type; use `quantity(...)` or `version(...)` to read text as one")),
            _ => Ok(()),
        }
    }

    // ---------------------------------------------------------------- values

    /// Emits code that leaves the value of `e`.
    pub fn value(&mut self, e: &Expr, cx: &Cx) -> R<()> {
        self.check_size(e.span)?;
        match &e.kind {
            ExprKind::Lit(l) => {
                let c = self.literal(l, e.span)?;
                let id = self.konst(c);
                self.emit(Op::Const(id));
            }
            ExprKind::Path(p) => self.path_value(p, cx)?,
            ExprKind::Call { name, args, tail } => {
                self.call(name, args, cx, e.span)?;
                self.tail(tail, cx)?;
            }
            ExprKind::EnvRef(segs) => {
                let Some(env) = cx.env else {
                    return Err(Diag::new("parity::compile::no-env", e.span, "there is no current env here")
                        .help("`env` names the env of the object or env being checked; use it inside `every ...`"));
                };
                self.emit(Op::Load(env));
                self.tail(segs, cx)?;
            }
            ExprKind::Counterpart(sel) => {
                let subj = self.object_subject(cx, e.span)?;
                let s = self.env_sel(sel);
                self.emit(Op::Load(subj.slot));
                self.emit(Op::Counterpart(s));
            }
            ExprKind::Comprehension { value, np } => self.comprehension(value, np, cx)?,
            ExprKind::Map(entries) => {
                for (k, v) in entries {
                    let id = self.konst(Const::Str(k.text.clone()));
                    self.emit(Op::Const(id));
                    self.value(v, cx)?;
                }
                let n = operand_count(entries.len(), e.span)?;
                self.emit(Op::Map(n));
            }
            ExprKind::List(items) => {
                for v in items {
                    self.value(v, cx)?;
                }
                let n = operand_count(items.len(), e.span)?;
                self.emit(Op::List(n));
            }
            ExprKind::JsonPath(text) => {
                let q = jsonpath_rust::parser::parse_json_path(text).map_err(|err| {
                    Diag::new(
                        "parity::compile::jsonpath",
                        e.span,
                        format!("invalid JSONPath: {}", first_line(&err.to_string())),
                    )
                    .help("JSONPath follows RFC 9535, e.g. `$.spec.containers[?(@.name == 'app')].image`")
                })?;
                self.prog.queries.push((text.clone(), q));
                let id = (self.prog.queries.len() - 1) as u32;
                let subj = self.current_subject(cx, e.span)?;
                self.emit(Op::Load(subj.slot));
                self.emit(Op::Query(id));
            }
            ExprKind::Add(parts) => {
                for p in parts {
                    self.value(p, cx)?;
                }
                let n = operand_count(parts.len(), e.span)?;
                self.emit(Op::Add(n));
            }
            ExprKind::Arith(op, lhs, rhs) => {
                for side in [lhs, rhs] {
                    if let ExprKind::Lit(Lit::Str(_) | Lit::Bool(_) | Lit::Null | Lit::Version(_))
                    | ExprKind::List(_)
                    | ExprKind::Map(_) = side.kind
                    {
                        return Err(Diag::new(
                            "parity::compile::type",
                            side.span,
                            format!("`{}` works on numbers and quantities", if *op == ArithOp::Sub { "-" } else { "*" }),
                        )
                        .label("not a number or quantity")
                        .help("subtract and multiply numbers or quantities (`quantity(limits.cpu) - quantity(requests.cpu)`, `quantity(requests.memory) * 2`)"));
                    }
                }
                if *op == ArithOp::Mul
                    && let (ExprKind::Lit(Lit::Quantity(_)), ExprKind::Lit(Lit::Quantity(_))) = (&lhs.kind, &rhs.kind)
                {
                    return Err(Diag::new(
                        "parity::compile::type",
                        e.span,
                        "a quantity times a quantity has no meaning",
                    )
                    .help("multiply a quantity by a number: `quantity(x) * 2`"));
                }
                self.value(lhs, cx)?;
                self.value(rhs, cx)?;
                self.emit(if *op == ArithOp::Sub { Op::Sub } else { Op::Mul });
            }
            ExprKind::Paren { expr, tail } => {
                self.value(expr, cx)?;
                self.tail(tail, cx)?;
            }
            ExprKind::Bare { np, pred: None } if np.filters.is_empty() && np.words.len() == 1 => match &np.words[0] {
                Word::Name(t) => {
                    let p = crate::syntax::ast::Path { head: t.clone(), segs: vec![], span: t.span };
                    self.path_value(&p, cx)?;
                }
                Word::Path(p) => self.path_value(p, cx)?,
                Word::Call { name, args, span } => self.call(name, args, cx, *span)?,
                _ => self.cond(e, cx)?,
            },
            _ => self.cond(e, cx)?,
        }
        Ok(())
    }

    fn object_subject(&self, cx: &Cx, span: Span) -> R<Subj> {
        match &cx.it {
            Some(s) if matches!(s.ty, Ty::Obj(_)) => Ok(s.clone()),
            _ => Err(Diag::new("parity::compile::type", span, "a counterpart belongs to an object")
                .help("use it inside `every <noun> ...`, where there is an object to pair")),
        }
    }

    fn literal(&self, l: &Lit, span: Span) -> R<Const> {
        Ok(match l {
            Lit::Null => Const::Null,
            Lit::Bool(b) => Const::Bool(*b),
            Lit::Num(n) => Const::Num(*n),
            Lit::Str(s) => {
                if s.len() > MAX_LITERAL_BYTES {
                    return Err(Diag::new(
                        "parity::compile::too-large",
                        span,
                        format!("string literal is {} bytes; the limit is {MAX_LITERAL_BYTES}", s.len()),
                    ));
                }
                Const::Str(s.clone())
            }
            Lit::Quantity(q) => Const::Quantity(Quantity::parse(q).ok_or_else(|| {
                Diag::new("parity::compile::literal", span, format!("`{q}` is not a quantity Kubernetes can read"))
            })?),
            Lit::Version(v) => Const::Version(
                Version::parse(v)
                    .ok_or_else(|| Diag::new("parity::compile::literal", span, format!("`{v}` is not a version")))?,
            ),
        })
    }

    /// A path: its head is a bound name, `it`, a value definition, a virtual
    /// root (`podspec`, `containers`) or a field of the current subject.
    fn path_value(&mut self, p: &crate::syntax::ast::Path, cx: &Cx) -> R<()> {
        let head = p.head.text.as_str();
        let mut segs: Vec<PathSeg> = Vec::new();
        let mut tail = &p.segs[..];
        // `w.containers`, `it.podspec`: the virtual roots after a name.
        let virtual_first = |tail: &[Seg]| match tail.first() {
            Some(Seg::Key(k)) if k == "podspec" => Some(PathSeg::PodSpec),
            Some(Seg::Key(k)) if k == "containers" => Some(PathSeg::Containers),
            _ => None,
        };
        if (head == "it" || cx.bound(head).is_some())
            && let Some(v) = virtual_first(tail)
        {
            segs.push(v);
            tail = &tail[1..];
        }
        if head == "it" {
            let s = self.current_subject(cx, p.span)?;
            self.emit(Op::Load(s.slot));
        } else if let Some(s) = cx.bound(head) {
            self.emit(Op::Load(s.slot));
        } else if let Some(v) = self.defs.value(head) {
            if !v.params.is_empty() {
                return Err(arity(head, v.params.len(), 0, p.head.span));
            }
            self.inline_value(v, &[], cx, p.head.span)?;
        } else {
            let s = self.current_subject(cx, p.span)?;
            self.emit(Op::Load(s.slot));
            segs.push(match head {
                "podspec" => PathSeg::PodSpec,
                "containers" => PathSeg::Containers,
                _ => PathSeg::Key(head.to_string()),
            });
        }
        self.segs(segs, tail, cx)
    }

    fn tail(&mut self, tail: &[Seg], cx: &Cx) -> R<()> {
        self.segs(Vec::new(), tail, cx)
    }

    fn segs(&mut self, mut segs: Vec<PathSeg>, tail: &[Seg], cx: &Cx) -> R<()> {
        for s in tail {
            segs.push(match s {
                Seg::Key(k) => PathSeg::Key(k.clone()),
                Seg::Index(i) => PathSeg::Index(*i),
                Seg::Star => PathSeg::Star,
                Seg::Expr(e) => {
                    self.value(e, cx)?;
                    PathSeg::Dyn
                }
            });
        }
        if !segs.is_empty() {
            let id = self.path_id(segs);
            self.emit(Op::Path(id));
        }
        Ok(())
    }

    fn call(&mut self, name: &Text, args: &[Expr], cx: &Cx, span: Span) -> R<()> {
        let n = name.text.as_str();
        if let Some(v) = self.defs.value(n) {
            if v.params.len() != args.len() {
                return Err(arity(n, v.params.len(), args.len(), span));
            }
            return self.inline_value(v, args, cx, span);
        }
        if !self.defs.qualifier(n).is_empty() {
            let subj = self.current_subject(cx, span)?;
            return self.apply_qualifier(n, args, &subj, cx, span);
        }
        let Some((id, f)) = functions::lookup(n) else {
            let mut names: Vec<&str> = functions::FUNCTIONS.iter().map(|f| f.name).collect();
            let all = self.defs.all_names();
            names.extend(all.iter().copied());
            let mut d = Diag::new("parity::compile::unknown-name", name.span, format!("unknown function `{n}`"))
                .label("not defined");
            d = match did_you_mean(n, names) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("see docs/language.md for the built-in functions"),
            };
            return Err(d);
        };
        if args.len() < f.min || args.len() > f.max {
            return Err(arity(n, f.min, args.len(), span));
        }
        for a in args {
            self.value(a, cx)?;
        }
        self.emit(Op::Call(id, args.len() as u8));
        Ok(())
    }

    fn inline_value(&mut self, v: &crate::syntax::ast::ValueDef, args: &[Expr], cx: &Cx, span: Span) -> R<()> {
        self.enter("value", &v.name.text, span)?;
        let mut vcx = Cx { it: cx.it.clone(), env: cx.env, binds: Vec::new(), owner: cx.owner };
        for (p, a) in v.params.iter().zip(args) {
            let ty = self.static_ty(a, cx);
            self.value(a, cx)?;
            let slot = self.alloc(2);
            self.emit(Op::Store(slot));
            vcx.binds.push((p.text.clone(), Subj { slot, ty }));
        }
        let r = self.value(&v.body, &vcx);
        self.leave();
        r
    }

    /// What an argument is, when it can be seen (a bound object stays one).
    fn static_ty(&self, e: &Expr, cx: &Cx) -> Ty {
        match &e.kind {
            ExprKind::Path(p) if p.segs.is_empty() => {
                if p.head.text == "it" {
                    return cx.it.as_ref().map(|s| s.ty.clone()).unwrap_or(Ty::Value);
                }
                cx.bound(&p.head.text).map(|s| s.ty.clone()).unwrap_or(Ty::Value)
            }
            ExprKind::Bare { np, pred: None } if np.words.len() == 1 && np.filters.is_empty() => match &np.words[0] {
                Word::Name(t) if t.text == "it" => cx.it.as_ref().map(|s| s.ty.clone()).unwrap_or(Ty::Value),
                Word::Name(t) => cx.bound(&t.text).map(|s| s.ty.clone()).unwrap_or(Ty::Value),
                _ => Ty::Value,
            },
            ExprKind::Counterpart(_) => cx.it.as_ref().map(|s| s.ty.clone()).unwrap_or(Ty::Obj(None)),
            ExprKind::EnvRef(segs) if segs.is_empty() => Ty::Env,
            _ => Ty::Value,
        }
    }

    /// Applies a qualifier to a subject, choosing the definition for the
    /// subject's noun (at run time when the noun spans several kinds).
    pub fn apply_qualifier(&mut self, name: &str, args: &[Expr], subj: &Subj, cx: &Cx, span: Span) -> R<()> {
        let overloads = self.defs.qualifier(name);
        if overloads.is_empty() {
            let mut d = Diag::new("parity::compile::unknown-name", span, format!("unknown qualifier `{name}`"))
                .label("not defined");
            if let Some(s) = did_you_mean(name, self.defs.qualifier_names()) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help("define it with `qualifier NAME for NOUN = CONDITION`");
            }
            return Err(d);
        }
        // Each overload with the kinds (or collection) it applies to.
        let mut candidates = Vec::new();
        for q in overloads {
            for noun in &q.nouns {
                let target = self.noun_target(&noun.text, noun.span)?;
                let fit = fits(&subj.ty, &target);
                if fit != Fit::No {
                    candidates.push((*q, target, fit));
                }
            }
        }
        if candidates.is_empty() {
            let nouns: Vec<String> =
                overloads.iter().flat_map(|q| q.nouns.iter().map(|n| format!("`{}`", n.text))).collect();
            return Err(Diag::new(
                "parity::compile::type",
                span,
                format!("qualifier `{name}` does not apply to {}", subj.ty.describe()),
            )
            .label(format!("used on {}", subj.ty.describe()))
            .help(format!("it is defined for {}", nouns.join(", "))));
        }
        for (q, _, _) in &candidates {
            if q.params.len() != args.len() {
                return Err(arity(name, q.params.len(), args.len(), span));
            }
        }
        if let Some((q, _, _)) = candidates.iter().find(|(_, _, f)| *f == Fit::All) {
            return self.inline_qualifier(q, args, subj, cx, span);
        }
        // Dispatch on the object's kind at run time.
        let mut ends = Vec::new();
        for (q, target, _) in &candidates {
            let Ty::Obj(Some(kinds)) = target else { continue };
            let k = self.kind_set(kinds.clone());
            self.emit(Op::Load(subj.slot));
            self.emit(Op::KindIn(k));
            let skip = self.emit(Op::JumpIfFalse(0));
            self.inline_qualifier(q, args, subj, cx, span)?;
            ends.push(self.emit(Op::Jump(0)));
            let next = self.here();
            self.patch(skip, next);
        }
        let f = self.konst(Const::Bool(false));
        self.emit(Op::Const(f));
        let end = self.here();
        for j in ends {
            self.patch(j, end);
        }
        Ok(())
    }

    fn inline_qualifier(
        &mut self,
        q: &crate::syntax::ast::QualifierDef,
        args: &[Expr],
        subj: &Subj,
        cx: &Cx,
        span: Span,
    ) -> R<()> {
        self.enter("qualifier", &q.name.text, span)?;
        let mut qcx = Cx::of(subj.clone(), cx.env, Vec::new(), cx.owner);
        if subj.ty == Ty::Env {
            qcx.env = Some(subj.slot);
        }
        for (p, a) in q.params.iter().zip(args) {
            let ty = self.static_ty(a, cx);
            self.value(a, cx)?;
            let slot = self.alloc(2);
            self.emit(Op::Store(slot));
            qcx.binds.push((p.text.clone(), Subj { slot, ty }));
        }
        let r = self.cond(&q.body, &qcx);
        self.leave();
        r
    }

    /// The type a noun name stands for (for qualifier and collection
    /// definitions' `for NOUN`).
    fn noun_target(&mut self, noun: &str, span: Span) -> R<Ty> {
        match self.defs.noun(noun) {
            Some((_, NounRef::Builtin(Builtin::Env))) => Ok(Ty::Env),
            Some((_, NounRef::Builtin(Builtin::Kinds(k)))) => Ok(Ty::Obj(k.clone())),
            Some((name, NounRef::Collection(_))) => Ok(Ty::Coll(name)),
            Some((name, NounRef::Def(d))) => {
                self.enter("noun", &name, span)?;
                let r = self.resolve_words(&d.np.words).map(|r| r.ty());
                self.leave();
                r
            }
            None => Err(self.unknown_noun(noun, span)),
        }
    }

    fn unknown_noun(&self, word: &str, span: Span) -> Diag {
        let mut d = Diag::new("parity::compile::unknown-name", span, format!("unknown noun `{word}`"))
            .label("not a noun in scope");
        d = match did_you_mean(&word.to_ascii_lowercase(), self.defs.all_names()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("nouns are Kubernetes kinds (`deployment`, `node`, ...), `workload`, `object`, `env`, and `noun` definitions"),
        };
        d
    }

    // ---------------------------------------------------------------- noun phrases

    /// Resolves a noun phrase: qualifier words, the head noun (expanding noun
    /// definitions), trailing words, filters.
    pub fn resolve_np(&mut self, np: &NounPhrase) -> R<Resolved> {
        let mut r = self.resolve_words(&np.words)?;
        if !np.alts.is_empty() {
            r = self.resolve_union(np, r)?;
        }
        r.filters.extend(np.filters.iter().cloned());
        Ok(r)
    }

    /// `A or B ...` right after a quantifier: the union of the nouns' kinds.
    /// Every member must be a plain kind noun (no qualifiers, no words after
    /// it); anything else is rejected with the two ways to write it.
    fn resolve_union(&mut self, np: &NounPhrase, first: Resolved) -> R<Resolved> {
        let mut kinds: Option<Vec<String>> = Some(Vec::new());
        let mut labels = Vec::new();
        let members = std::iter::once(&np.words).chain(np.alts.iter());
        for (i, words) in members.enumerate() {
            let r = if i == 0 { Ok(first.clone()) } else { self.resolve_words(words) };
            let span = words.first().map(|w| w.span()).unwrap_or(np.span);
            let span = words.last().map(|w| span.to(w.span())).unwrap_or(span);
            let member = self.src(span);
            let ok = match &r {
                Ok(r) if r.quals.is_empty() && r.trailing.is_empty() && r.filters.is_empty() => match &r.base {
                    Base::Objects(k) => Some(k.clone()),
                    _ => None,
                },
                _ => None,
            };
            let Some(k) = ok else {
                let phrase = self.src(np.span);
                let (head, rest) = phrase.split_once(" or ").unwrap_or((phrase.as_str(), ""));
                return Err(Diag::new(
                    "parity::compile::ambiguous",
                    span,
                    format!("`{member}` in `... or {member}` is not a plain kind noun"),
                )
                .label("read as one of a union of nouns")
                .help(format!(
                    "right after a quantifier, `or` joins nouns: `{phrase}` reads as `({head} or {rest})`; \
                     to join two conditions, parenthesise them: `(... {head}) or ({rest})`"
                )));
            };
            labels.push(member);
            kinds = match (kinds, k) {
                (Some(mut acc), Some(k)) => {
                    for x in k {
                        if !acc.contains(&x) {
                            acc.push(x);
                        }
                    }
                    Some(acc)
                }
                _ => None,
            };
        }
        Ok(Resolved {
            base: Base::Objects(kinds),
            label: labels.join(" or "),
            quals: vec![],
            filters: vec![],
            trailing: vec![],
        })
    }

    fn resolve_words(&mut self, words: &[Word]) -> R<Resolved> {
        let head = words.iter().position(|w| match w {
            Word::Env(_) => true,
            Word::Name(t) => self.defs.noun(&t.text).is_some(),
            _ => false,
        });
        let Some(h) = head else {
            let first = words.iter().find(|w| !matches!(w, Word::Resource(_))).unwrap_or(&words[0]);
            return Err(match first {
                Word::Name(t) => self.unknown_noun(&t.text, t.span),
                other => Diag::new("parity::compile::unknown-name", other.span(), "expected a noun here")
                    .label("no noun in this phrase")
                    .help("a noun phrase is qualifiers and a noun: `nvidia.com/gpu node`, `system namespaces`"),
            });
        };
        let mut quals = Vec::new();
        for w in &words[..h] {
            quals.push(match w {
                Word::Name(t) => QualUse { name: t.text.clone(), args: vec![], span: t.span },
                Word::Resource(t) => {
                    QualUse { name: "resource".into(), args: vec![lit_str(&t.text, t.span)], span: t.span }
                }
                Word::Call { name, args, span } => QualUse { name: name.text.clone(), args: args.clone(), span: *span },
                other => {
                    return Err(Diag::new("parity::compile::type", other.span(), "a path cannot qualify a noun")
                        .help("filter with `where PATH ...` after the noun"));
                }
            });
        }
        let trailing = words[h + 1..].to_vec();
        let (label, mut base_r) = match &words[h] {
            Word::Env(_) => (
                "env".to_string(),
                Resolved { base: Base::Env, label: String::new(), quals: vec![], filters: vec![], trailing: vec![] },
            ),
            Word::Name(t) => {
                let (name, nref) = self.defs.noun(&t.text).ok_or_else(|| self.unknown_noun(&t.text, t.span))?;
                let r = match nref {
                    NounRef::Builtin(Builtin::Env) => Resolved {
                        base: Base::Env,
                        label: String::new(),
                        quals: vec![],
                        filters: vec![],
                        trailing: vec![],
                    },
                    NounRef::Builtin(Builtin::Kinds(k)) => Resolved {
                        base: Base::Objects(k.clone()),
                        label: String::new(),
                        quals: vec![],
                        filters: vec![],
                        trailing: vec![],
                    },
                    NounRef::Collection(c) => Resolved {
                        base: Base::Collection(c.to_string()),
                        label: String::new(),
                        quals: vec![],
                        filters: vec![],
                        trailing: vec![],
                    },
                    NounRef::Def(d) => {
                        if !d.params.is_empty() {
                            return Err(Diag::new(
                                "parity::compile::arity",
                                t.span,
                                format!("noun `{name}` takes parameters, which nouns cannot use yet"),
                            )
                            .help("use a qualifier with parameters instead"));
                        }
                        self.enter("noun", &name, t.span)?;
                        let r = self.resolve_np(&d.np);
                        self.leave();
                        let r = r?;
                        if !r.trailing.is_empty() {
                            return Err(Diag::new(
                                "parity::compile::type",
                                d.np.span,
                                format!("the definition of `{name}` has words after its noun"),
                            )
                            .help("a noun definition is qualifiers, a noun and filters"));
                        }
                        r
                    }
                };
                (t.text.clone(), r)
            }
            other => {
                return Err(Diag::new(
                    "parity::compile::internal",
                    other.span(),
                    "internal error: this word is not a noun",
                )
                .help("please report this rule text as a bug"));
            }
        };
        base_r.label = words.iter().map(word_text).collect::<Vec<_>>()[..=h].join(" ");
        if base_r.label.is_empty() {
            base_r.label = label;
        }
        base_r.quals.extend(quals);
        base_r.trailing = trailing;
        Ok(base_r)
    }

    /// Rejects `QUANT NOUN with QUANT COLLECTION has TEST`, which reads two
    /// ways: the filter's quantified phrase ends at `has` (so the test is on
    /// the outer subject, where a nested collection's field is absent), or
    /// the test was meant for the collection's elements. Both readings are
    /// shown; either parenthesisation compiles.
    pub fn reject_ambiguous_filter(&mut self, q: AQuant, np: &NounPhrase, r: &Resolved, pred: Option<&Pred>) -> R<()> {
        let Some(Pred { kind: PredKind::Has(has), span: pred_span }) = pred else { return Ok(()) };
        if !matches!(has.kind, ExprKind::Test { .. }) {
            return Ok(());
        }
        let Some(Filter::With(last) | Filter::Where(last)) = np.filters.last() else { return Ok(()) };
        let ExprKind::Quantified { np: inner_np, pred: None, .. } = &last.kind else { return Ok(()) };
        if !inner_np.filters.is_empty() || !inner_np.alts.is_empty() {
            return Ok(());
        }
        // Parentheses around the filter's phrase or around the tested
        // condition say which reading is meant.
        let before = |g: &Self, e: &Expr| {
            let from = Span { end: e.span.start, ..np.span };
            g.sources.slice(from).trim_end().ends_with('(')
        };
        if before(self, last) || before(self, has) {
            return Ok(());
        }
        let Ok(inner) = self.resolve_np(inner_np) else { return Ok(()) };
        if !matches!(inner.base, Base::Collection(_)) || matches!(r.base, Base::Collection(_)) {
            return Ok(());
        }
        let outer = self.src(np.span);
        let inner_text = self.src(last.span);
        let head = outer.strip_suffix(inner_text.as_str()).unwrap_or(&outer).trim_end();
        let head = head.strip_suffix("with").or_else(|| head.strip_suffix("where")).unwrap_or(head).trim_end();
        let test = self.src(has.span);
        Err(Diag::new("parity::compile::ambiguous", np.span.to(*pred_span), "this sentence reads two ways")
            .label("ambiguous")
            .help(format!(
                "a filter's quantified phrase ends where the predicate begins, so this reads `{q} {head} with ({inner_text}) has ({test})`, \
                 a test on the {} itself; if the test is on each element, write `{q} {head} has ({inner_text} with ({test}))`; \
                 parenthesise the reading you mean",
                r.ty().describe()
            )))
    }

    /// Emits a quantifier over a noun phrase, leaving a bool. `has` is the
    /// subject of `has`, which scopes the phrase (its env, its namespace, its
    /// nested collections).
    pub fn quantified(
        &mut self,
        q: AQuant,
        np: &NounPhrase,
        pred: Option<&Pred>,
        cx: &Cx,
        has: Option<&Subj>,
    ) -> R<()> {
        let r = self.resolve_np(np)?;
        self.reject_ambiguous_filter(q, np, &r, pred)?;
        let (filters, pred) = split_predicate(q, &r, pred, np.span)?;
        let quant = lower_quant(q);
        let label = self.src(np.span);
        let elem_ty = r.ty();
        // Push the domain's operands, then start iterating.
        let source = self.domain_source(&r, cx, has, np.span)?;
        let elem = self.alloc(2);
        let d = self.domain(source, label);
        self.emit(Op::IterStart(d, elem));
        let top = self.emit(Op::IterNext(0));
        let mut ecx = cx.with_it(Subj { slot: elem, ty: elem_ty.clone() });
        if matches!(r.base, Base::Env | Base::Objects(_)) {
            ecx.env = Some(elem + 1);
        }
        self.element_filters(&r, &filters, &mut ecx, top as u32)?;
        match &pred {
            Some(PredSrc::Pred(p)) => self.predicate(p, &ecx)?,
            Some(PredSrc::Cond(e)) => {
                let subj =
                    ecx.it.clone().ok_or_else(|| Diag::new("parity::compile::internal", np.span, "no element"))?;
                self.has(e, &subj, &ecx)?
            }
            Some(PredSrc::Words(words)) => {
                let subj =
                    ecx.it.clone().ok_or_else(|| Diag::new("parity::compile::internal", np.span, "no element"))?;
                self.verb(words, false, &subj, &ecx)?
            }
            None => self.emit_true(),
        }
        self.end_quantifier(quant, top);
        Ok(())
    }

    fn env_quantifier(
        &mut self,
        q: AQuant,
        sel: u32,
        label: String,
        filters: &[Filter],
        pred: Option<&Pred>,
        cx: &Cx,
    ) -> R<()> {
        let quant = lower_quant(q);
        let elem = self.alloc(2);
        let d = self.domain(DomainSource::Envs(sel), label);
        self.emit(Op::IterStart(d, elem));
        let top = self.emit(Op::IterNext(0));
        let mut ecx = cx.with_it(Subj { slot: elem, ty: Ty::Env });
        ecx.env = Some(elem);
        let r = Resolved { base: Base::Env, label: String::new(), quals: vec![], filters: vec![], trailing: vec![] };
        self.element_filters(&r, filters, &mut ecx, top as u32)?;
        match pred {
            Some(p) => self.predicate(p, &ecx)?,
            None => self.emit_true(),
        }
        self.end_quantifier(quant, top);
        Ok(())
    }

    /// Ends a quantifier loop whose body left one element's verdict: step,
    /// loop back, and the quantifier's result at the end.
    fn end_quantifier(&mut self, quant: Quant, top: usize) {
        let step = self.emit(Op::QStep(quant, 0));
        self.emit(Op::Jump(top as u32));
        let end = self.emit(Op::QEnd(quant)) as u32;
        self.patch(top, end);
        self.patch(step, end);
    }

    fn emit_true(&mut self) {
        let t = self.konst(Const::Bool(true));
        self.emit(Op::Const(t));
    }

    /// Where a resolved noun phrase's elements come from. Emits the operands
    /// a `Values` domain pops (the parent's collection).
    pub fn domain_source(&mut self, r: &Resolved, cx: &Cx, has: Option<&Subj>, span: Span) -> R<DomainSource> {
        let env_filter = r.filters.iter().find_map(|f| match f {
            Filter::In(Scope::Env(sel), _) => Some(sel.clone()),
            _ => None,
        });
        match &r.base {
            Base::Env => {
                let sel = match &env_filter {
                    Some(s) => self.env_sel(s),
                    None => self.env_sel(&EnvSel { kind: EnvSelKind::Every, span }),
                };
                Ok(DomainSource::Envs(sel))
            }
            Base::Objects(kinds) => {
                // One scope rule: an object's `has` looks in its env and
                // namespace; a nested element (a container, an env var)
                // looks where its owning object would, whether through `has`
                // or a bare quantifier in a condition.
                let scope_obj = match has {
                    Some(h) if matches!(h.ty, Ty::Obj(_)) => Some(h.slot),
                    Some(h) if matches!(h.ty, Ty::Coll(_)) => cx.owner,
                    Some(_) => None,
                    None if matches!(cx.it.as_ref().map(|s| &s.ty), Some(Ty::Coll(_))) => cx.owner,
                    None => None,
                };
                let env_of = scope_obj.or(has.filter(|h| h.ty == Ty::Env).map(|h| h.slot));
                let envs = match (&env_filter, env_of, cx.env) {
                    (Some(sel), _, cur) => EnvScope::Sel(self.env_sel(sel), env_of.or(cur)),
                    (None, Some(s), _) => EnvScope::Current(s),
                    (None, None, Some(e)) => EnvScope::Current(e),
                    (None, None, None) => EnvScope::All,
                };
                let ns = match scope_obj {
                    Some(s) if env_filter.is_none() => NsScope::Of(s),
                    _ => NsScope::None,
                };
                Ok(DomainSource::Objects { kinds: kinds.clone(), envs, ns })
            }
            Base::Collection(name) => {
                let parent = match has.or(cx.it.as_ref()) {
                    Some(p) => p.clone(),
                    None => {
                        return Err(Diag::new("parity::compile::type", span, format!("`{name}` needs a parent"))
                            .label("nested collection")
                            .help(format!("reach it from its parent: `every workload has every {name} ...`")));
                    }
                };
                let defs = self.defs.collection(name).to_vec();
                let mut chosen = None;
                for d in &defs {
                    for p in &d.parents {
                        let target = self.noun_target(&p.text, p.span)?;
                        if fits(&parent.ty, &target) != Fit::No && chosen.is_none() {
                            chosen = Some(*d);
                        }
                    }
                }
                let Some(def) = chosen else {
                    let parents: Vec<String> =
                        defs.iter().flat_map(|d| d.parents.iter().map(|p| format!("`{}`", p.text))).collect();
                    return Err(Diag::new(
                        "parity::compile::type",
                        span,
                        format!("{} has no `{name}`", parent.ty.describe()),
                    )
                    .help(format!("`{name}` belongs to {}", parents.join(", "))));
                };
                self.enter("noun", name, span)?;
                let pcx = Cx::of(parent.clone(), cx.env, vec![], cx.owner);
                let r = self.value(&def.expr, &pcx);
                self.leave();
                r?;
                Ok(DomainSource::Values)
            }
        }
    }

    /// Emits the element filters of a quantifier: qualifiers, `with`,
    /// `where`, `tagged`, `not in`, counterparts and `as` names. Each failing
    /// filter jumps back to `top` (the next element).
    pub fn element_filters(&mut self, r: &Resolved, filters: &[Filter], ecx: &mut Cx, top: u32) -> R<()> {
        let subj =
            ecx.it.clone().ok_or_else(|| Diag::new("parity::compile::internal", Span::default(), "no element"))?;
        for f in filters {
            if let Filter::As(name) = f {
                ecx.binds.push((name.text.clone(), subj.clone()));
            }
        }
        for q in &r.quals {
            self.apply_qualifier(&q.name, &q.args, &subj, ecx, q.span)?;
            self.emit(Op::JumpIfFalse(top));
        }
        // The first `in ENVS` chooses the domain (`domain_source`); any
        // further one narrows it here, as every filter applies.
        let mut env_filters = 0;
        for f in filters {
            match f {
                Filter::With(e) => self.has(e, &subj, ecx)?,
                Filter::Where(e) => self.cond(e, ecx)?,
                Filter::In(Scope::Env(sel), span) => {
                    env_filters += 1;
                    if env_filters == 1 {
                        continue;
                    }
                    let Some(env) = ecx.env else {
                        return Err(Diag::new("parity::compile::type", *span, "only envs and objects live in envs"));
                    };
                    let s = self.env_sel(sel);
                    self.env_member(env, s)?;
                }
                Filter::In(Scope::Namespace(v), span) | Filter::NotIn(Scope::Namespace(v), span) => {
                    let t = self.texts(self.src(*span), String::new());
                    let (id, _) = functions::lookup("namespace")
                        .ok_or_else(|| Diag::new("parity::compile::internal", *span, "namespace()"))?;
                    self.emit(Op::Load(subj.slot));
                    self.emit(Op::Call(id, 1));
                    self.value(v, ecx)?;
                    self.emit(Op::Cmp(if matches!(f, Filter::In(..)) { Cmp::Eq } else { Cmp::Ne }, t));
                }
                Filter::NotIn(Scope::Env(sel), span) => {
                    let Some(env) = ecx.env else {
                        return Err(Diag::new("parity::compile::type", *span, "only envs and objects live in envs"));
                    };
                    let s = self.env_sel(sel);
                    self.env_member(env, s)?;
                    self.emit(Op::Not);
                }
                Filter::Tagged(t) => {
                    if subj.ty != Ty::Env {
                        return Err(Diag::new("parity::compile::type", t.span, "`tagged` filters envs")
                            .help("for objects, write `in envs tagged TAG`"));
                    }
                    let s = self.env_sel(&EnvSel { kind: EnvSelKind::Tagged(t.text.clone()), span: t.span });
                    self.env_member(subj.slot, s)?;
                }
                Filter::Counterpart { env, bind, span } => {
                    if !matches!(subj.ty, Ty::Obj(_)) {
                        return Err(Diag::new("parity::compile::type", *span, "only objects have counterparts"));
                    }
                    let s = self.env_sel(env);
                    let slot = self.alloc(2);
                    self.emit(Op::Load(subj.slot));
                    self.emit(Op::Counterpart(s));
                    self.emit(Op::Store(slot));
                    let t = self.texts(self.src(*span), String::new());
                    self.emit(Op::Load(slot));
                    self.emit(Op::Test(Check1::Exists, t));
                    if let Some(b) = bind {
                        ecx.binds.push((b.text.clone(), Subj { slot, ty: subj.ty.clone() }));
                    }
                }
                Filter::As(_) => continue,
            }
            self.emit(Op::JumpIfFalse(top));
        }
        Ok(())
    }

    /// Leaves whether the env in `env_slot` is among the selected envs.
    fn env_member(&mut self, env_slot: Slot, sel: u32) -> R<()> {
        // `{ env for envs SEL }` contains the env: built from ops we have.
        let elem = self.alloc(2);
        let d = self.domain(DomainSource::Envs(sel), "envs".into());
        self.emit(Op::IterStart(d, elem));
        let top = self.emit(Op::IterNext(0));
        self.emit(Op::Load(elem));
        self.emit(Op::Load(env_slot));
        let t = self.texts(String::new(), String::new());
        self.emit(Op::Cmp(Cmp::Eq, t));
        self.end_quantifier(Quant::Some, top);
        Ok(())
    }

    /// Emits a predicate applied to the current subject.
    pub fn predicate(&mut self, p: &Pred, cx: &Cx) -> R<()> {
        let subj = self.current_subject(cx, p.span)?;
        match &p.kind {
            PredKind::Has(e) => self.has(e, &subj, cx),
            PredKind::ExistsIn(sel) => {
                if !matches!(subj.ty, Ty::Obj(_)) {
                    return Err(Diag::new("parity::compile::type", p.span, "only objects can exist in other envs")
                        .help("write `every <noun> ... exists in every env`"));
                }
                let s = self.env_sel(sel);
                self.emit(Op::Load(subj.slot));
                self.emit(Op::ExistsIn(s));
                Ok(())
            }
            PredKind::Is { negated, words } => self.verb(words, *negated, &subj, cx),
            PredKind::Verb(words) => self.verb(words, false, &subj, cx),
            PredKind::Matches(other) => {
                if !matches!(subj.ty, Ty::Obj(_)) || !matches!(self.static_ty(other, cx), Ty::Obj(_)) {
                    return Err(Diag::new(
                        "parity::compile::type",
                        p.span,
                        "`matches` compares an object with an object",
                    )
                    .help(
                        "name its counterpart: `every object with counterpart in reference env as ref matches ref`",
                    ));
                }
                self.emit(Op::Load(subj.slot));
                self.value(other, cx)?;
                self.emit(Op::Drift);
                Ok(())
            }
        }
    }

    /// A qualifier used as a verb phrase or after `is`.
    fn verb(&mut self, words: &[Word], negated: bool, subj: &Subj, cx: &Cx) -> R<()> {
        let span = words.first().map(|w| w.span()).unwrap_or_default();
        let span = words.last().map(|w| span.to(w.span())).unwrap_or(span);
        match words {
            [Word::Resource(t)] => {
                let arg = lit_str(&t.text, t.span);
                self.apply_qualifier("resource", &[arg], subj, cx, t.span)?;
            }
            [Word::Call { name, args, span }] => self.apply_qualifier(&name.text, args, subj, cx, *span)?,
            _ => {
                let Some(name) = join_words(words) else {
                    return Err(Diag::new("parity::compile::type", span, "expected a qualifier here")
                        .help("after a noun, write `has ...`, `is QUALIFIER`, `exists in ...` or a qualifier such as `deny-all by default`"));
                };
                if self.defs.qualifier(&name).is_empty() {
                    let mut d = Diag::new("parity::compile::unknown-name", span, format!("unknown qualifier `{name}`"))
                        .label("not defined");
                    d = match did_you_mean(&name, self.defs.qualifier_names()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("after a noun, write `has ...`, `is QUALIFIER`, `exists in ...`, or a qualifier defined with `qualifier NAME for NOUN = ...`"),
                    };
                    return Err(d);
                }
                self.apply_qualifier(&name, &[], subj, cx, span)?;
            }
        }
        if negated {
            self.emit(Op::Not);
        }
        Ok(())
    }

    fn comprehension(&mut self, value: &Expr, np: &NounPhrase, cx: &Cx) -> R<()> {
        let resolved = self.resolve_np(np);
        let elem = self.alloc(2);
        let mut ecx;
        let (d, r) = match resolved {
            Ok(r) => {
                let (filters, pred) = split_predicate(AQuant::Some, &r, None, np.span)?;
                if pred.is_some() {
                    return Err(Diag::new(
                        "parity::compile::type",
                        np.span,
                        "a `for` source takes filters, not a predicate",
                    ));
                }
                let source = self.domain_source(&r, cx, None, np.span)?;
                ecx = cx.with_it(Subj { slot: elem, ty: r.ty() });
                if matches!(r.base, Base::Env | Base::Objects(_)) {
                    ecx.env = Some(elem + 1);
                }
                let label = self.src(np.span);
                (self.domain(source, label), Some((r, filters)))
            }
            Err(e) => {
                // `{ X for some.path }`: iterate the elements of a value.
                let [w] = &np.words[..] else { return Err(e) };
                match w {
                    Word::Path(_) | Word::Name(_) => {
                        let ex = Expr {
                            kind: ExprKind::Bare {
                                np: NounPhrase {
                                    words: vec![w.clone()],
                                    alts: vec![],
                                    filters: vec![],
                                    span: w.span(),
                                },
                                pred: None,
                            },
                            span: w.span(),
                        };
                        self.value(&ex, cx)?;
                    }
                    _ => return Err(e),
                }
                ecx = cx.with_it(Subj { slot: elem, ty: Ty::Value });
                let label = self.src(np.span);
                let d = self.domain(DomainSource::Values, label);
                let r = Resolved {
                    base: Base::Collection(String::new()),
                    label: String::new(),
                    quals: vec![],
                    filters: np.filters.clone(),
                    trailing: vec![],
                };
                let filters = np.filters.clone();
                (d, Some((r, filters)))
            }
        };
        self.emit(Op::IterStart(d, elem));
        let top = self.emit(Op::IterNext(0));
        if let Some((r, filters)) = r {
            self.element_filters(&r, &filters, &mut ecx, top as u32)?;
        }
        self.value(value, &ecx)?;
        self.emit(Op::Collect);
        self.emit(Op::Jump(top as u32));
        let end = self.emit(Op::CollectEnd) as u32;
        self.patch(top, end);
        if self.body_is_invariant(d, elem, top + 1, end as usize) {
            self.prog.invariant.insert(d);
        }
        Ok(())
    }

    /// Whether a comprehension over domain `d`, whose element lives in slot
    /// `elem` and whose body is `ops[from..to]`, reads nothing bound outside
    /// it: no load or store of an outer slot, no current-env lookup, no
    /// nested domain scoped by an outer slot. Its own domain may depend on
    /// outer slots; the VM keys cached results by the elements it yields.
    fn body_is_invariant(&self, d: u32, elem: Slot, from: usize, to: usize) -> bool {
        if matches!(self.prog.domains.get(d as usize).map(|x| &x.source), None | Some(DomainSource::Values)) {
            return false;
        }
        let inner = |s: Slot| s >= elem;
        self.prog.ops.get(from..to).is_some_and(|body| {
            body.iter().all(|op| match *op {
                Op::Load(s) | Op::Store(s) => inner(s),
                Op::EnvOf(_) => false,
                Op::IterStart(nd, _) => match self.prog.domains.get(nd as usize).map(|x| &x.source) {
                    Some(DomainSource::Objects { envs, ns, .. }) => {
                        let env_ok = match envs {
                            EnvScope::Current(s) | EnvScope::Sel(_, Some(s)) => inner(*s),
                            EnvScope::Sel(_, None) | EnvScope::All => true,
                        };
                        env_ok && !matches!(ns, NsScope::Of(s) if !inner(*s))
                    }
                    Some(DomainSource::Envs(_) | DomainSource::Values) => true,
                    None => false,
                },
                _ => true,
            })
        })
    }
}

/// What decides a quantifier for each element.
pub enum PredSrc<'e> {
    Pred(&'e Pred),
    /// `every X with C`: the last `with`/`where` is the predicate.
    Cond(Expr),
    /// Trailing words: a verb-phrase qualifier.
    Words(Vec<Word>),
}

/// Splits a quantifier's filters from its predicate.
pub fn split_predicate<'e>(
    q: AQuant,
    r: &'e Resolved,
    pred: Option<&'e Pred>,
    span: Span,
) -> R<(Vec<Filter>, Option<PredSrc<'e>>)> {
    let mut filters = r.filters.clone();
    let trailing = (!r.trailing.is_empty()).then(|| r.trailing.clone());
    let src = match (pred, trailing) {
        (Some(_), Some(t)) => {
            let s = t[0].span();
            return Err(Diag::new(
                "parity::compile::type",
                s,
                "these words follow the noun, but the phrase already has a predicate",
            )
            .help("join conditions with `and`, or move the words before the noun as qualifiers"));
        }
        (Some(p), None) => Some(PredSrc::Pred(p)),
        (None, Some(t)) => Some(PredSrc::Words(t)),
        (None, None) if q == AQuant::Every => {
            let last = filters.iter().rposition(|f| matches!(f, Filter::With(_) | Filter::Where(_)));
            match last {
                Some(i) => match filters.remove(i) {
                    Filter::With(e) | Filter::Where(e) => Some(PredSrc::Cond(e)),
                    _ => None,
                },
                None => {
                    return Err(Diag::new(
                        "parity::compile::no-predicate",
                        span,
                        "`every` needs something that must hold",
                    )
                    .label("every ... what?")
                    .help(
                        "add a predicate: `every node has ...`, `every namespace is ...`, `every service with ...`",
                    ));
                }
            }
        }
        (None, None) => None,
    };
    Ok((filters, src))
}

pub fn lower_quant(q: AQuant) -> Quant {
    match q {
        AQuant::Every => Quant::Every,
        AQuant::Some => Quant::Some,
        AQuant::No => Quant::No,
        AQuant::AtLeast(n) => Quant::AtLeast(n.min(u32::MAX as u64) as u32),
        AQuant::AtMost(n) => Quant::AtMost(n.min(u32::MAX as u64) as u32),
        AQuant::Exactly(n) => Quant::Exactly(n.min(u32::MAX as u64) as u32),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    No,
    Some,
    All,
}

/// Whether a definition for `target` applies to a subject of type `subj`.
fn fits(subj: &Ty, target: &Ty) -> Fit {
    match (subj, target) {
        (Ty::Env, Ty::Env) => Fit::All,
        (Ty::Coll(a), Ty::Coll(b)) if a == b => Fit::All,
        (Ty::Obj(_), Ty::Obj(None)) => Fit::All,
        (Ty::Obj(None), Ty::Obj(Some(_))) => Fit::Some,
        (Ty::Obj(Some(s)), Ty::Obj(Some(t))) => {
            if s.iter().all(|k| t.contains(k)) {
                Fit::All
            } else if s.iter().any(|k| t.contains(k)) {
                Fit::Some
            } else {
                Fit::No
            }
        }
        (Ty::Value, Ty::Obj(_)) => Fit::Some,
        _ => Fit::No,
    }
}

fn arity(name: &str, want: usize, got: usize, span: Span) -> Diag {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    Diag::new(
        "parity::compile::arity",
        span,
        format!("`{name}` takes {want} {}, but {got} {} given", plural(want), if got == 1 { "is" } else { "are" }),
    )
    .label(format!("{got} {}", plural(got)))
    .help(format!("call it with {want} {}", plural(want)))
}

fn lit_str(s: &str, span: Span) -> Expr {
    Expr { kind: ExprKind::Lit(Lit::Str(s.to_string())), span }
}

fn word_text(w: &Word) -> String {
    match w {
        Word::Name(t) | Word::Resource(t) => t.text.clone(),
        Word::Call { name, .. } => format!("{}(...)", name.text),
        Word::Env(_) => "env".into(),
        Word::Path(p) => p.head.text.clone(),
    }
}

/// Words joined into a multi-word qualifier name, when they are all plain.
fn join_words(words: &[Word]) -> Option<String> {
    let mut parts = Vec::new();
    for w in words {
        match w {
            Word::Name(t) => parts.push(t.text.clone()),
            _ => return None,
        }
    }
    Some(parts.join(" "))
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

/// A glob as an anchored regex. `*` matches any run of characters and `?`
/// any one character, line breaks included; `[abc]` is one of the
/// characters listed, `[a-z]` one in a range, `[!abc]` (or `[^abc]`) one
/// not listed; a `]` right after `[` or `[!` is listed, not the end. A `[`
/// with no closing `]` is a literal `[`, and `[[]`, `[*]`, `[?]` match the
/// character inside. Everything else matches itself.
pub fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut re = String::from("(?s)^");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                // Find the class's end: the first `]` after its first member.
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!' | '^'));
                if negated {
                    j += 1;
                }
                let first = j;
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str(&regex::escape("["));
                } else {
                    re.push('[');
                    if negated {
                        re.push('^');
                    }
                    for (k, &c) in chars[first..j].iter().enumerate() {
                        let inner = k > 0 && first + k + 1 < j;
                        if c == '-' && inner {
                            re.push('-');
                        } else {
                            re.push_str(&regex::escape(&c.to_string()));
                        }
                    }
                    re.push(']');
                    i = j;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    re
}
