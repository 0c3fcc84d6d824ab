//! Conditions: code that leaves a bool (`has`, tests, negation, verbs).

use super::*;
use crate::diag::DiagCode;

impl<'a, 'p> Gen<'a, 'p> {
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
                DiagCode::AgreePosition,
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

    pub(super) fn current_subject(&self, cx: &Cx, span: Span) -> R<Subj> {
        if let Some(it) = &cx.it {
            return Ok(it.clone());
        }
        if let Some(env) = cx.env {
            return Ok(Subj { slot: env, ty: Ty::Env });
        }
        Err(Diag::new(DiagCode::NoSubject, span, "`has` needs a subject here")
            .help("say what has it: `every env has ...`, `env prod has ...`"))
    }

    /// `SUBJECT has X`: X is a noun phrase (some X in the subject's scope), a
    /// quantified phrase, or a condition on the subject.
    pub(super) fn has(&mut self, e: &Expr, subj: &Subj, cx: &Cx) -> R<()> {
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

    pub(super) fn subject_cx(&self, cx: &Cx, subj: &Subj) -> Cx {
        let mut scx = cx.with_it(subj.clone());
        if subj.ty == Ty::Env {
            scx.env = Some(subj.slot);
        }
        scx
    }

    /// A bare noun phrase as a condition.
    pub(super) fn bare_cond(&mut self, np: &NounPhrase, pred: Option<&Pred>, cx: &Cx, span: Span) -> R<()> {
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
    pub(super) fn word_cond(&mut self, w: &Word, cx: &Cx, noun_err: Diag) -> R<()> {
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
            Word::Env(span) => Err(Diag::new(DiagCode::Type, *span, "`env` alone is not a condition")),
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

    pub(super) fn test(&mut self, value: &Expr, test: &Test, cx: &Cx, span: Span) -> R<()> {
        let lt = self.src(value.span);
        let rt = |g: &Self, e: &Expr| if matches!(e.kind, ExprKind::Lit(_)) { String::new() } else { g.src(e.span) };
        match test {
            Test::Cmp(op, rhs) => {
                // A string literal compared with a quantity field reads as a
                // quantity (codegen/schema_typing.rs).
                let typed = self.schema_typed_literal(value, rhs, cx)?;
                let (value, rhs) = match &typed {
                    Some((true, lit)) => (value, lit),
                    Some((false, lit)) => (lit, &**rhs),
                    None => (value, &**rhs),
                };
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
                        return Err(Diag::new(DiagCode::Pattern, rhs.span, "a pattern must be a string literal")
                            .help("patterns are compiled once, when rules compile"));
                    }
                };
                let is_glob = matches!(test, Test::Like { .. });
                let re = if is_glob { crate::glob::to_regex(&pattern) } else { pattern.clone() };
                let compiled = regex::RegexBuilder::new(&re).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| {
                    Diag::new(DiagCode::Regex, rhs.span, format!("invalid {}: {}", if is_glob { "glob" } else { "regex" }, last_line(&e.to_string())))
                        .label("this pattern")
                        .help("regexes use Rust `regex` syntax (no look-around or back-references); they are limited in size so matching stays fast")
                })?;
                self.prog.regexes.push(compiled);
                let r = crate::bytecode::RegexId::next(self.prog.regexes.len() - 1);
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
    pub(super) fn negatable(
        &mut self,
        negated: bool,
        value: &Expr,
        cx: &Cx,
        rest: impl Fn(&mut Self) -> R<()>,
    ) -> R<()> {
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
    pub(super) fn static_types(&self, a: &Expr, b: &Expr, span: Span) -> R<()> {
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
            (Some(x), Some(y)) if x != y => {
                Err(Diag::new(DiagCode::Type, span, format!("this compares a {x} with a {y}, which is never true"))
                    .label("never true")
                    .help("compare values of one type; use `quantity(...)` or `version(...)` to read text as one"))
            }
            _ => Ok(()),
        }
    }
}
