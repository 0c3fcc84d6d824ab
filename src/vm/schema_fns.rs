//! The rule-language functions over the schemas (listed in
//! `vm::functions::FUNCTIONS`): what `schema-valid`, `api-served`,
//! `api-version-parity` and `crd-exists` are written with. Like every
//! function they are pure: the Kubernetes version is an argument
//! (`env.version`; absent means the newest bundled version).

use std::rc::Rc;

use super::value::{Val, as_version};
use crate::schema::validate::{Problem, validate};
use crate::schema::{Kind, Schemas, schemas, split_api_version};
use crate::world::tree::NodeRef;

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
    if !builtin_group(s, group) {
        return Verdict::Custom;
    }
    if let Some(k) = s.kind(group, ver, kind)
        && k.served.contains(&(version as u8))
    {
        return Verdict::Served(k);
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

/// The problems of a served built-in object in one version.
fn problems<'w>(a: &[Val<'w>]) -> Vec<Problem<'w>> {
    let Some(root) = object_root(&a[0]) else { return Vec::new() };
    let s = schemas();
    let version = version_index(s, a.get(1).unwrap_or(&Val::Absent));
    match verdict(s, root, version) {
        Verdict::Served(k) => match s.root(k, version) {
            Some(ty) => validate(s, version, ty, root),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn texts<'w>(ps: &[Problem]) -> Val<'w> {
    Val::List(Rc::new(ps.iter().map(|p| Val::str(p.text())).collect()))
}

/// `schema-problems(object, version)`: the object's schema problems in that
/// version, as `path: problem` texts; empty for a valid object, a custom
/// resource, or an apiVersion the version does not serve.
pub fn schema_problems<'w>(a: &[Val<'w>]) -> Val<'w> {
    if object_root(&a[0]).is_none() {
        return Val::Absent;
    }
    texts(&problems(a))
}

pub fn schema_problems_at<'w>(a: &[Val<'w>]) -> Option<NodeRef<'w>> {
    problems(a).first().map(|p| p.node)
}

/// `api-served(object, version)`: false when the object's apiVersion and
/// kind belong to Kubernetes and that version does not serve them.
pub fn api_served<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let s = schemas();
    let version = version_index(s, a.get(1).unwrap_or(&Val::Absent));
    Val::Bool(!matches!(verdict(s, root, version), Verdict::NotServed(_)))
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

/// Runs of the engine so far: the key of [`LAST_ACCEPTS`] includes it, so
/// an entry never outlives the run (and the trees) it was made in.
static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Called when an engine run starts.
pub fn new_run() {
    RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// (engine run, tree address, node, schema version).
type AcceptsKey = (u64, usize, u32, usize);

thread_local! {
    /// The last `schema-accepts` answer on this thread: (run, tree address,
    /// node, schema version) → accepted. `api-version-parity` asks it twice
    /// per object, for its env's version and the next env's, which are
    /// mostly the same schema version: the second answer is then not
    /// validated again.
    static LAST_ACCEPTS: std::cell::Cell<Option<(AcceptsKey, bool)>> = const { std::cell::Cell::new(None) };
}

/// `schema-accepts(object, version)`: served there and free of schema
/// problems (custom resources: true).
pub fn schema_accepts<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(root) = object_root(&a[0]) else { return Val::Absent };
    let s = schemas();
    let version = version_index(s, a.get(1).unwrap_or(&Val::Absent));
    let key = (
        RUN.load(std::sync::atomic::Ordering::Relaxed),
        root.tree() as *const crate::world::tree::Tree as usize,
        root.index(),
        version,
    );
    if let Some((k, ok)) = LAST_ACCEPTS.with(|c| c.get())
        && k == key
    {
        return Val::Bool(ok);
    }
    let ok = match verdict(s, root, version) {
        Verdict::Custom => true,
        Verdict::NotServed(_) => false,
        Verdict::Served(k) => s.root(k, version).is_none_or(|ty| validate(s, version, ty, root).is_empty()),
    };
    LAST_ACCEPTS.with(|c| c.set(Some((key, ok))));
    Val::Bool(ok)
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
