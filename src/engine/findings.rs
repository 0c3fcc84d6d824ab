//! Findings and run errors: what the engine reports about a verdict (its
//! evidence, message, location and related objects), whole-world and
//! duplicate-object findings, and the errors of rules that could not run.

use super::*;
use crate::vm::value::display;
/// A user rule that names an env or tag no loaded env has could check
/// nothing and pass, so it is an error, with a "did you mean" over the envs
/// and tags loaded. The standard library's rules name envs and tags that a
/// setup may not have; for them it is a warning.
pub(super) fn unknown_envs_and_tags(prog: &Program, world: &World, only: Option<&[String]>, out: &mut Outcome) {
    if world.envs.is_empty() {
        return;
    }
    let names: Vec<&str> = world.envs.iter().map(|e| e.name.as_str()).collect();
    let mut tags: Vec<&str> = world.envs.iter().flat_map(|e| e.tags.iter().map(String::as_str)).collect();
    tags.sort_unstable();
    tags.dedup();
    let list = |v: &[&str]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    for rule in prog.rules.iter().filter(|r| only.is_none_or(|ids| ids.contains(&r.id))) {
        let builtin = rule.is_builtin();
        let (file, line) = rule.origin_file_line();
        let mut report = |code: &str, message: String| {
            if builtin {
                out.warnings.push(Notice { code: code.into(), file: rule.origin.clone(), line: 0, message });
            } else {
                out.errors.push(RunError { code: code.into(), file: file.clone(), line, column: 0, message });
            }
        };
        for env in &rule.named_envs {
            if world.env_by_name(env).is_none() {
                let hint = match crate::diag::did_you_mean(env, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(
                    "parity::rule::unknown-env",
                    format!(
                        "rule `{}` names env `{env}`, which no loaded env has; {hint}loaded envs: {}",
                        rule.id,
                        list(&names)
                    ),
                );
            }
        }
        for tag in &rule.named_tags {
            if !tags.contains(&tag.as_str()) {
                let hint = match crate::diag::did_you_mean(tag, tags.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(
                    "parity::rule::unknown-tag",
                    format!(
                        "rule `{}` names env tag `{tag}`, which no loaded env has; {hint}tags of the loaded envs: {}",
                        rule.id,
                        list(&tags)
                    ),
                );
            }
        }
    }
}

/// One error finding per object whose kind, namespace and name an earlier
/// object of the same env already has: kubectl would apply only one of them,
/// and a counterpart lookup could pick either, so neither verdict is sure.
pub(super) fn duplicate_findings(world: &World, files: &FileCache) -> Vec<Finding> {
    let mut out = Vec::new();
    for env in &world.envs {
        for &(first, repeat) in &env.duplicates {
            let (a, b) = (&env.objects[first as usize], &env.objects[repeat as usize]);
            let (la, lb) = (location(world, a, None, files), location(world, b, None, files));
            let message = format!(
                "{} is defined twice in env {}: here and at {}:{}; applied in order, the last one wins and \
                 replaces the other (this one, if applied in file order), and a cross-env rule could pair \
                 either; remove or rename one of them",
                object_label(b),
                env.name,
                la.file,
                la.line
            );
            let evidence = Json::Array(vec![item(
                "",
                Json::String(format!("{}:{}", lb.file, lb.line)),
                &env.name,
                Some(Json::String(format!("one definition, not also {}:{}", la.file, la.line))),
            )]);
            out.push(Finding {
                rule: DUPLICATE_OBJECT.into(),
                severity: Severity::Error,
                env: env.name.clone(),
                api_version: lb.api_version.clone(),
                kind: lb.kind.clone(),
                namespace: lb.namespace.clone(),
                name: lb.name.clone(),
                file: lb.file.clone(),
                line: lb.line,
                message,
                evidence,
                frame: files.frame(b.file, lb.line),
                related: vec![la],
            });
        }
    }
    out
}

/// The one error of a rule that passed its run budget.
pub(super) fn rule_budget_error(rule: &Rule, meter: &Meter) -> RunError {
    let limit = if meter.steps() > meter.max_steps() {
        format!("{} evaluation steps (`--rule-budget`)", meter.max_steps())
    } else {
        format!("{} s of evaluation (`--rule-timeout`)", meter.max_time().as_secs_f64())
    };
    RunError {
        code: "parity::eval::rule-budget".into(),
        file: rule.origin.clone(),
        line: 0,
        column: 0,
        message: format!(
            "rule `{}` was stopped: it took more than its budget for one run of {limit}; none of its findings \
             are reported. Narrow its domain or raise the budget",
            rule.id
        ),
    }
}

/// Records an evaluation that did not finish: a budget error is kept for
/// one error per rule; a rule over its run budget is reported once, at the
/// end.
pub(super) fn eval_failed(out: &mut Outcome, ri: usize, rule: &Rule, world: &World, subject: &Val, e: EvalError) {
    match e {
        EvalError::RuleBudget => {}
        e => out.over_budget.push((ri, eval_error(rule, world, subject, e))),
    }
}

pub(super) fn eval_error(rule: &Rule, world: &World, subject: &Val, e: crate::vm::EvalError) -> RunError {
    let what = match subject {
        Val::Obj(o) => format!(" on {} in env `{}`", object_label(o), world.envs[o.env as usize].name),
        Val::Env(e) => format!(" on env `{}`", world.envs[*e as usize].name),
        _ => String::new(),
    };
    let (code, advice) = match e {
        crate::vm::EvalError::Budget(_)
        | crate::vm::EvalError::TooCostly(..)
        | crate::vm::EvalError::QueryTooLarge(_)
        | crate::vm::EvalError::RuleBudget => ("parity::eval::budget", "the rule is too costly for this input"),
        crate::vm::EvalError::Internal(_) => {
            ("parity::eval::internal", "this is a bug in parity; please report it with the rule and the input")
        }
    };
    RunError {
        code: code.into(),
        file: rule.origin.clone(),
        line: 0,
        column: 0,
        message: format!("rule `{}`{what}: {e}; {advice}", rule.id),
    }
}

/// What a message template reads besides the subject: the elements that
/// decided the verdict per quantifier domain (for names bound with `as` in
/// the predicate), and the envs where the subject has no counterpart.
#[derive(Default)]
pub(super) struct MsgCtx<'w> {
    pub elements: Vec<(u32, Val<'w>)>,
    pub missing: Vec<String>,
}

/// One evidence item: a value found at a path in an env, and what was
/// expected there (see docs/json-schema.md).
pub(super) fn item(path: &str, value: Json, env: &str, expected: Option<Json>) -> Json {
    let mut m = serde_json::Map::new();
    m.insert("path".into(), Json::String(path.to_string()));
    m.insert("value".into(), value);
    m.insert("env".into(), Json::String(env.to_string()));
    if let Some(e) = expected {
        m.insert("expected".into(), e);
    }
    Json::Object(m)
}

/// A concrete path as text: `spec.template.spec.containers[1]`.
pub(super) fn path_text(segs: &[crate::load::PathSeg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            crate::load::PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            crate::load::PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn finding<'w>(
    vm: &mut Vm<'w>,
    world: &'w World,
    rule: &Rule,
    ci: usize,
    subject: &Val<'w>,
    env: Option<EnvId>,
    items: &[(bool, TraceItem<'w>)],
    fire_when: bool,
    files: &FileCache,
) -> Finding {
    let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    let env_name = env.map(names).unwrap_or_default();
    let mut evidence: Vec<Json> = Vec::new();
    let mut related = Vec::new();
    let mut field: Option<u32> = None;
    let mut element_path: Option<Vec<crate::load::PathSeg>> = None;
    let mut ctx = MsgCtx::default();
    for (in_filter, item_) in items {
        match item_ {
            TraceItem::Element { label, elem, domain } => {
                ctx.elements.push((*domain, elem.clone()));
                if let Val::Obj(o) = elem {
                    related.push(location(world, o, None, files));
                }
                if *in_filter {
                    continue;
                }
                // A counterexample inside the subject (a container): its
                // path, and the line of the first one.
                let (path, elem_env) = match (elem, subject) {
                    (Val::J(j), Val::Obj(o)) => match path_to(o.value(), *j) {
                        Some(p) => {
                            let text = path_text(&p);
                            if element_path.is_none() {
                                element_path = Some(p);
                            }
                            (text, env_name.clone())
                        }
                        None => (label.clone(), env_name.clone()),
                    },
                    (Val::Obj(o), _) => (label.clone(), names(o.env)),
                    _ => (label.clone(), env_name.clone()),
                };
                evidence.push(item(&path, Json::String(element_label(elem, &names)), &elem_env, None));
            }
            // A counterpart the subject phrase paired (`with counterpart in
            // reference env as ref`): the other side of a cross-env finding.
            TraceItem::Compared { lhs_val: Val::Obj(c), .. }
                if *in_filter && matches!(subject, Val::Obj(o) if o.env != c.env) =>
            {
                related.push(location(world, c, None, files));
            }
            TraceItem::Compared { lhs, lhs_val, rhs, rhs_val, holds } if !in_filter && *holds == fire_when => {
                // What was found, and (for a rule that must hold) what the
                // other side says it should be.
                let (path, value, other, other_text) =
                    if lhs.is_empty() { (rhs, rhs_val, lhs_val, lhs) } else { (lhs, lhs_val, rhs_val, rhs) };
                // A test of one value (`is empty`, `exists`) has no other side.
                let expected = (!fire_when && !other_text.is_empty()).then(|| to_json_with(other, &names));
                evidence.push(item(path, to_json_with(value, &names), &env_name, expected));
            }
            TraceItem::Missing { envs } if !in_filter => {
                ctx.missing = envs.iter().map(|e| names(*e)).collect();
                if let Val::Obj(o) = subject {
                    for e in envs {
                        evidence.push(item("", Json::Null, &names(*e), Some(Json::String(object_label(o)))));
                    }
                    // Point at the counterparts that do exist.
                    for (i, other) in world.envs.iter().enumerate() {
                        if i as EnvId == o.env || envs.contains(&(i as EnvId)) {
                            continue;
                        }
                        if let Some(j) = world.envs[o.env as usize].counterpart_in(o, other) {
                            related.push(location(world, &other.objects[j as usize], None, files));
                        }
                    }
                }
            }
            TraceItem::Field { path } if field.is_none() && !in_filter => field = Some(*path),
            // A function that found a problem at a node of the subject
            // (`schema-problems`): that node's line.
            TraceItem::At { node } if !in_filter && element_path.is_none() => {
                if let Val::Obj(o) = subject {
                    element_path = path_to(o.value(), *node);
                }
            }
            _ => {}
        }
    }
    let evidence = Json::Array(evidence);
    let message = message(vm, rule, ci, subject, env, &evidence, &ctx);
    match subject {
        Val::Obj(o) => {
            let loc = match element_path {
                Some(p) => {
                    let line = files.concrete_line(o, &p);
                    let mut l = location(world, o, None, files);
                    l.line = line.unwrap_or(l.line);
                    l
                }
                None => {
                    let path = field.map(|p| vm_path(vm, p));
                    location(world, o, path.as_deref(), files)
                }
            };
            Finding {
                rule: rule.id.clone(),
                severity: rule.severity,
                env: env_name,
                api_version: loc.api_version,
                kind: loc.kind,
                namespace: loc.namespace,
                name: loc.name,
                file: loc.file,
                line: loc.line,
                message,
                evidence,
                frame: files.frame(o.file, loc.line),
                related,
            }
        }
        _ => Finding { related, ..env_finding(rule, env_name, message, evidence) },
    }
}

pub(super) fn vm_path(vm: &Vm, p: u32) -> Vec<PathSeg> {
    vm.path_segs(p).to_vec()
}

/// An element named the way a person would: an object by kind and name, a
/// container or port by its `name`, anything else as compact JSON.
pub(super) fn element_label(v: &Val, names: &dyn Fn(EnvId) -> String) -> String {
    match v {
        Val::Obj(o) => object_label(o),
        Val::Env(e) => names(*e),
        other => match other.get_key("name").as_str() {
            Some(n) => n.to_string(),
            None => display(other, names),
        },
    }
}

/// The most messages one finding lists, one per element that decided it.
const MESSAGES_SHOWN: usize = 5;

pub(super) fn message<'w>(
    vm: &mut Vm<'w>,
    rule: &Rule,
    ci: usize,
    subject: &Val<'w>,
    env: Option<EnvId>,
    evidence: &Json,
    ctx: &MsgCtx<'w>,
) -> String {
    let check = &rule.checks[ci];
    let Some(pieces) = &check.message else {
        let base =
            if rule.title.is_empty() { format!("violates `{}`", one_line(&rule.body)) } else { rule.title.clone() };
        return if ctx.missing.is_empty() { base } else { format!("{base}: missing in {}", ctx.missing.join(", ")) };
    };
    // A name bound with `as` inside the predicate reads the element that
    // decided the verdict: one message per such element of the first name
    // the template reads (the others read their first element).
    let of = |d: u32| ctx.elements.iter().filter(move |(x, _)| *x == d).map(|(_, v)| v.clone());
    let rounds: Vec<Vec<(u16, Val<'w>)>> = match check.elem_binds.split_first() {
        None => vec![vec![]],
        Some(((d0, s0), rest)) => {
            let others: Vec<(u16, Val<'w>)> =
                rest.iter().map(|(d, s)| (*s, of(*d).next().unwrap_or(Val::Absent))).collect();
            let mut rounds: Vec<Vec<(u16, Val<'w>)>> = of(*d0)
                .map(|v| {
                    let mut r = vec![(*s0, v)];
                    r.extend(others.iter().cloned());
                    r
                })
                .collect();
            if rounds.is_empty() {
                rounds.push(others);
            }
            rounds
        }
    };
    let mut texts: Vec<String> = Vec::new();
    let total = rounds.len();
    for binds in rounds {
        let text = render_template(vm, rule, ci, pieces, subject, env, evidence, ctx, &binds);
        if !texts.contains(&text) {
            texts.push(text);
        }
        if texts.len() == MESSAGES_SHOWN {
            break;
        }
    }
    let mut out = texts.join("; ");
    if total > texts.len() && texts.len() == MESSAGES_SHOWN {
        out.push_str(&format!("; and {} more", total - MESSAGES_SHOWN));
    }
    out
}

/// The evidence items as one line: `path = value (expected X) in env`.
pub(super) fn evidence_text(evidence: &Json) -> String {
    match evidence {
        Json::Array(items) => items.iter().map(crate::report::evidence_item).collect::<Vec<_>>().join("; "),
        Json::Object(m) => m.iter().map(|(k, v)| format!("{k}: {}", compact(v))).collect::<Vec<_>>().join("; "),
        _ => String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn render_template<'w>(
    vm: &mut Vm<'w>,
    rule: &Rule,
    ci: usize,
    pieces: &[Piece],
    subject: &Val<'w>,
    env: Option<EnvId>,
    evidence: &Json,
    ctx: &MsgCtx<'w>,
    binds: &[(u16, Val<'w>)],
) -> String {
    let check = &rule.checks[ci];
    let mut out = String::new();
    let slots = rule.checks.iter().map(|c| c.slots).max().unwrap_or(2);
    for p in pieces {
        match p {
            Piece::Lit(s) => out.push_str(s),
            Piece::Evidence => out.push_str(&evidence_text(evidence)),
            Piece::MissingEnvs => out.push_str(&ctx.missing.join(", ")),
            Piece::Expr(code) => {
                vm.bind(slots, subject.clone(), env);
                // The filter stores the names the subject phrase binds
                // (counterparts) in the slots the template reads.
                if let CheckKind::Each { filter: Some(f), .. } = &check.kind {
                    let _ = vm.run(*f);
                }
                for (slot, v) in binds {
                    vm.set_slot(*slot, v.clone());
                }
                let world = vm.world();
                let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
                let text = match vm.run(*code) {
                    Ok(v) => display(&v, &names),
                    Err(_) => "<error>".into(),
                };
                out.push_str(&text);
            }
        }
    }
    out
}

pub(super) fn compact(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Array(a) => a.iter().map(compact).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Evidence for a whole-world verdict (`some ...`, `at least N ...`): per
/// env examined, the elements found there, with a one-line summary that
/// names each env.
pub(super) fn whole_world_evidence(world: &World, items: &[TraceItem], text: &str) -> (Json, String) {
    let names = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    let mut envs: Vec<EnvId> = items
        .iter()
        .filter_map(|i| match i {
            TraceItem::Scanned { envs } => Some(envs.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    envs.sort_unstable();
    envs.dedup();
    let label = one_line(text);
    // (env, element) for each element found; an element not in an env
    // (a value) counts under no env.
    let found: Vec<(Option<EnvId>, String)> = items
        .iter()
        .filter_map(|i| match i {
            TraceItem::Element { elem, .. } => {
                let env = match elem {
                    Val::Obj(o) => Some(o.env),
                    Val::Env(e) => Some(*e),
                    _ => None,
                };
                Some((env, element_label(elem, &names)))
            }
            _ => None,
        })
        .collect();
    const SHOWN: usize = 20;
    let mut ev = Vec::new();
    let mut parts = Vec::new();
    for e in &envs {
        let here: Vec<&String> = found.iter().filter(|(x, _)| *x == Some(*e)).map(|(_, l)| l).collect();
        ev.push(item(
            &label,
            Json::Array(here.iter().take(SHOWN).map(|l| Json::String((*l).clone())).collect()),
            &names(*e),
            None,
        ));
        parts.push(match here.len() {
            0 => format!("none in {}", names(*e)),
            n if n <= SHOWN => {
                format!("{n} in {} ({})", names(*e), here.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            }
            n => format!(
                "{n} in {} ({}, ...)",
                names(*e),
                here[..SHOWN].iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let loose: Vec<&String> =
        found.iter().filter(|(x, _)| x.is_none_or(|e| !envs.contains(&e))).map(|(_, l)| l).collect();
    if !loose.is_empty() {
        ev.push(item(
            &label,
            Json::Array(loose.iter().take(SHOWN).map(|l| Json::String((*l).clone())).collect()),
            "",
            None,
        ));
        parts.push(format!(
            "{} ({})",
            loose.len(),
            loose.iter().take(SHOWN).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let summary =
        if parts.is_empty() { "found none in no env".to_string() } else { format!("found {}", parts.join("; ")) };
    (Json::Array(ev), summary)
}

pub(super) fn env_finding(rule: &Rule, env: String, message: String, evidence: Json) -> Finding {
    Finding {
        rule: rule.id.clone(),
        severity: rule.severity,
        env,
        api_version: String::new(),
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        file: String::new(),
        line: 0,
        message,
        evidence,
        related: Vec::new(),
        frame: Vec::new(),
    }
}

/// An object's location; with a field path, the line of that field (or of
/// its nearest existing parent).
pub(super) fn location(world: &World, o: &Object, path: Option<&[PathSeg]>, files: &FileCache) -> Location {
    let line = path.and_then(|p| files.field_line(o, p)).unwrap_or(o.line);
    Location {
        env: world.envs.get(o.env as usize).map(|e| e.name.clone()).unwrap_or_default(),
        api_version: o.api_version().to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.as_deref().unwrap_or("").to_string(),
        name: o.name.to_string(),
        file: world.files.get(o.file as usize).cloned().unwrap_or_default(),
        line,
    }
}

/// Source texts, kept by the loader for files whose trees recorded no lines
/// (see `tree_line`), to find the line of a field in a finding. A file is
/// never opened again (by its display name or otherwise): a file without a
/// kept text gives its object's line.
pub(super) struct FileCache<'a> {
    world: &'a World,
    stdin: Option<Arc<String>>,
}

impl<'a> FileCache<'a> {
    pub(super) fn new(world: &'a World, stdin: Option<&'a str>) -> FileCache<'a> {
        FileCache { world, stdin: stdin.map(|s| Arc::new(s.to_string())) }
    }

    pub(super) fn text(&self, file: u32) -> Option<Arc<String>> {
        if let Some(Some(text)) = self.world.texts.get(file as usize) {
            return Some(text.clone());
        }
        let name = self.world.files.get(file as usize)?;
        if name == crate::load::STDIN { self.stdin.clone() } else { None }
    }

    /// The lines around `line` of a file whose text is in memory: the line
    /// before, the line, the line after (each cut to `FRAME_WIDTH`
    /// characters); nothing when the text was not kept.
    pub(super) fn frame(&self, file: u32, line: u32) -> Vec<(u32, String)> {
        const FRAME_WIDTH: usize = 160;
        let Some(text) = self.text(file) else { return Vec::new() };
        if line == 0 {
            return Vec::new();
        }
        let first = line.saturating_sub(1).max(1);
        text.lines()
            .enumerate()
            .skip(first as usize - 1)
            .take((line - first + 2) as usize)
            .map(|(i, l)| {
                let l = l.trim_end();
                let cut: String = l.chars().take(FRAME_WIDTH).collect();
                let cut = if cut.len() < l.len() { format!("{cut}…") } else { cut };
                (i as u32 + 1, cut)
            })
            .collect()
    }

    pub(super) fn field_line(&self, o: &Object, path: &[PathSeg]) -> Option<u32> {
        let segs = concrete_path(o, path)?;
        self.concrete_line(o, &segs)
    }

    pub(super) fn concrete_line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> Option<u32> {
        if segs.is_empty() {
            return None;
        }
        if let Some(line) = tree_line(o.value(), segs) {
            return Some(line);
        }
        let text = self.text(o.file)?;
        crate::load::locate::field_line_at(&text, o.doc_offset as usize, o.line, segs)
    }
}

/// The line of the deepest node along `segs` from `root`, from the lines
/// the tree recorded while loading; `None` where one is not known (a tree
/// the general YAML parser or the JSON parser built, an empty value), and
/// the file is parsed again instead.
pub(super) fn tree_line(root: NodeRef, segs: &[crate::load::PathSeg]) -> Option<u32> {
    use crate::load::PathSeg as L;
    let mut node = root;
    for seg in segs {
        let next = match seg {
            L::Key(k) => node.get(k),
            L::Index(i) => node.at(*i),
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node.line()
}

/// The path from `root` to the node `target` (found by identity: elements
/// of nested collections are nodes of their object's tree).
pub(super) fn path_to(root: NodeRef, target: NodeRef) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    if root == target {
        return Some(Vec::new());
    }
    // Depth first, in key (or element) order; only the keys on the path
    // found are copied.
    let (seg, mut rest) = if root.is_map() {
        root.entries().find_map(|(k, v)| path_to(v, target).map(|rest| (L::Key(k.to_string()), rest)))
    } else {
        root.iter().enumerate().find_map(|(i, v)| path_to(v, target).map(|rest| (L::Index(i), rest)))
    }?;
    rest.insert(0, seg);
    Some(rest)
}

/// An interned path as concrete keys in the object's source, as far as it
/// can be followed (the pod spec is expanded per kind).
pub(super) fn concrete_path(o: &Object, path: &[PathSeg]) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    let mut out = Vec::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => out.push(L::Key(k.clone())),
            PathSeg::Index(i) if *i >= 0 => out.push(L::Index(*i as usize)),
            PathSeg::PodSpec => out.extend(pod_spec_path(&o.kind)?.iter().map(|k| L::Key(k.to_string()))),
            _ => break,
        }
    }
    Some(out)
}
