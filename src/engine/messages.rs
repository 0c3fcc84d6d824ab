//! Messages: the rule's template filled in for one finding, and evidence
//! as one line of text.

use super::*;
use crate::vm::value::display;

pub(super) fn vm_path(vm: &Vm, p: PathId) -> Vec<PathSeg> {
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
pub(super) const MESSAGES_SHOWN: usize = 5;

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
    let of = |d: DomainId| ctx.elements.iter().filter(move |(x, _)| *x == d).map(|(_, v)| v.clone());
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
pub(super) fn render_template<'w>(
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
