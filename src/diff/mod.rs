//! Field-level comparison of an object with its counterpart in another env:
//! what `matches` (the strict-parity sentence) and `parity diff` report.
//!
//! The comparison is semantic, not textual:
//! - quantities compare by value under the resource fields (`1000m` = `1`,
//!   `1Gi` = `1024Mi`), numbers by value everywhere (`1` = `1.0`);
//! - lists that Kubernetes keys by a field compare by that key, not by
//!   position: containers, init and ephemeral containers, env vars, volumes,
//!   image pull secrets and host aliases by name (ip), volume mounts by
//!   mount path, ports by port and protocol (`TCP` when absent);
//! - lists that are sets compare unordered (finalizers, tolerations, RBAC
//!   verbs/resources/apiGroups/resourceNames/nonResourceURLs, subjects,
//!   access modes, capabilities, policy types);
//! - `null`, an empty map, an empty list and an absent field are equal;
//! - normalised away: `status`, `metadata.managedFields`, `uid`,
//!   `resourceVersion`, `generation`, `creationTimestamp`, `selfLink`, the
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation, and what
//!   the env config's namespace mapping accounts for (`metadata.namespace`,
//!   and a Namespace's own name: counterparts are paired after the mapping).
//!
//! [`compare`] returns every difference; tolerances (see [`pattern`]) are
//! applied by the caller, which knows the rules.

pub mod pattern;

use serde_json::Value as Json;

use crate::world::Object;
use crate::world::quantity::Quantity;
use crate::world::tree::{Node, NodeRef};

/// One step of a difference's path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
    /// An element of a keyed list: its key as text (`name=web`,
    /// `containerPort=80,protocol=TCP`) and its index on each side.
    Item {
        key: String,
        left: Option<usize>,
        right: Option<usize>,
    },
}

/// One field that differs: its path, and its value on each side (`None`:
/// absent there).
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub path: Vec<Seg>,
    pub left: Option<Json>,
    pub right: Option<Json>,
}

/// What a redacted value reads as.
pub const REDACTED: &str = "<redacted>";

impl Diff {
    /// The path as rule paths are written: `spec.template.spec.containers[name=web].image`,
    /// `metadata.labels."app.kubernetes.io/name"`.
    pub fn path_text(&self) -> String {
        path_text(&self.path)
    }

    /// The path on one side as keys and indexes into the object, as far as
    /// that side has it (for the line of the field).
    pub fn concrete(&self, left: bool) -> Vec<crate::load::PathSeg> {
        use crate::load::PathSeg as L;
        let mut out = Vec::with_capacity(self.path.len());
        for s in &self.path {
            match s {
                Seg::Key(k) => out.push(L::Key(k.clone())),
                Seg::Index(i) => out.push(L::Index(*i)),
                Seg::Item { left: l, right: r, .. } => match if left { l } else { r } {
                    Some(i) => out.push(L::Index(*i)),
                    None => break,
                },
            }
        }
        out
    }

    /// Hides the values of a Secret's `data` and `stringData`: parity
    /// never prints a secret. Whether they are equal is still told.
    pub fn redact(&mut self, kind: &str) {
        let secret_value = kind.eq_ignore_ascii_case("secret")
            && matches!(self.path.first(), Some(Seg::Key(k)) if k == "data" || k == "stringData");
        if secret_value {
            for v in [&mut self.left, &mut self.right].into_iter().flatten() {
                *v = redacted(v);
            }
        }
    }
}

/// A value with every string and number replaced by [`REDACTED`] (keys kept).
fn redacted(v: &Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect()),
        Json::Array(a) => Json::Array(a.iter().map(redacted).collect()),
        Json::Null => Json::Null,
        _ => Json::String(REDACTED.into()),
    }
}

/// A path as text (see [`Diff::path_text`]).
pub fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    out.push_str(k);
                } else {
                    out.push_str(&Json::String(k.clone()).to_string());
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Item { key, .. } => {
                out.push('[');
                out.push_str(key);
                out.push(']');
            }
        }
    }
    out
}

/// How a list Kubernetes merges by key is keyed: its field name and the
/// key fields (with a default for an absent one).
struct ListKey {
    list: &'static str,
    fields: &'static [(&'static str, Option<&'static str>)],
}

const NAME: &[(&str, Option<&str>)] = &[("name", None)];
const KEYED: &[ListKey] = &[
    ListKey { list: "containers", fields: NAME },
    ListKey { list: "initContainers", fields: NAME },
    ListKey { list: "ephemeralContainers", fields: NAME },
    ListKey { list: "env", fields: NAME },
    ListKey { list: "volumes", fields: NAME },
    ListKey { list: "imagePullSecrets", fields: NAME },
    ListKey { list: "volumeMounts", fields: &[("mountPath", None)] },
    ListKey { list: "volumeDevices", fields: &[("devicePath", None)] },
    ListKey { list: "hostAliases", fields: &[("ip", None)] },
    ListKey { list: "ports", fields: &[("containerPort", None), ("protocol", Some("TCP"))] },
    ListKey { list: "ports", fields: &[("port", None), ("protocol", Some("TCP"))] },
];

/// Lists whose order means nothing to Kubernetes.
const SETS: &[&str] = &[
    "finalizers",
    "tolerations",
    "verbs",
    "apiGroups",
    "resources",
    "resourceNames",
    "nonResourceURLs",
    "subjects",
    "accessModes",
    "add",
    "drop",
    "policyTypes",
];

/// Keys under which strings are read as quantities.
const QUANTITY_KEYS: &[&str] =
    &["resources", "limits", "requests", "hard", "capacity", "allocatable", "overhead", "sizeLimit", "storage"];

/// Defaults the API server fills in: (list, field of its elements, value).
/// An absent field equals its default.
const DEFAULTS: &[(&str, &str, &str)] = &[("ports", "protocol", "TCP")];

/// Metadata fields the API server writes, normalised away.
const SERVER_METADATA: &[&str] =
    &["managedFields", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "namespace"];

/// The annotation `kubectl apply` keeps its last input in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A step of the path being walked, borrowed from the trees.
#[derive(Clone)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
    Item { key: String, left: Option<usize>, right: Option<usize> },
}

/// The outcome of comparing two objects.
#[derive(Debug, Default)]
pub struct Comparison {
    pub diffs: Vec<Diff>,
    /// Nodes visited (the cost, for the evaluation budget).
    pub visited: u64,
}

/// Every difference between `left` and `right` (counterparts in two envs),
/// in path order.
pub fn compare(left: &Object, right: &Object) -> Comparison {
    let mut w = Walker { steps: Vec::with_capacity(16), out: Comparison::default(), namespace: false };
    w.namespace = left.kind.eq_ignore_ascii_case("namespace");
    w.root(left.value(), right.value());
    for d in &mut w.out.diffs {
        d.redact(&left.kind);
    }
    w.out
}

struct Walker<'a> {
    steps: Vec<Step<'a>>,
    out: Comparison,
    /// The objects are Namespaces (whose names the mapping pairs).
    namespace: bool,
}

/// `null`, `{}` and `[]`: equal to an absent field.
fn empty(n: Option<NodeRef>) -> bool {
    n.is_none_or(|n| matches!(n.node(), Node::Null) || ((n.is_map() || n.is_seq()) && n.is_empty()))
}

impl<'a> Walker<'a> {
    fn root(&mut self, l: NodeRef<'a>, r: NodeRef<'a>) {
        self.map(Some(l), Some(r), 0, false);
    }

    /// The default Kubernetes gives `key` in the map at the current path,
    /// when it gives one: the `protocol` of a port.
    fn default_of(&self, key: &str) -> Option<&'static str> {
        let n = self.steps.len();
        let list = match self.steps.get(n.wrapping_sub(2)..) {
            Some([Step::Key(list), Step::Item { .. } | Step::Index(_)]) => *list,
            _ => return None,
        };
        DEFAULTS.iter().find(|(l, k, _)| *l == list && *k == key).map(|(_, _, v)| *v)
    }

    fn differ(&mut self, l: Option<NodeRef<'a>>, r: Option<NodeRef<'a>>) {
        let path = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Key(k) => Seg::Key(k.to_string()),
                Step::Index(i) => Seg::Index(*i),
                Step::Item { key, left, right } => Seg::Item { key: key.clone(), left: *left, right: *right },
            })
            .collect();
        let json = |n: Option<NodeRef>| n.filter(|n| !empty(Some(*n))).map(|n| n.to_json());
        self.out.diffs.push(Diff { path, left: json(l), right: json(r) });
    }

    /// Whether the field at the current path (depth `depth` from the root,
    /// key `key`) is normalised away.
    fn skipped(&self, depth: usize, key: &str) -> bool {
        match depth {
            0 => key == "status",
            1 if matches!(self.steps.first(), Some(Step::Key("metadata"))) => {
                SERVER_METADATA.contains(&key) || (self.namespace && key == "name")
            }
            2 if matches!(self.steps.as_slice(), [Step::Key("metadata"), Step::Key("annotations")]) => {
                key == LAST_APPLIED
            }
            _ => false,
        }
    }

    fn value(&mut self, l: Option<NodeRef<'a>>, r: Option<NodeRef<'a>>, depth: usize, quantities: bool) {
        self.out.visited += 1;
        if empty(l) && empty(r) {
            return;
        }
        let (Some(ln), Some(rn)) = (l, r) else {
            // Under the metadata, a map on one side only is compared key by
            // key, so that what is normalised away stays away.
            if depth <= 2 && l.or(r).is_some_and(|n| n.is_map()) {
                self.map(l, r, depth, quantities);
            } else {
                self.differ(l, r);
            }
            return;
        };
        match (ln.node(), rn.node()) {
            (Node::Map { .. }, Node::Map { .. }) => self.map(Some(ln), Some(rn), depth, quantities),
            (Node::Seq { .. }, Node::Seq { .. }) => self.seq(ln, rn, depth, quantities),
            (Node::Map { .. } | Node::Seq { .. }, _) | (_, Node::Map { .. } | Node::Seq { .. }) => self.differ(l, r),
            _ => {
                if !scalar_eq(ln, rn, quantities) {
                    self.differ(l, r)
                }
            }
        }
    }

    fn map(&mut self, l: Option<NodeRef<'a>>, r: Option<NodeRef<'a>>, depth: usize, quantities: bool) {
        // Entries are sorted by key on both sides: a merge.
        let mut le = l.into_iter().flat_map(|n| n.entries()).peekable();
        let mut re = r.into_iter().flat_map(|n| n.entries()).peekable();
        loop {
            let (key, lv, rv) = match (le.peek(), re.peek()) {
                (None, None) => break,
                (Some(&(k, v)), None) => {
                    le.next();
                    (k, Some(v), None)
                }
                (None, Some(&(k, v))) => {
                    re.next();
                    (k, None, Some(v))
                }
                (Some(&(lk, lv)), Some(&(rk, rv))) => match lk.cmp(rk) {
                    std::cmp::Ordering::Equal => {
                        le.next();
                        re.next();
                        (lk, Some(lv), Some(rv))
                    }
                    std::cmp::Ordering::Less => {
                        le.next();
                        (lk, Some(lv), None)
                    }
                    std::cmp::Ordering::Greater => {
                        re.next();
                        (rk, None, Some(rv))
                    }
                },
            };
            if self.skipped(depth, key) {
                continue;
            }
            if let Some(default) = self.default_of(key) {
                let is_default = |v: Option<NodeRef>| v.is_none_or(|v| v.as_str() == Some(default));
                if is_default(lv) && is_default(rv) {
                    continue;
                }
            }
            self.steps.push(Step::Key(key));
            let q = quantities || QUANTITY_KEYS.contains(&key);
            self.value(lv, rv, depth + 1, q);
            self.steps.pop();
        }
    }

    fn seq(&mut self, l: NodeRef<'a>, r: NodeRef<'a>, depth: usize, quantities: bool) {
        let name = match self.steps.last() {
            Some(Step::Key(k)) => *k,
            _ => "",
        };
        if SETS.contains(&name) {
            if !same_set(l, r) {
                self.differ(Some(l), Some(r));
            }
            return;
        }
        if let Some((lk, rk)) = KEYED.iter().filter(|k| k.list == name).find_map(|k| keys_of(k, l, r)) {
            self.keyed(l, r, lk, rk, depth, quantities);
            return;
        }
        for i in 0..l.len().max(r.len()) {
            self.steps.push(Step::Index(i));
            self.value(l.at(i), r.at(i), depth + 1, quantities);
            self.steps.pop();
        }
    }

    /// A keyed list: elements paired by key, in the left side's order, then
    /// the right side's elements the left lacks.
    fn keyed(&mut self, l: NodeRef<'a>, r: NodeRef<'a>, lk: Vec<String>, rk: Vec<String>, depth: usize, q: bool) {
        let same_order = lk == rk;
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::with_capacity(lk.len().max(rk.len()));
        for (i, k) in lk.iter().enumerate() {
            let j = if same_order { Some(i) } else { rk.iter().position(|x| x == k) };
            pairs.push((Some(i), j));
        }
        for (j, k) in rk.iter().enumerate() {
            if !lk.contains(k) {
                pairs.push((None, Some(j)));
            }
        }
        let (mut lk, mut rk) = (lk, rk);
        for (i, j) in pairs {
            let key = match (i, j) {
                (Some(i), _) => std::mem::take(&mut lk[i]),
                (None, Some(j)) => std::mem::take(&mut rk[j]),
                (None, None) => continue,
            };
            self.steps.push(Step::Item { key, left: i, right: j });
            self.value(i.and_then(|i| l.at(i)), j.and_then(|j| r.at(j)), depth + 1, q);
            self.steps.pop();
        }
    }
}

/// The key of each element of both lists, when every element has the key
/// fields (defaults allowed) and no key repeats within a list.
fn keys_of(k: &ListKey, l: NodeRef, r: NodeRef) -> Option<(Vec<String>, Vec<String>)> {
    let one = |list: NodeRef| -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::with_capacity(list.len());
        for e in list.iter() {
            let mut key = String::new();
            for (i, (field, default)) in k.fields.iter().enumerate() {
                let v = match e.get(field) {
                    Some(v) => scalar_text(v)?,
                    None => default.map(str::to_string)?,
                };
                if i > 0 {
                    key.push(',');
                }
                key.push_str(field);
                key.push('=');
                key.push_str(&v);
            }
            if out.contains(&key) {
                return None;
            }
            out.push(key);
        }
        Some(out)
    };
    Some((one(l)?, one(r)?))
}

fn scalar_text(n: NodeRef) -> Option<String> {
    match n.node() {
        Node::Str(_) => n.as_str().map(str::to_string),
        Node::Int(i) => Some(i.to_string()),
        Node::UInt(u) => Some(u.to_string()),
        Node::Float(f) => Some(f.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Two lists hold the same elements, in any order (as multisets).
fn same_set(l: NodeRef, r: NodeRef) -> bool {
    if l.len() != r.len() {
        return false;
    }
    let text = |n: NodeRef| -> Vec<String> {
        let mut v: Vec<String> = n.iter().map(|e| serde_json::to_string(&e).unwrap_or_default()).collect();
        v.sort_unstable();
        v
    };
    text(l) == text(r)
}

fn number(n: NodeRef) -> Option<f64> {
    n.as_f64()
}

/// Scalars equal by value: numbers as numbers; under resource fields, a
/// quantity string and a number or another quantity string as quantities.
fn scalar_eq(l: NodeRef, r: NodeRef, quantities: bool) -> bool {
    match (l.node(), r.node()) {
        (Node::Str(_), Node::Str(_)) => {
            let (a, b) = (l.as_str().unwrap_or(""), r.as_str().unwrap_or(""));
            a == b || (quantities && Quantity::parse(a).is_some_and(|qa| Quantity::parse(b) == Some(qa)))
        }
        (Node::Str(_), _) | (_, Node::Str(_)) if quantities => {
            let q = |n: NodeRef| match n.as_str() {
                Some(s) => Quantity::parse(s),
                None => number(n).and_then(Quantity::from_f64),
            };
            q(l).is_some_and(|a| q(r) == Some(a))
        }
        (Node::Null, Node::Null) => true,
        (Node::Bool(a), Node::Bool(b)) => a == b,
        (Node::Int(a), Node::Int(b)) => a == b,
        (Node::UInt(a), Node::UInt(b)) => a == b,
        _ => match (number(l), number(r)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// Longest value shown in a one-line message, in characters.
const SHORT: usize = 80;

/// A value for a one-line message: compact JSON, `absent` for none, cut
/// at [`SHORT`] characters.
pub fn short(v: Option<&Json>) -> String {
    cut_value(v, SHORT)
}

/// A value as compact JSON, `absent` for none, cut at `max` characters.
pub fn cut_value(v: Option<&Json>, max: usize) -> String {
    let Some(v) = v else { return "absent".into() };
    let text = v.to_string();
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests;
