//! Values: code that leaves a value (literals, paths, calls, inlined definitions).

use super::*;
use crate::diag::DiagCode;

impl<'a, 'p> Gen<'a, 'p> {
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
                    return Err(Diag::new(DiagCode::NoEnv, e.span, "there is no current env here")
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
                    Diag::new(DiagCode::Jsonpath, e.span, format!("invalid JSONPath: {}", first_line(&err.to_string())))
                        .help("JSONPath follows RFC 9535, e.g. `$.spec.containers[?(@.name == 'app')].image`")
                })?;
                self.prog.queries.push((text.clone(), q));
                let id = crate::bytecode::QueryId::next(self.prog.queries.len() - 1);
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
                            DiagCode::Type,
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
                    return Err(Diag::new(DiagCode::Type, e.span, "a quantity times a quantity has no meaning")
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

    pub(super) fn object_subject(&self, cx: &Cx, span: Span) -> R<Subj> {
        match &cx.it {
            Some(s) if matches!(s.ty, Ty::Obj(_)) => Ok(s.clone()),
            _ => Err(Diag::new(DiagCode::Type, span, "a counterpart belongs to an object")
                .help("use it inside `every <noun> ...`, where there is an object to pair")),
        }
    }

    pub(super) fn literal(&self, l: &Lit, span: Span) -> R<Const> {
        Ok(match l {
            Lit::Null => Const::Null,
            Lit::Bool(b) => Const::Bool(*b),
            Lit::Num(n) => Const::Num(*n),
            Lit::Str(s) => {
                if s.len() > MAX_LITERAL_BYTES {
                    return Err(Diag::new(
                        DiagCode::TooLarge,
                        span,
                        format!("string literal is {} bytes; the limit is {MAX_LITERAL_BYTES}", s.len()),
                    ));
                }
                Const::Str(s.clone())
            }
            Lit::Quantity(q) => Const::Quantity(Quantity::parse(q).ok_or_else(|| {
                Diag::new(DiagCode::Literal, span, format!("`{q}` is not a quantity Kubernetes can read"))
            })?),
            Lit::Version(v) => Const::Version(
                Version::parse(v)
                    .ok_or_else(|| Diag::new(DiagCode::Literal, span, format!("`{v}` is not a version")))?,
            ),
        })
    }

    /// A path: its head is a bound name, `it`, a value definition, a virtual
    /// root (`podspec`, `containers`) or a field of the current subject.
    pub(super) fn path_value(&mut self, p: &crate::syntax::ast::Path, cx: &Cx) -> R<()> {
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
            check_fields(&s.ty, &segs, tail, p.span)?;
            self.emit(Op::Load(s.slot));
        } else if let Some(s) = cx.bound(head) {
            check_fields(&s.ty, &segs, tail, p.span)?;
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
            check_fields(&s.ty, &segs, tail, p.span)?;
        }
        self.segs(segs, tail, cx)
    }

    pub(super) fn tail(&mut self, tail: &[Seg], cx: &Cx) -> R<()> {
        self.segs(Vec::new(), tail, cx)
    }

    pub(super) fn segs(&mut self, mut segs: Vec<PathSeg>, tail: &[Seg], cx: &Cx) -> R<()> {
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

    pub(super) fn call(&mut self, name: &Text, args: &[Expr], cx: &Cx, span: Span) -> R<()> {
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
            let mut d =
                Diag::new(DiagCode::UnknownName, name.span, format!("unknown function `{n}`")).label("not defined");
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

    pub(super) fn inline_value(
        &mut self,
        v: &crate::syntax::ast::ValueDef,
        args: &[Expr],
        cx: &Cx,
        span: Span,
    ) -> R<()> {
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
    pub(super) fn static_ty(&self, e: &Expr, cx: &Cx) -> Ty {
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
}

/// A path on a subject of known kinds must name a field of their schema
/// (any supported Kubernetes version); see `compile/schema_paths.rs`.
fn check_fields(ty: &Ty, head: &[PathSeg], tail: &[Seg], span: Span) -> R<()> {
    let mut segs = head.to_vec();
    for s in tail {
        segs.push(match s {
            Seg::Key(k) => PathSeg::Key(k.clone()),
            Seg::Index(i) => PathSeg::Index(*i),
            Seg::Star => PathSeg::Star,
            Seg::Expr(_) => PathSeg::Dyn,
        });
    }
    let Some(u) = crate::compile::schema_paths::unknown_field(ty, &segs) else { return Ok(()) };
    let (whose, label) = if u.from_crd {
        ("its CustomResourceDefinition (--crd) does not have", "not in the schema of its CustomResourceDefinition")
    } else {
        ("no Kubernetes version has", "not in the Kubernetes 1.25-1.37 schemas")
    };
    let mut d =
        Diag::new(DiagCode::UnknownField, span, format!("`{}` on {} names a field {whose}: `{}`", u.path, u.on, u.key))
            .label(label);
    d = match u.suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(
            "`parity explain-field KIND.PATH` lists a field's sub-fields; read other kinds' fields through `object`",
        ),
    };
    Err(d)
}
