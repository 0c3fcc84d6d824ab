//! Quantifiers: domains, element filters, predicates and comprehensions.

use super::*;
use crate::diag::DiagCode;

impl<'a, 'p> Gen<'a, 'p> {
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
        self.plan_join(d, &filters, &ecx, elem);
        self.note_elem_binds(&filters, &elem_ty, d);
        self.depth += 1;
        let body = self.quantified_body(&r, &filters, pred, &mut ecx, top, np.span);
        self.depth -= 1;
        body?;
        self.end_quantifier(quant, top);
        Ok(())
    }

    /// Records the `as` names of a quantifier that the trace sees (see
    /// `elem_binds`).
    fn note_elem_binds(&mut self, filters: &[Filter], ty: &Ty, d: DomainId) {
        if self.depth != 0 || !self.stack.is_empty() {
            return;
        }
        for f in filters {
            if let Filter::As(name) = f {
                self.elem_binds.push((name.text.clone(), ty.clone(), d));
            }
        }
    }

    fn quantified_body(
        &mut self,
        r: &Resolved,
        filters: &[Filter],
        pred: Option<PredSrc<'_>>,
        ecx: &mut Cx,
        top: usize,
        span: Span,
    ) -> R<()> {
        self.element_filters(r, filters, ecx, top as u32)?;
        let ecx = &*ecx;
        match &pred {
            Some(PredSrc::Pred(p)) => self.predicate(p, ecx)?,
            Some(PredSrc::Cond(e)) => {
                let subj = ecx.it.clone().ok_or_else(|| Diag::new(DiagCode::Internal, span, "no element"))?;
                self.has(e, &subj, ecx)?
            }
            Some(PredSrc::Words(words)) => {
                let subj = ecx.it.clone().ok_or_else(|| Diag::new(DiagCode::Internal, span, "no element"))?;
                self.verb(words, false, &subj, ecx)?
            }
            None => self.emit_true(),
        }
        Ok(())
    }

    pub(super) fn env_quantifier(
        &mut self,
        q: AQuant,
        sel: EnvSelId,
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
        self.note_elem_binds(filters, &Ty::Env, d);
        self.depth += 1;
        let body = (|| {
            self.element_filters(&r, filters, &mut ecx, top as u32)?;
            match pred {
                Some(p) => self.predicate(p, &ecx),
                None => {
                    self.emit_true();
                    Ok(())
                }
            }
        })();
        self.depth -= 1;
        body?;
        self.end_quantifier(quant, top);
        Ok(())
    }

    /// Ends a quantifier loop whose body left one element's verdict: step,
    /// loop back, and the quantifier's result at the end.
    pub(super) fn end_quantifier(&mut self, quant: Quant, top: usize) {
        let step = self.emit(Op::QStep(quant, 0));
        self.emit(Op::Jump(top as u32));
        let end = self.emit(Op::QEnd(quant)) as u32;
        self.patch(top, end);
        self.patch(step, end);
    }

    pub(super) fn emit_true(&mut self) {
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
                        return Err(Diag::new(DiagCode::Type, span, format!("`{name}` needs a parent"))
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
                    return Err(Diag::new(DiagCode::Type, span, format!("{} has no `{name}`", parent.ty.describe()))
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
        let subj = ecx.it.clone().ok_or_else(|| Diag::new(DiagCode::Internal, Span::default(), "no element"))?;
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
                Filter::Where(e) if self.memo_env_where && self.depth == 0 => self.top_where(e, ecx)?,
                Filter::Where(e) => self.cond(e, ecx)?,
                Filter::In(Scope::Env(sel), span) => {
                    env_filters += 1;
                    if env_filters == 1 {
                        continue;
                    }
                    let Some(env) = ecx.env else {
                        return Err(Diag::new(DiagCode::Type, *span, "only envs and objects live in envs"));
                    };
                    let s = self.env_sel(sel);
                    self.top_env_member(env, s, false)?;
                }
                Filter::In(Scope::Namespace(v), span) | Filter::NotIn(Scope::Namespace(v), span) => {
                    let t = self.texts(self.src(*span), String::new());
                    let (id, _) = functions::lookup("namespace")
                        .ok_or_else(|| Diag::new(DiagCode::Internal, *span, "namespace()"))?;
                    self.emit(Op::Load(subj.slot));
                    self.emit(Op::Call(id, 1));
                    self.value(v, ecx)?;
                    self.emit(Op::Cmp(if matches!(f, Filter::In(..)) { Cmp::Eq } else { Cmp::Ne }, t));
                }
                Filter::NotIn(Scope::Env(sel), span) => {
                    let Some(env) = ecx.env else {
                        return Err(Diag::new(DiagCode::Type, *span, "only envs and objects live in envs"));
                    };
                    let s = self.env_sel(sel);
                    self.top_env_member(env, s, true)?;
                }
                Filter::Tagged(t) => {
                    if subj.ty != Ty::Env {
                        return Err(Diag::new(DiagCode::Type, t.span, "`tagged` filters envs")
                            .help("for objects, write `in envs tagged TAG`"));
                    }
                    let s = self.env_sel(&EnvSel { kind: EnvSelKind::Tagged(t.text.clone()), span: t.span });
                    self.env_member(subj.slot, s)?;
                }
                Filter::Counterpart { env, bind, span } => {
                    if !matches!(subj.ty, Ty::Obj(_)) {
                        return Err(Diag::new(DiagCode::Type, *span, "only objects have counterparts"));
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
    pub(super) fn env_member(&mut self, env_slot: Slot, sel: EnvSelId) -> R<()> {
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
                    return Err(Diag::new(DiagCode::Type, p.span, "only objects can exist in other envs")
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
                    return Err(Diag::new(DiagCode::Type, p.span, "`matches` compares an object with an object").help(
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
    pub(super) fn verb(&mut self, words: &[Word], negated: bool, subj: &Subj, cx: &Cx) -> R<()> {
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
                    return Err(Diag::new(DiagCode::Type, span, "expected a qualifier here")
                        .help("after a noun, write `has ...`, `is QUALIFIER`, `exists in ...` or a qualifier such as `deny-all by default`"));
                };
                if self.defs.qualifier(&name).is_empty() {
                    let mut d = Diag::new(DiagCode::UnknownName, span, format!("unknown qualifier `{name}`"))
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

    pub(super) fn comprehension(&mut self, value: &Expr, np: &NounPhrase, cx: &Cx) -> R<()> {
        let resolved = self.resolve_np(np);
        let elem = self.alloc(2);
        let mut ecx;
        let (d, r) = match resolved {
            Ok(r) => {
                let (filters, pred) = split_predicate(AQuant::Some, &r, None, np.span)?;
                if pred.is_some() {
                    return Err(Diag::new(DiagCode::Type, np.span, "a `for` source takes filters, not a predicate"));
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
        if let Some((_, filters)) = &r {
            self.plan_join(d, filters, &ecx, elem);
        }
        self.emit(Op::IterStart(d, elem));
        let top = self.emit(Op::IterNext(0));
        // Nothing inside a comprehension is traced.
        self.depth += 1;
        let body = (|| {
            if let Some((r, filters)) = r {
                self.element_filters(&r, &filters, &mut ecx, top as u32)?;
            }
            self.value(value, &ecx)
        })();
        self.depth -= 1;
        body?;
        self.emit(Op::Collect);
        self.emit(Op::Jump(top as u32));
        let end = self.emit(Op::CollectEnd) as u32;
        self.patch(top, end);
        if self.body_is_invariant(d, elem, top + 1, end as usize) {
            self.prog.invariant.insert(d);
        } else {
            self.join_invariant(d, elem, top + 1, end as usize);
        }
        Ok(())
    }

    /// Whether a comprehension over domain `d`, whose element lives in slot
    /// `elem` and whose body is `ops[from..to]`, reads nothing bound outside
    /// it: no load or store of an outer slot, no current-env lookup, no
    /// nested domain scoped by an outer slot. Its own domain may depend on
    /// outer slots; the VM keys cached results by the elements it yields.
    pub(super) fn body_is_invariant(&self, d: DomainId, elem: Slot, from: usize, to: usize) -> bool {
        if matches!(self.prog.domains.get(d.index()).map(|x| &x.source), None | Some(DomainSource::Values)) {
            return false;
        }
        self.prog.ops.get(from..to).is_some_and(|body| self.ops_are_invariant(elem, body))
    }

    /// Whether `body` (of a comprehension whose element is in `elem`) reads
    /// no slot bound outside it (see `body_is_invariant`).
    pub(super) fn ops_are_invariant(&self, elem: Slot, body: &[Op]) -> bool {
        let inner = |s: Slot| s >= elem;
        body.iter().all(|op| match *op {
            Op::Load(s) | Op::Store(s) => inner(s),
            Op::EnvOf(_) => false,
            Op::IterStart(nd, _) => self.domain_scoped_by(nd, inner, inner),
            _ => true,
        })
    }

    /// Whether domain `d` exists and its scope reads only slots it may:
    /// its envs' slot one `env_ok` accepts, its namespace's one `ns_ok`
    /// accepts (a domain of envs or of values reads none).
    pub(super) fn domain_scoped_by(
        &self,
        d: DomainId,
        env_ok: impl Fn(Slot) -> bool,
        ns_ok: impl Fn(Slot) -> bool,
    ) -> bool {
        match self.prog.domains.get(d.index()).map(|x| &x.source) {
            Some(DomainSource::Objects { envs, ns, .. }) => {
                let envs_ok = match envs {
                    EnvScope::Current(s) | EnvScope::Sel(_, Some(s)) => env_ok(*s),
                    EnvScope::Sel(_, None) | EnvScope::All => true,
                };
                envs_ok && !matches!(ns, NsScope::Of(s) if !ns_ok(*s))
            }
            Some(DomainSource::Envs(_) | DomainSource::Values) => true,
            None => false,
        }
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
                DiagCode::Type,
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
                    return Err(Diag::new(DiagCode::NoPredicate, span, "`every` needs something that must hold")
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
