//! Findings of `matches`: one per field that differs, each at that field's
//! line in the subject's file, with the other env's object (at its line of
//! the field) as the related location, and both values as evidence.

use super::*;
use crate::diff::Diff;

/// `f` as one finding per differing field when the trace holds a
/// `matches` verdict; otherwise `f` alone.
pub(super) fn expand(
    world: &World,
    files: &FileCache,
    f: Finding,
    subject: &Val,
    items: &[(bool, TraceItem)],
) -> Vec<Finding> {
    let Val::Obj(o) = subject else { return vec![f] };
    let drifts: Vec<(&Object, &Vec<Diff>)> = items
        .iter()
        .filter_map(|(in_filter, i)| match i {
            TraceItem::Drift { other, diffs } if !in_filter => Some((*other, diffs)),
            _ => None,
        })
        .collect();
    if drifts.is_empty() {
        return vec![f];
    }
    let env_name = |e: EnvId| world.envs.get(e as usize).map(|x| x.name.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for (other, diffs) in drifts {
        let (here, there) = (env_name(o.env), env_name(other.env));
        for d in diffs {
            let path = d.path_text();
            let (line, ask) = files.line(o, &d.concrete(true));
            let mut related = location(world, other);
            let there_ask;
            (related.line, there_ask) = files.line(other, &d.concrete(false));
            let unsettled = files.defer(o, line, ask, there_ask.map(|a| (0, a)).into_iter().collect());
            let mut evidence = serde_json::Map::new();
            evidence.insert("path".into(), Json::String(path.clone()));
            evidence.insert(here.clone(), d.left.clone().unwrap_or(Json::Null));
            evidence.insert(there.clone(), d.right.clone().unwrap_or(Json::Null));
            let message = format!(
                "{} {}: {path} is {} in {here} but {} in {there}",
                o.kind,
                o.name,
                crate::diff::short(d.left.as_ref()),
                crate::diff::short(d.right.as_ref()),
            );
            // The subject's own finding gives the rule and the object; its
            // message, evidence and frame are replaced, so not copied.
            out.push(Finding {
                rule: f.rule.clone(),
                severity: f.severity,
                env: f.env.clone(),
                api_version: f.api_version.clone(),
                kind: f.kind.clone(),
                namespace: f.namespace.clone(),
                name: f.name.clone(),
                file: f.file.clone(),
                line,
                message,
                evidence: Json::Object(evidence),
                related: vec![related],
                frame: Vec::new(),
                unsettled,
            });
        }
    }
    out
}

/// Rule id of the finding for a tolerance that allowed no difference.
pub const TOLERANCE_UNUSED: &str = "parity/tolerance-unused";

/// A warning finding for each tolerance of the user's that allowed no
/// difference in a run where `matches` compared objects (the standard
/// library's own are not reported).
pub(super) fn unused_tolerances(prog: &Program, used: &[bool]) -> Vec<Finding> {
    prog.tolerances
        .iter()
        .zip(used.iter().copied().chain(std::iter::repeat(false)))
        .filter(|(t, u)| !u && !t.is_builtin())
        .map(|(t, _)| {
            let (file, line) = match t.origin.rsplit_once(':') {
                Some((f, l)) => (f.to_string(), l.parse().unwrap_or(0)),
                None => (t.origin.clone(), 0),
            };
            Finding {
                rule: TOLERANCE_UNUSED.into(),
                severity: Severity::Warning,
                env: String::new(),
                api_version: String::new(),
                kind: String::new(),
                namespace: String::new(),
                name: String::new(),
                file,
                line,
                message: format!("`{}` allowed no difference; remove it", t.text),
                evidence: Json::Object(Default::default()),
                related: Vec::new(),
                frame: Vec::new(),
                unsettled: 0,
            }
        })
        .collect()
}

/// The lines of fields of loaded objects, for reports made outside a rule
/// run (`parity diff`): recorded lines, or the file read again.
pub struct FieldLines<'a>(FileCache<'a>);

impl<'a> FieldLines<'a> {
    pub fn new(world: &'a World) -> FieldLines<'a> {
        FieldLines(FileCache::reading(world))
    }

    /// The line of the deepest node along `segs` in `o`, else its own line.
    pub fn line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> u32 {
        self.0.concrete_line(o, segs).unwrap_or(o.line)
    }
}
