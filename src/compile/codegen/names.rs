//! Name resolution: qualifiers, nouns and noun phrases against the definitions.

use super::*;
use crate::diag::DiagCode;

impl<'a, 'p> Gen<'a, 'p> {
    /// Applies a qualifier to a subject, choosing the definition for the
    /// subject's noun (at run time when the noun spans several kinds).
    pub fn apply_qualifier(&mut self, name: &str, args: &[Expr], subj: &Subj, cx: &Cx, span: Span) -> R<()> {
        let overloads = self.defs.qualifier(name);
        if overloads.is_empty() {
            let mut d =
                Diag::new(DiagCode::UnknownName, span, format!("unknown qualifier `{name}`")).label("not defined");
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
                DiagCode::Type,
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

    pub(super) fn inline_qualifier(
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
    pub(super) fn noun_target(&mut self, noun: &str, span: Span) -> R<Ty> {
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

    pub(super) fn unknown_noun(&self, word: &str, span: Span) -> Diag {
        let mut d =
            Diag::new(DiagCode::UnknownName, span, format!("unknown noun `{word}`")).label("not a noun in scope");
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
    pub(super) fn resolve_union(&mut self, np: &NounPhrase, first: Resolved) -> R<Resolved> {
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
                    DiagCode::Ambiguous,
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

    pub(super) fn resolve_words(&mut self, words: &[Word]) -> R<Resolved> {
        let head = words.iter().position(|w| match w {
            Word::Env(_) => true,
            Word::Name(t) => self.defs.noun(&t.text).is_some(),
            _ => false,
        });
        let Some(h) = head else {
            let first = words.iter().find(|w| !matches!(w, Word::Resource(_))).unwrap_or(&words[0]);
            return Err(match first {
                Word::Name(t) => self.unknown_noun(&t.text, t.span),
                other => Diag::new(DiagCode::UnknownName, other.span(), "expected a noun here")
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
                    return Err(Diag::new(DiagCode::Type, other.span(), "a path cannot qualify a noun")
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
                                DiagCode::Arity,
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
                                DiagCode::Type,
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
                return Err(Diag::new(DiagCode::Internal, other.span(), "internal error: this word is not a noun")
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
        Err(Diag::new(DiagCode::Ambiguous, np.span.to(*pred_span), "this sentence reads two ways")
            .label("ambiguous")
            .help(format!(
                "a filter's quantified phrase ends where the predicate begins, so this reads `{q} {head} with ({inner_text}) has ({test})`, \
                 a test on the {} itself; if the test is on each element, write `{q} {head} has ({inner_text} with ({test}))`; \
                 parenthesise the reading you mean",
                r.ty().describe()
            )))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fit {
    No,
    Some,
    All,
}

/// Whether a definition for `target` applies to a subject of type `subj`.
pub(super) fn fits(subj: &Ty, target: &Ty) -> Fit {
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

pub(super) fn arity(name: &str, want: usize, got: usize, span: Span) -> Diag {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    Diag::new(
        DiagCode::Arity,
        span,
        format!("`{name}` takes {want} {}, but {got} {} given", plural(want), if got == 1 { "is" } else { "are" }),
    )
    .label(format!("{got} {}", plural(got)))
    .help(format!("call it with {want} {}", plural(want)))
}

pub(super) fn lit_str(s: &str, span: Span) -> Expr {
    Expr { kind: ExprKind::Lit(Lit::Str(s.to_string())), span }
}

pub(super) fn word_text(w: &Word) -> String {
    match w {
        Word::Name(t) | Word::Resource(t) => t.text.clone(),
        Word::Call { name, .. } => format!("{}(...)", name.text),
        Word::Env(_) => "env".into(),
        Word::Path(p) => p.head.text.clone(),
    }
}

/// Words joined into a multi-word qualifier name, when they are all plain.
pub(super) fn join_words(words: &[Word]) -> Option<String> {
    let mut parts = Vec::new();
    for w in words {
        match w {
            Word::Name(t) => parts.push(t.text.clone()),
            _ => return None,
        }
    }
    Some(parts.join(" "))
}
