//! Modules → [`Program`]. Builds the scope (built-ins, prelude, user
//! definitions), then compiles every rule: its body split into checks (each
//! top-level `every`/`no`/`agree` produces its own findings), its `except`
//! clause and its message template.

mod codegen;
mod kind_filter;
mod schema_paths;
pub use schema_paths::without_path_checks;
mod scope;
mod template;
mod tolerance;

use template::*;

pub use scope::Layer;

use crate::bytecode::{Check, CheckKind, Code, DomainSource, EnvScope, Op, Piece, Program, Rule};
use crate::diag::DiagCode;
use crate::diag::{Diag, SourceId, Sources};
use crate::report::Severity;
use crate::syntax::ast::{
    EnvSelKind, Expr, ExprKind, Filter, Item, Module, Quant as AQuant, RuleDecl, Scope, Span, Text,
};
use codegen::{Base, Cx, Gen, PredSrc, Subj, Ty, split_predicate};
use scope::Defs;

/// The prelude, written in the rule language and loaded before user rules.
pub const PRELUDE: &str = include_str!("../../rules/prelude.parity");
/// The name the prelude's diagnostics point at.
pub const PRELUDE_NAME: &str = "<prelude>/rules/prelude.parity";

/// Compiles modules (the prelude included) into one program. Every error
/// found is returned, not just the first.
pub fn compile(modules: &[(Module, Layer)], sources: &Sources) -> Result<Program, Vec<Diag>> {
    let (prog, errors) = compile_partial(modules, sources);
    if errors.is_empty() { Ok(prog) } else { Err(errors) }
}

/// Compiles every rule that can be compiled: the program holds those rules,
/// and every error met (a rule that does not compile, a duplicate id) is
/// returned beside it, so that one broken rule never silences the others.
/// An error in the definitions leaves no rule compiled.
pub fn compile_partial(modules: &[(Module, Layer)], sources: &Sources) -> (Program, Vec<Diag>) {
    let defs = match Defs::new(modules) {
        Ok(d) => d,
        Err(e) => return (Program::default(), e),
    };
    let mut prog = Program::default();
    let mut errors = Vec::new();
    let mut ids: Vec<(String, Span)> = Vec::new();
    for (module, _) in modules {
        for item in &module.items {
            let Item::Rule(decl) = item else { continue };
            if let Some((_, first)) = ids.iter().find(|(id, _)| *id == decl.id.text) {
                let (line, _) = sources.line_col(*first);
                errors.push(
                    Diag::new(DiagCode::Duplicate, decl.id.span, format!("rule id `{}` is used twice", decl.id.text))
                        .label("second rule with this id")
                        .help(format!(
                            "ids must be unique; the first is in {} at line {line}",
                            sources.get(first.source).name
                        )),
                );
                continue;
            }
            ids.push((decl.id.text.clone(), decl.id.span));
            match compile_rule(&mut prog, &defs, sources, decl) {
                Ok(rule) => prog.rules.push(rule),
                Err(d) => errors.push(d),
            }
        }
    }
    for (module, _) in modules {
        for item in &module.items {
            let Item::Tolerate(t) = item else { continue };
            let start_ops = prog.ops.len();
            let mut g = Gen::new(&mut prog, &defs, sources);
            g.start_ops = start_ops;
            match tolerance::compile_tolerance(&mut g, t) {
                Ok(t) => prog.tolerances.push(t),
                Err(d) => errors.push(d),
            }
        }
    }
    (prog, errors)
}

/// Parses and compiles rule files and `--rule` bodies on top of the
/// prelude: the one entry point the CLI and tests use. Bodies get the ids
/// `cli-1`, `cli-2`, ... Every parse and compile error is returned.
pub fn build(sources: &mut Sources, files: &[(String, String)], bodies: &[String]) -> Result<Program, Vec<Diag>> {
    let (prog, errors) = build_partial(sources, files, bodies);
    if errors.is_empty() { Ok(prog) } else { Err(errors) }
}

/// As [`build`], but every rule that compiles is kept: a file that does not
/// parse, or a rule that does not compile, is an error beside the program of
/// all the other rules.
pub fn build_partial(sources: &mut Sources, files: &[(String, String)], bodies: &[String]) -> (Program, Vec<Diag>) {
    let parse_started = std::time::Instant::now();
    let prelude_id = sources.add(PRELUDE_NAME, PRELUDE);
    let ids: Vec<SourceId> = files.iter().map(|(name, text)| sources.add(name.clone(), text.clone())).collect();
    let mut parsed = parse_side_by_side(prelude_id, files, &ids).into_iter();
    let mut modules = match parsed.next() {
        Some(Ok(m)) => vec![(m, Layer::Prelude)],
        Some(Err(d)) => return (Program::default(), vec![d]),
        None => return (Program::default(), Vec::new()),
    };
    let mut errors = Vec::new();
    for result in parsed {
        match result {
            Ok(m) => modules.push((m, Layer::User)),
            Err(d) => errors.push(d),
        }
    }
    for (i, body) in bodies.iter().enumerate() {
        let rule_id = format!("cli-{}", i + 1);
        let id = sources.add(format!("--rule {}", i + 1), body.clone());
        match crate::syntax::parse_body(id, body) {
            Ok(e) => {
                let span = e.span;
                let decl = rule_from_body(&rule_id, e, span);
                modules.push((Module { source: id, items: vec![Item::Rule(Box::new(decl))] }, Layer::User));
            }
            Err(d) => errors.push(d),
        }
    }
    crate::timing::phase("  compile: parse", parse_started);
    let generate_started = std::time::Instant::now();
    let (prog, more) = compile_partial(&modules, sources);
    crate::timing::phase("  compile: generate", generate_started);
    // Every program a debug build compiles (every test's) is checked.
    #[cfg(debug_assertions)]
    if let Err(e) = crate::bytecode::verify(&prog) {
        panic!("the compiler produced an invalid program: {e}");
    }
    errors.extend(more);
    (prog, errors)
}

/// Parses the prelude and `files` (whose sources are `ids`), in that order,
/// on two threads when there is more than a little to parse: the standard
/// library alone is some 45 KB, and a one-file `parity check` waits for it.
fn parse_side_by_side(prelude_id: SourceId, files: &[(String, String)], ids: &[SourceId]) -> Vec<Result<Module, Diag>> {
    let mut work: Vec<(SourceId, &str)> = vec![(prelude_id, PRELUDE)];
    work.extend(ids.iter().zip(files).map(|(id, (_, text))| (*id, text.as_str())));
    let parse = |part: &[(SourceId, &str)]| -> Vec<Result<Module, Diag>> {
        part.iter().map(|(id, text)| crate::syntax::parse_module(*id, text)).collect()
    };
    let total: usize = work.iter().map(|(_, t)| t.len()).sum();
    if total < 16 * 1024 || work.len() < 2 {
        return parse(&work);
    }
    // Split by bytes: the first part up to about half of the text.
    let mut split = 0;
    let mut bytes = 0;
    while split < work.len() - 1 && bytes + work[split].1.len() / 2 < total / 2 {
        bytes += work[split].1.len();
        split += 1;
    }
    let (first, second) = work.split_at(split.max(1));
    std::thread::scope(|scope| {
        // The parser recurses per bracket level (`syntax::PARSER_STACK`).
        let other =
            std::thread::Builder::new().stack_size(crate::syntax::PARSER_STACK).spawn_scoped(scope, || parse(second));
        let mut out = parse(first);
        match other {
            Ok(handle) => out.extend(handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            Err(_) => out.extend(parse(second)),
        }
        out
    })
}

/// Compiles a lone rule body into a rule with the given id (for `--rule`).
pub fn rule_from_body(id: &str, body: Expr, span: Span) -> RuleDecl {
    RuleDecl {
        id: Text { text: id.to_string(), span },
        body: Some(body),
        severity: None,
        title: None,
        why: None,
        fix: None,
        example: None,
        tags: vec![],
        message: None,
        except: None,
        enabled: None,
        span,
    }
}

fn compile_rule(prog: &mut Program, defs: &Defs, sources: &Sources, decl: &RuleDecl) -> Result<Rule, Diag> {
    let severity = match &decl.severity {
        None => Severity::Error,
        Some(t) => Severity::parse(&t.text).ok_or_else(|| {
            Diag::new(DiagCode::Severity, t.span, format!("unknown severity `{}`", t.text))
                .help("use `error`, `warning` or `info`")
        })?,
    };
    let enabled = match &decl.enabled {
        None => true,
        Some(t) => t.text.parse::<bool>().map_err(|_| {
            Diag::new(DiagCode::Enabled, t.span, format!("`enabled:` is `true` or `false`, not `{}`", t.text))
        })?,
    };
    let body = decl.body.as_ref().ok_or_else(|| {
        Diag::new(DiagCode::NoBody, decl.id.span, format!("rule `{}` has no body", decl.id.text))
            .help("write what must hold inside the braces, e.g. `every node has ...`")
    })?;
    let start_ops = prog.ops.len();
    let mut g = Gen::new(prog, defs, sources);
    g.start_ops = start_ops;
    let mut parts = Vec::new();
    flatten_and(body, &mut parts);
    let mut checks = Vec::new();
    // The names each check's findings can see: those its subject phrase binds.
    let mut finding_cxs = Vec::new();
    let mut elem_binds = Vec::new();
    for part in parts {
        g.next_slot = 2;
        g.max_slot = 2;
        g.depth = 0;
        g.elem_binds.clear();
        let (kind, fcx) = top_check(&mut g, part)?;
        checks.push(Check {
            kind,
            slots: g.max_slot,
            text: g.sources.slice(part.span).to_string(),
            message: None,
            elem_binds: Vec::new(),
        });
        finding_cxs.push(fcx);
        elem_binds.push(std::mem::take(&mut g.elem_binds));
    }
    let top = Cx::of(Subj { slot: 0, ty: subject_ty(&checks, g.prog) }, Some(1), vec![], None);
    let except = match &decl.except {
        Some(e) => Some(g.block(|g| g.cond(e, &top))?),
        None => None,
    };
    // The message template is compiled once per check, where that check's
    // findings are made, so it sees the names the check binds (`as d`,
    // `with counterpart in env staging as s`). Its own slots come after the
    // check's, which the engine fills by running the check's filter again.
    if let Some(t) = &decl.message {
        let mut bound = Vec::new();
        bound_names(body, &mut bound);
        for ((c, fcx), binds) in checks.iter_mut().zip(finding_cxs).zip(elem_binds) {
            let mut cx = fcx.unwrap_or_else(|| {
                Cx::of(Subj { slot: 0, ty: subject_ty(std::slice::from_ref(c), g.prog) }, Some(1), vec![], None)
            });
            g.next_slot = g.next_slot.max(c.slots);
            // The names the check's quantifiers bind with `as`: each reads
            // the element that decided the verdict, in a slot of its own.
            for (name, ty, domain) in binds {
                if cx.binds.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                let slot = g.next_slot;
                g.next_slot += 2;
                g.max_slot = g.max_slot.max(g.next_slot);
                cx.binds.push((name, Subj { slot, ty }));
                c.elem_binds.push((domain, slot));
            }
            c.message = Some(template(&mut g, t, &cx, &bound)?);
        }
    }
    let slots_after = g.max_slot;
    let named_envs = std::mem::take(&mut g.named_envs);
    let named_tags = std::mem::take(&mut g.named_tags);
    for c in &mut checks {
        c.slots = c.slots.max(slots_after);
    }
    let (line, _) = sources.line_col(decl.id.span);
    let text = |t: &Option<Text>| t.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    let cross_env = checks.iter().any(|c| matches!(c.kind, CheckKind::Agree { .. }))
        || g.prog.ops[start_ops..].iter().any(|op| matches!(op, Op::Counterpart(_) | Op::ExistsIn(_) | Op::Drift));
    Ok(Rule {
        id: decl.id.text.clone(),
        severity,
        title: text(&decl.title),
        why: text(&decl.why),
        fix: text(&decl.fix),
        example: text(&decl.example),
        tags: decl.tags.iter().map(|t| t.text.clone()).collect(),
        body: sources.slice(body.span).to_string(),
        origin: format!("{}:{line}", sources.get(decl.id.span.source).name),
        checks,
        except,
        named_envs,
        named_tags,
        enabled,
        cross_env,
    })
}

/// The subject type the except clause and message see.
fn subject_ty(checks: &[Check], prog: &Program) -> Ty {
    match checks.first().map(|c| &c.kind) {
        Some(CheckKind::Each { domain, .. }) => match &prog.domains[domain.index()].source {
            DomainSource::Envs(_) => Ty::Env,
            DomainSource::Objects { kinds, .. } => Ty::Obj(kinds.clone()),
            DomainSource::Values => Ty::Value,
        },
        Some(CheckKind::Agree { .. }) => Ty::Env,
        _ => Ty::Value,
    }
}

fn flatten_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::And(parts) => parts.iter().for_each(|p| flatten_and(p, out)),
        _ => out.push(e),
    }
}

/// One top-level part of a rule body → how it produces findings, and for
/// `every`/`no` the scope where a finding is made (the names it binds).
fn top_check(g: &mut Gen, e: &Expr) -> Result<(CheckKind, Option<Cx>), Diag> {
    let world = Cx::default();
    let plain = |k: Result<CheckKind, Diag>| k.map(|k| (k, None));
    match &e.kind {
        ExprKind::Quantified { quant: q @ (AQuant::Every | AQuant::No), np, pred } => {
            each(g, *q, np, pred.as_ref(), e.span).map(|(k, cx)| (k, Some(cx)))
        }
        ExprKind::Bare { np, pred } => {
            let r = g.resolve_np(np);
            match r {
                Ok(r) if pred.is_some() || !r.trailing.is_empty() => {
                    each(g, AQuant::Every, np, pred.as_ref(), e.span).map(|(k, cx)| (k, Some(cx)))
                }
                _ => plain(global(g, e, &world)),
            }
        }
        ExprKind::EnvSubject { env, pred } => {
            let sel = g.env_sel(env);
            let label = g.sources.slice(env.span).to_string();
            let d = g.domain(DomainSource::Envs(sel), label);
            let cx = Cx::of(Subj { slot: 0, ty: Ty::Env }, Some(1), vec![], None);
            let pred = g.block(|g| g.predicate(pred, &cx))?;
            Ok((CheckKind::Each { domain: d, filter: None, pred, fire_when: false }, None))
        }
        ExprKind::Agree { filters, value } => {
            let sel = filters.iter().find_map(|f| match f {
                Filter::In(Scope::Env(s), _) => Some(s.clone()),
                _ => None,
            });
            let sel = g.env_sel(&sel.unwrap_or(crate::syntax::ast::EnvSel { kind: EnvSelKind::Every, span: e.span }));
            let d = g.domain(DomainSource::Envs(sel), "envs".into());
            let cx = Cx::of(Subj { slot: 0, ty: Ty::Env }, Some(1), vec![], None);
            let rest: Vec<Filter> =
                filters.iter().filter(|f| !matches!(f, Filter::In(Scope::Env(_), _))).cloned().collect();
            let filter = if rest.is_empty() {
                None
            } else {
                Some(g.block(|g| {
                    let r = codegen::Resolved {
                        base: Base::Env,
                        label: String::new(),
                        quals: vec![],
                        filters: rest.clone(),
                        trailing: vec![],
                    };
                    top_filters(g, &r, &rest, &cx)
                })?)
            };
            let value = g.block(|g| g.value(value, &cx))?;
            Ok((CheckKind::Agree { envs: d, filter, value }, None))
        }
        _ => plain(global(g, e, &world)),
    }
}

fn global(g: &mut Gen, e: &Expr, cx: &Cx) -> Result<CheckKind, Diag> {
    let pred = g.block(|g| g.cond(e, cx))?;
    Ok(CheckKind::Global { pred })
}

/// `every NP PRED` / `no NP PRED` at the top: one verdict per element.
fn each(
    g: &mut Gen,
    q: AQuant,
    np: &crate::syntax::ast::NounPhrase,
    pred: Option<&crate::syntax::ast::Pred>,
    span: Span,
) -> Result<(CheckKind, Cx), Diag> {
    let r = g.resolve_np(np)?;
    g.reject_ambiguous_filter(q, np, &r, pred)?;
    let (filters, psrc) = split_predicate(q, &r, pred, span)?;
    let top = Cx::default();
    let source = g.domain_source(&r, &top, None, np.span)?;
    if matches!(source, DomainSource::Values) {
        return Err(Diag::new(DiagCode::Type, np.span, "a nested collection cannot be a rule's subject")
            .help("reach it from its parent: `every workload has every container ...`"));
    }
    if let DomainSource::Objects { envs: EnvScope::Current(_), .. } = source {
        return Err(Diag::new(DiagCode::Internal, np.span, "top-level domain bound to an env"));
    }
    let label = g.sources.slice(np.span).to_string();
    let over_objects = matches!(source, DomainSource::Objects { .. });
    let d = g.domain(source, label);
    let mut cx = Cx::of(Subj { slot: 0, ty: r.ty() }, Some(1), vec![], None);
    // Filters and `as` names; the filter block stores counterparts in slots
    // the predicate reads, so both run on the same slots.
    for f in &filters {
        if let Filter::As(name) = f {
            cx.binds.push((name.text.clone(), Subj { slot: 0, ty: r.ty() }));
        }
    }
    // A second `in ENVS` is a filter: only the first chooses the domain.
    let env_filters = filters.iter().filter(|f| matches!(f, Filter::In(Scope::Env(_), _))).count();
    let has_filter = !r.quals.is_empty()
        || env_filters > 1
        || filters.iter().any(|f| !matches!(f, Filter::As(_) | Filter::In(Scope::Env(_), _)));
    let mut fcx = cx.clone();
    let filter = if has_filter {
        let entry = g.prog.ops.len() as u32;
        g.memo_env_where = over_objects;
        let r = top_filters_into(g, &r, &filters, &mut fcx);
        g.memo_env_where = false;
        r?;
        g.emit(Op::Ret);
        Some(Code { entry })
    } else {
        None
    };
    let pred = g.block(|g| match &psrc {
        Some(PredSrc::Pred(p)) => g.predicate(p, &fcx),
        Some(PredSrc::Cond(e)) => {
            let subj = Subj { slot: 0, ty: r.ty() };
            let scx = fcx.clone();
            match &e.kind {
                ExprKind::Bare { np, pred } if g.resolve_np(np).is_ok() => {
                    let rr = g.resolve_np(np)?;
                    let qq = if pred.is_some() || !rr.trailing.is_empty() { AQuant::Every } else { AQuant::Some };
                    g.quantified(qq, np, pred.as_ref(), &scx, Some(&subj))
                }
                _ => g.cond(e, &scx),
            }
        }
        Some(PredSrc::Words(words)) => {
            let p = crate::syntax::ast::Pred { kind: crate::syntax::ast::PredKind::Verb(words.clone()), span };
            g.predicate(&p, &fcx)
        }
        // `no X where C`: every element that passes the filters is a finding.
        None => {
            let t = g.konst(crate::bytecode::Const::Bool(true));
            g.emit(Op::Const(t));
            Ok(())
        }
    })?;
    Ok((CheckKind::Each { domain: d, filter, pred, fire_when: q == AQuant::No }, fcx))
}

/// Filter code for a top-level subject: leaves whether it passes.
fn top_filters(g: &mut Gen, res: &codegen::Resolved, filters: &[Filter], cx: &Cx) -> Result<(), Diag> {
    let mut c = cx.clone();
    top_filters_into(g, res, filters, &mut c)
}

fn top_filters_into(g: &mut Gen, res: &codegen::Resolved, filters: &[Filter], cx: &mut Cx) -> Result<(), Diag> {
    // Reuse the quantifier's element filters: they jump to a "skip" target
    // on failure; here that target pushes false.
    let skip_jumps_start = g.prog.ops.len();
    g.element_filters(res, filters, cx, u32::MAX)?;
    let t = g.konst(crate::bytecode::Const::Bool(true));
    g.emit(Op::Const(t));
    let done = g.emit(Op::Jump(0));
    let fail = g.prog.ops.len() as u32;
    let f = g.konst(crate::bytecode::Const::Bool(false));
    g.emit(Op::Const(f));
    let end = g.prog.ops.len() as u32;
    g.prog.ops[done] = Op::Jump(end);
    for op in &mut g.prog.ops[skip_jumps_start..done] {
        if *op == Op::JumpIfFalse(u32::MAX) {
            *op = Op::JumpIfFalse(fail);
        }
    }
    Ok(())
}
