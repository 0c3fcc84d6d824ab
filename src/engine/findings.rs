//! Findings and run errors: what the engine reports about a verdict (its
//! evidence, message, location and related objects), whole-world and
//! duplicate-object findings, and the errors of rules that could not run.

use super::*;
use crate::report::ErrorAt;
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
        let mut report = |error: EngineError| {
            if builtin {
                out.warnings.push(Notice::new(&error, rule.origin.clone(), 0));
            } else {
                out.errors.push(error.at_pos(&file, line, 0));
            }
        };
        for env in &rule.named_envs {
            if world.env_by_name(env).is_none() {
                let hint = match crate::diag::did_you_mean(env, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(EngineError::UnknownEnv(format!(
                    "rule `{}` names env `{env}`, which no loaded env has; {hint}loaded envs: {}",
                    rule.id,
                    list(&names)
                )));
            }
        }
        for tag in &rule.named_tags {
            if !tags.contains(&tag.as_str()) {
                let hint = match crate::diag::did_you_mean(tag, tags.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? "),
                    None => String::new(),
                };
                report(EngineError::UnknownTag(format!(
                    "rule `{}` names env tag `{tag}`, which no loaded env has; {hint}tags of the loaded envs: {}",
                    rule.id,
                    list(&tags)
                )));
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
            let (la, lb) = (location(world, a), location(world, b));
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
                frame: Vec::new(),
                related: vec![la],
                unsettled: files.defer(b, lb.line, None, Vec::new()),
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
    EngineError::RuleBudget(format!(
        "rule `{}` was stopped: it took more than its budget for one run of {limit}; none of its findings \
         are reported. Narrow its domain or raise the budget",
        rule.id
    ))
    .at(&rule.origin)
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
    let error = match e {
        crate::vm::EvalError::Budget(_)
        | crate::vm::EvalError::TooCostly(..)
        | crate::vm::EvalError::QueryTooLarge(_)
        | crate::vm::EvalError::RuleBudget => {
            EngineError::Budget(format!("rule `{}`{what}: {e}; the rule is too costly for this input", rule.id))
        }
        crate::vm::EvalError::Internal(_) => EngineError::Internal(format!(
            "rule `{}`{what}: {e}; this is a bug in parity; please report it with the rule and the input",
            rule.id
        )),
    };
    error.at(&rule.origin)
}

/// What a message template reads besides the subject: the elements that
/// decided the verdict per quantifier domain (for names bound with `as` in
/// the predicate), and the envs where the subject has no counterpart.
#[derive(Default)]
pub(super) struct MsgCtx<'w> {
    pub elements: Vec<(DomainId, Val<'w>)>,
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
    let mut field: Option<PathId> = None;
    let mut element_path: Option<Vec<crate::load::PathSeg>> = None;
    let mut ctx = MsgCtx::default();
    for (in_filter, item_) in items {
        match item_ {
            TraceItem::Element { label, elem, domain } => {
                ctx.elements.push((*domain, elem.clone()));
                if let Val::Obj(o) = elem {
                    related.push(location(world, o));
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
                related.push(location(world, c));
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
                            related.push(location(world, &other.objects[j as usize]));
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
            // The line of the element or field the finding is about, as far
            // as the tree knows it; the rest is found after the rules ran.
            let segs = match element_path {
                Some(p) => Some(p),
                None => field.map(|p| vm_path(vm, p)).and_then(|p| concrete_path(o, &p)),
            };
            let mut loc = location(world, o);
            let mut ask = None;
            if let Some(segs) = segs {
                (loc.line, ask) = files.line(o, &segs);
            }
            let unsettled = files.defer(o, loc.line, ask, Vec::new());
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
                frame: Vec::new(),
                related,
                unsettled,
            }
        }
        _ => Finding { related, ..env_finding(rule, env_name, message, evidence) },
    }
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
    Finding { rule: rule.id.clone(), severity: rule.severity, env, message, evidence, ..Finding::default() }
}
