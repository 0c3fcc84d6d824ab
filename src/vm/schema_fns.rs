//! The rule-language functions over the schemas (listed in
//! `vm::functions::FUNCTIONS`): what `schema-valid`, `api-served`,
//! `api-version-parity` and `crd-exists` are written with. Like every
//! function they are pure: the Kubernetes version is an argument
//! (`env.version`; absent means the newest bundled version).

use std::rc::Rc;

use super::value::{Val, as_version};
use crate::schema::validate::{Problem, Twin, problem_text, validate, validate_beside};
use crate::schema::{Kind, Schemas, schemas, split_api_version};
use crate::world::tree::{NodeRef, Tree};

/// API groups that Kubernetes removed before 1.25 (so they are not in the
/// bundled schemas) and where their kinds went.
const REMOVED: &[(&str, &str, &str)] = &[
    ("extensions", "Ingress", "networking.k8s.io/v1"),
    ("extensions", "NetworkPolicy", "networking.k8s.io/v1"),
    ("extensions", "Deployment", "apps/v1"),
    ("extensions", "DaemonSet", "apps/v1"),
    ("extensions", "ReplicaSet", "apps/v1"),
    ("extensions", "PodSecurityPolicy", ""),
];

/// The schema version for a version value (a version, a string, or a
/// one-element list of one; absent: the newest bundled).
fn version_index(s: &Schemas, v: &Val) -> usize {
    let v = match v {
        Val::List(l) => l.first().cloned().unwrap_or(Val::Absent),
        other => other.clone(),
    };
    s.choose(as_version(&v).as_ref()).index
}

/// Whether an API group is part of Kubernetes itself (in the bundled
/// schemas, or removed before them).
pub fn builtin_group(s: &Schemas, group: &str) -> bool {
    group.is_empty() || s.builtin_group(group) || REMOVED.iter().any(|(g, _, _)| *g == group)
}

/// What a Kubernetes version says about an object's apiVersion and kind.
pub enum Verdict<'s> {
    /// A custom resource (its group is not Kubernetes'), or no apiVersion
    /// or kind to judge.
    Custom,
    /// Not served; the preferred replacement apiVersion, if any.
    NotServed(Option<String>),
    Served(&'s Kind),
}

pub fn verdict<'s>(s: &'s Schemas, root: NodeRef, version: usize) -> Verdict<'s> {
    let (Some(av), Some(kind)) = (root.str_field("apiVersion"), root.str_field("kind")) else {
        return Verdict::Custom;
    };
    let (group, ver) = split_api_version(av);
    // A kind of the table is built in: most objects are settled by this
    // one lookup, without the group's.
    let known = s.kind(group, ver, kind);
    if let Some(k) = known
        && k.served.contains(&(version as u8))
    {
        return Verdict::Served(k);
    }
    if known.is_none() && !builtin_group(s, group) {
        return Verdict::Custom;
    }
    let replacement = match REMOVED.iter().find(|(g, k, _)| *g == group && *k == kind) {
        Some((_, _, "")) => None,
        Some((_, _, r)) => Some(r.to_string()),
        None => s.replacements(group, kind, version).first().map(|k| k.api_version()),
    };
    Verdict::NotServed(replacement)
}

fn object_root<'w>(v: &Val<'w>) -> Option<NodeRef<'w>> {
    match v {
        Val::Obj(o) => Some(o.value()),
        Val::J(j) => Some(*j),
        _ => None,
    }
}

/// The problems of an object in one version, as (text, node index in the
/// object's tree); none for a custom resource or an apiVersion the version
/// does not serve.
type Problems = Rc<Vec<Kept>>;

/// A [`Problem`] kept past its tree's borrow: path, message, node index.
struct Kept {
    path: String,
    message: String,
    node: u32,
}

impl Kept {
    fn text(&self) -> String {
        problem_text(&self.path, &self.message)
    }
}

/// What one version says about one object: whether it serves it (custom
/// resources count as served) and its schema problems there.
#[derive(Clone)]
struct Judgement {
    served: bool,
    problems: Problems,
}

/// The judgements made for the object being evaluated on this thread. The
/// engine evaluates every rule of a group for one subject before the next,
/// so `schema-valid`, `api-served` and `api-version-parity` (and a finding's
/// message and location) ask about the same object in a row: each version
/// is judged once, and each group of versions sharing the kind's schema
/// (`Schemas::same_schema_as`) validates once.
struct Memo {
    /// (engine run, tree address, node).
    object: (u64, usize, u32),
    /// Per version: served, and the kind's version with the same schema
    /// (`None`: a custom resource or not served, so nothing to validate).
    by_version: Vec<(usize, bool, Option<ToValidate>)>,
    /// (the first version with the same schema of the kind, problems).
    by_schema: Vec<(usize, Problems)>,
}

/// A served kind, and the first version with the same schema of it: what
/// an object is validated against.
type ToValidate = (&'static Kind, usize);

thread_local! {
    static MEMO: std::cell::RefCell<Option<Memo>> = const { std::cell::RefCell::new(None) };
}

/// Judges `root` in the version a version value names, through [`MEMO`];
/// validates only when `problems` is asked for (`api-served` alone needs
/// no validation).
fn judge(root: NodeRef, version: &Val, problems: bool) -> Judgement {
    let s = schemas();
    let version = version_index(s, version);
    let object = (RUN.load(std::sync::atomic::Ordering::Relaxed), root.tree() as *const Tree as usize, root.index());
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let memo = m.get_or_insert_with(|| Memo { object, by_version: Vec::new(), by_schema: Vec::new() });
        if memo.object != object {
            // Another object: start over, keeping the allocations.
            memo.object = object;
            memo.by_version.clear();
            memo.by_schema.clear();
        }
        let (served, schema) = match memo.by_version.iter().find(|(v, _, _)| *v == version) {
            Some(&(_, served, schema)) => (served, schema),
            None => {
                let (served, schema) = match verdict(s, root, version) {
                    Verdict::Custom => (true, None),
                    Verdict::NotServed(_) => (false, None),
                    Verdict::Served(k) => (true, Some((k, s.same_schema_as(k, version)))),
                };
                memo.by_version.push((version, served, schema));
                (served, schema)
            }
        };
        let problems = match schema {
            Some((k, alike)) if problems => match memo.by_schema.iter().find(|(v, _)| *v == alike) {
                Some((_, p)) => p.clone(),
                None => {
                    // Validated in another version already (api-version-parity
                    // after schema-valid, envs on different versions): where
                    // the two schemas agree, its problems are taken over.
                    let twin = memo.by_schema.first().and_then(|(v, p)| Some((*v, s.root(k, *v)?, p.clone())));
                    let found = match (s.root(k, alike), twin) {
                        (Some(ty), Some((v, twin_root, twin_problems))) => {
                            let tree = root.tree();
                            let problems: Vec<Problem> = twin_problems
                                .iter()
                                .map(|p| Problem {
                                    path: p.path.clone(),
                                    message: p.message.clone(),
                                    node: tree.get(p.node),
                                })
                                .collect();
                            validate_beside(
                                s,
                                alike,
                                ty,
                                root,
                                &Twin { version: v, root: twin_root, problems: &problems },
                            )
                        }
                        (Some(ty), None) => validate(s, alike, ty, root),
                        (None, _) => Vec::new(),
                    };
                    let p: Problems = Rc::new(
                        found
                            .into_iter()
                            .map(|p| Kept { path: p.path, message: p.message, node: p.node.index() })
                            .collect(),
                    );
                    memo.by_schema.push((alike, p.clone()));
                    p
                }
            },
            _ => Rc::default(),
        };
        Judgement { served, problems }
    })
}

fn texts<'w>(ps: &[Problem]) -> Val<'w> {
    Val::List(Rc::new(ps.iter().map(|p| Val::str(p.text())).collect()))
}

fn version_arg<'a, 'w>(a: &'a [Val<'w>]) -> &'a Val<'w> {
    a.get(1).unwrap_or(&Val::Absent)
}

/// `schema-problems(object, version)`: the object's schema problems in that
/// version, as `path: problem` texts; empty for a valid object, a custom
/// resource, or an apiVersion the version does not serve.
pub fn schema_problems<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let j = judge(root, version_arg(a), true);
    Val::List(Rc::new(j.problems.iter().map(|p| Val::str(p.text())).collect()))
}

pub fn schema_problems_at<'w>(a: &[Val<'w>]) -> Option<NodeRef<'w>> {
    let root = object_root(&a[0])?;
    let j = judge(root, version_arg(a), true);
    j.problems.first().map(|p| root.tree().get(p.node))
}

/// `api-served(object, version)`: false when the object's apiVersion and
/// kind belong to Kubernetes and that version does not serve them.
pub fn api_served<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    // Through the memo: `schema-valid` judged this object in this version
    // just before (same rule group, same subject).
    Val::Bool(judge(root, version_arg(a), false).served)
}

/// `api-replacement(object, version)`: the apiVersion that version serves
/// the object's kind under instead, when it does not serve its own.
pub fn api_replacement<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let s = schemas();
    let version = version_index(s, a.get(1).unwrap_or(&Val::Absent));
    match verdict(s, root, version) {
        Verdict::NotServed(Some(r)) => Val::str(r),
        _ => Val::Absent,
    }
}

/// `api-unknown-kind(object, version)`: when that version serves the
/// object's apiVersion for other kinds but not for the object's kind (a
/// misspelt kind: `apps/v1` `Deploymnet`), the words for it, with the
/// nearest kind of that apiVersion; absent otherwise (the kind is served,
/// a custom resource, or the apiVersion itself is not served).
pub fn api_unknown_kind<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let (Some(av), Some(kind)) = (root.str_field("apiVersion"), root.str_field("kind")) else { return Val::Absent };
    let s = schemas();
    let version = version_index(s, version_arg(a));
    let (group, ver) = split_api_version(av);
    if s.kind(group, ver, kind).is_some() || !builtin_group(s, group) {
        return Val::Absent;
    }
    let Some(nearest) = s.nearest_kind(group, ver, version, kind) else { return Val::Absent };
    let hint = nearest.map(|k| format!("; did you mean `{k}`?")).unwrap_or_default();
    Val::str(format!("uses {av}, which has no kind `{kind}` in Kubernetes {}{hint}", s.versions()[version]))
}

/// Runs of the engine so far: the key of [`MEMO`] includes it, so an
/// entry never outlives the run (and the trees) it was made in.
static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Called when an engine run starts.
pub fn new_run() {
    RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// `schema-accepts(object, version)`: served there and free of schema
/// problems (custom resources: true).
pub fn schema_accepts<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let j = judge(root, version_arg(a), true);
    Val::Bool(j.served && j.problems.is_empty())
}

/// `schema-version(version)`: the bundled schema version used for a
/// Kubernetes version (`"1.30"`): its own, or the nearest bundled one when
/// outside 1.25 to 1.37, or the newest when absent.
pub fn schema_version<'w>(a: &[Val<'w>]) -> Val<'w> {
    let s = schemas();
    Val::str(s.versions()[version_index(s, &a[0])].as_str())
}

/// `custom-kind(object)`: whether the object's API group is not
/// Kubernetes' own (a custom resource, which needs a CRD).
pub fn custom_kind<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let Some(av) = root.str_field("apiVersion") else { return Val::Bool(false) };
    Val::Bool(!builtin_group(schemas(), split_api_version(av).0))
}

/// `crd-problems(object, crds)`: for a custom resource, whether one of the
/// CustomResourceDefinitions (a list of objects, usually `{ it for
/// customresourcedefinitions }`) defines its group, kind and version, and
/// its problems against that version's `openAPIV3Schema`; as texts.
pub fn crd_problems<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    match crate::schema::crd::check(root, &crd_nodes(&a[1])) {
        Ok(ps) => texts(&ps),
        Err(message) => Val::List(Rc::new(vec![Val::str(message)])),
    }
}

pub fn crd_problems_at<'w>(a: &[Val<'w>]) -> Option<NodeRef<'w>> {
    let root = object_root(&a[0])?;
    match crate::schema::crd::check(root, &crd_nodes(&a[1])) {
        Ok(ps) => ps.first().map(|p| p.node),
        Err(_) => None,
    }
}

/// The CRD objects of a list value.
fn crd_nodes<'w>(v: &Val<'w>) -> Vec<NodeRef<'w>> {
    match v {
        Val::List(l) => l
            .iter()
            .filter_map(|v| match v {
                Val::Obj(o) => Some(o.value()),
                Val::J(j) => Some(*j),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}
