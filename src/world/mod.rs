//! The data model every rule is judged against: a [`World`] of [`Env`]s, each
//! a set of Kubernetes [`Object`]s with indexes by kind and by identity.
//!
//! The loader (`crate::load`) builds a `World`; the engine only reads it, so
//! it is shared by reference across rayon threads.

pub mod index;
pub mod kinds;
pub mod quantity;
pub mod tree;
pub mod version;

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use rayon::prelude::*;

use serde_json::Value as Json;

pub use kinds::is_cluster_scoped;
pub use quantity::Quantity;
pub use version::Version;

use tree::{NodeRef, Tree};

/// Index of an env inside [`World::envs`].
pub type EnvId = u32;
/// Index of a source file inside [`World::files`].
pub type FileId = u32;

/// One Kubernetes object, as the API server would store it.
#[derive(Debug, Clone)]
pub struct Object {
    /// The tree of the file the object came from (shared by its objects).
    pub tree: Arc<Tree>,
    /// The object's root node in `tree`.
    pub root: u32,
    /// The env the object belongs to.
    pub env: EnvId,
    /// The file the object came from.
    pub file: FileId,
    /// 1-based line where the object starts in its file.
    pub line: u32,
    /// Byte offset where the object's own node starts: the root of its
    /// YAML/JSON document, or its element of a `List`'s `items` / a
    /// snapshot's `objects`. `crate::load::locate::field_line` takes it with
    /// a path relative to the object to find a field's line on demand.
    pub doc_offset: u32,
    /// Cached identity: kind, namespace (after the env's namespace mapping),
    /// name.
    pub kind: Arc<str>,
    pub namespace: Option<Arc<str>>,
    pub name: Arc<str>,
    /// The namespace is the env's default, not written in the manifest.
    pub namespace_implied: bool,
    /// The lowest node index of the object's subtree: its nodes are
    /// `first..=root` (or most of them: merge keys share nodes), which
    /// [`Object::warm`] reads ahead of the rules.
    first: u32,
    /// The pod spec's node, for workload kinds that have one (found once:
    /// most container rules start there).
    pod_spec: Option<u32>,
    /// The pod spec's container lists (init, regular, ephemeral), as node
    /// indexes; `NONE` where absent. Every container rule reads them.
    container_lists: [u32; 3],
}

const NONE: u32 = u32::MAX;

/// Kinds and namespaces already seen, to share among objects: a file has a
/// handful of each, and a string per object for them is memory and time.
/// It keeps the 32 last new ones, so a snapshot with thousands of
/// namespaces costs a short scan per object, not a long one.
#[derive(Default)]
pub struct Names {
    recent: Vec<Arc<str>>,
    next: usize,
}

impl Names {
    const KEEP: usize = 32;

    /// The shared string equal to `s` (a new one when it is not recent).
    pub fn share(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.recent.iter().find(|k| ***k == *s) {
            return found.clone();
        }
        let new: Arc<str> = s.into();
        if self.recent.len() < Self::KEEP {
            self.recent.push(new.clone());
        } else {
            self.recent[self.next % Self::KEEP] = new.clone();
            self.next += 1;
        }
        new
    }
}

/// The keys of a pod spec's container lists, in the order they are read.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

impl Object {
    /// Builds an object from a node of a file's tree, reading its identity
    /// from `metadata`.
    pub fn new(tree: Arc<Tree>, root: u32, env: EnvId, file: FileId, line: u32, doc_offset: u32) -> Object {
        Object::with_names(tree, root, env, file, line, doc_offset, &mut Names::default())
    }

    /// [`Object::new`] sharing kind and namespace strings with the objects
    /// built before it with the same `names` (the objects of one file).
    pub fn with_names(
        tree: Arc<Tree>,
        root: u32,
        env: EnvId,
        file: FileId,
        line: u32,
        doc_offset: u32,
        names: &mut Names,
    ) -> Object {
        let value = tree.get(root);
        let kind = names.share(value.str_field("kind").unwrap_or(""));
        let meta = value.get("metadata");
        let name: Arc<str> = meta.and_then(|m| m.str_field("name")).unwrap_or("").into();
        let namespace = meta.and_then(|m| m.str_field("namespace")).filter(|s| !s.is_empty()).map(|s| names.share(s));
        let pod_spec =
            pod_spec_path(&kind).and_then(|path| path.iter().try_fold(value, |v, seg| v.get(seg))).map(NodeRef::index);
        let mut container_lists = [NONE; 3];
        if let Some(spec) = pod_spec.map(|i| tree.get(i)) {
            for (slot, key) in container_lists.iter_mut().zip(CONTAINER_LISTS) {
                *slot = spec.get(key).filter(|v| v.is_seq()).map_or(NONE, NodeRef::index);
            }
        }
        let first = tree.lowest(root);
        Object {
            tree,
            root,
            env,
            file,
            line,
            doc_offset,
            kind,
            namespace,
            name,
            namespace_implied: false,
            first,
            pod_spec,
            container_lists,
        }
    }

    /// Brings the object's nodes into the cache before rules walk them
    /// (`Tree::warm`): up to 2048 nodes, the root's end first.
    pub fn warm(&self) {
        self.tree.warm(self.first.max(self.root.saturating_sub(2047)), self.root + 1);
    }

    /// An object holding a copy of a JSON value (tests, fixtures).
    pub fn from_json(value: &Json, env: EnvId, file: FileId, line: u32, doc_offset: u32) -> Object {
        let (tree, root) = Tree::from_json(value);
        Object::new(Arc::new(tree), root, env, file, line, doc_offset)
    }

    /// The object's root node.
    pub fn value(&self) -> NodeRef<'_> {
        self.tree.get(self.root)
    }

    pub fn api_version(&self) -> &str {
        self.value().str_field("apiVersion").unwrap_or("")
    }

    /// The pod spec of a workload object, if it is one and has one.
    pub fn pod_spec(&self) -> Option<NodeRef<'_>> {
        self.pod_spec.map(|i| self.tree.get(i))
    }

    /// Every container of a workload's pod spec, as [`containers`] gives
    /// them.
    pub fn containers(&self) -> impl Iterator<Item = NodeRef<'_>> {
        self.container_lists.iter().filter(|&&i| i != NONE).flat_map(|&i| self.tree.get(i).iter())
    }
}

/// The identity used to pair an object with its counterpart in another env:
/// lower-cased kind, canonical namespace, name.
/// The strings are shared with the objects where they can be (an index
/// entry then allocates nothing of its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub kind: Arc<str>,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
}

/// A kind lower-cased into `buf` (kinds are short), or into a new string.
fn lower_kind<'b>(kind: &str, buf: &'b mut [u8; 64]) -> std::borrow::Cow<'b, str> {
    match buf.get_mut(..kind.len()) {
        Some(b) if kind.is_ascii() => {
            b.copy_from_slice(kind.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).map_or_else(|_| kind.to_ascii_lowercase().into(), Into::into)
        }
        _ => kind.to_ascii_lowercase().into(),
    }
}

/// The maps of an env's indexes: foldhash instead of std's SipHash (several
/// times faster on the short strings of identities, which every load hashes
/// once per object and every counterpart lookup once more), still seeded at
/// random per process, so that names in the input cannot be chosen to
/// collide.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A named environment: its facts and its objects.
#[derive(Debug, Default)]
pub struct Env {
    pub name: String,
    pub tags: Vec<String>,
    /// Position in the promotion order (0 = first, e.g. dev).
    pub order: usize,
    /// Server version, when the env comes from a live cluster snapshot.
    pub version: Option<String>,
    /// The namespace that objects of namespaced kinds without
    /// `metadata.namespace` are applied to, as `kubectl apply -n` does:
    /// parity.toml's `namespace` for the env, `default` otherwise.
    pub default_namespace: Option<String>,
    /// Namespace mapping: the env's own namespace name → canonical name used
    /// to pair counterparts (e.g. `dev-payments` → `payments`).
    pub namespace_map: HashMap<String, String>,
    pub objects: Vec<Object>,
    /// lower-case kind → indexes into `objects`, in load order.
    by_kind: FastMap<String, Vec<u32>>,
    /// lower-case kind → canonical namespace → indexes into `objects`.
    by_kind_ns: FastMap<String, FastMap<String, Vec<u32>>>,
    /// identity → index into `objects`: only the indexes, hashed by their
    /// objects' identity parts and compared through the objects, 4 bytes an
    /// entry where a map from [`Identity`] held 52 (20 MB on 190k objects)
    /// and shared three strings' counts per object.
    by_identity: hashbrown::HashTable<u32>,
    /// The hasher of `by_identity`, seeded at random per process.
    identity_hasher: foldhash::fast::RandomState,
    /// Objects whose identity an earlier object of this env already has:
    /// (first, repeat), as indexes into `objects`, in load order.
    pub duplicates: Vec<(u32, u32)>,
}

impl Env {
    pub fn new(name: impl Into<String>) -> Env {
        Env { name: name.into(), ..Env::default() }
    }

    /// The namespace objects without one are applied to.
    pub fn default_namespace(&self) -> &str {
        self.default_namespace.as_deref().unwrap_or("default")
    }

    /// Gives every object of a namespaced kind that names no namespace the
    /// env's default namespace, so that pairing, indexes, rules and output
    /// all see where `kubectl apply` would put it. Built-in kinds are known;
    /// a custom kind counts as namespaced when the env holds its
    /// CustomResourceDefinition with `scope: Namespaced`, or, when the env
    /// holds none for it, when a CRD given with `--crd` (`given`, see
    /// [`World::set_given_crds`]) says so; otherwise it is left as written.
    /// Returns whether any object's namespace changed.
    fn apply_default_namespace(&mut self, given: &[Object]) -> bool {
        let own = crd_scopes(self.objects.iter());
        let given = crd_scopes(given.iter());
        let default: Arc<str> = Arc::from(self.default_namespace());
        let mut changed = false;
        for obj in &mut self.objects {
            // An implied namespace is always the env's default: the object
            // moved exactly when it gains or loses one.
            let was_implied = obj.namespace_implied;
            if obj.namespace_implied {
                obj.namespace = None;
                obj.namespace_implied = false;
            }
            if obj.namespace.is_none() && !obj.kind.is_empty() {
                let kind = obj.kind.to_ascii_lowercase();
                let known = kinds::KINDS.iter().find(|(k, _)| *k == kind);
                let namespaced = match known {
                    Some((_, cluster)) => !cluster,
                    None => match own.iter().find(|(k, _)| *k == kind) {
                        Some((_, scope)) => *scope,
                        None => given.iter().any(|(k, namespaced)| *k == kind && *namespaced),
                    },
                };
                if namespaced {
                    obj.namespace = Some(default.clone());
                    obj.namespace_implied = true;
                }
            }
            changed |= obj.namespace_implied != was_implied;
        }
        changed
    }

    /// The canonical form of one of this env's namespace names.
    pub fn canonical_namespace<'a>(&'a self, ns: &'a str) -> &'a str {
        self.namespace_map.get(ns).map(String::as_str).unwrap_or(ns)
    }

    /// The identity of an object of this env. A Namespace is identified by
    /// its canonical name, so `dev-payments` pairs with `prod-payments`.
    pub fn identity(&self, obj: &Object) -> Identity {
        let mut buf = [0u8; 64];
        let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
        Identity { kind: kind.into(), namespace: namespace.into(), name: name.into() }
    }

    /// The parts of an object's identity, borrowed where they can be.
    fn identity_parts<'a>(
        &'a self,
        obj: &'a Object,
        buf: &'a mut [u8; 64],
    ) -> (std::borrow::Cow<'a, str>, &'a str, &'a str) {
        let kind = lower_kind(&obj.kind, buf);
        let name = if kind == "namespace" { self.canonical_namespace(&obj.name) } else { &obj.name };
        let namespace = obj.namespace.as_deref().map(|n| self.canonical_namespace(n)).unwrap_or("");
        (kind, namespace, name)
    }

    /// The index, in `target`, of the counterpart of `obj` (an object of
    /// this env): the object with the same identity.
    pub fn counterpart_in(&self, obj: &Object, target: &Env) -> Option<u32> {
        let mut buf = [0u8; 64];
        let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
        target.find_identity((&kind, namespace, name))
    }

    /// The object of this env with the identity `want`.
    fn find_identity(&self, want: (&str, &str, &str)) -> Option<u32> {
        let hash = self.identity_hasher.hash_one(want);
        self.by_identity.find(hash, |&i| self.has_identity(i, want)).copied()
    }

    /// Whether object `i` has the identity `want`.
    fn has_identity(&self, i: u32, want: (&str, &str, &str)) -> bool {
        let Some(obj) = self.objects.get(i as usize) else { return false };
        let mut buf = [0u8; 64];
        let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
        (&*kind, namespace, name) == want
    }

    /// The hash of object `i`'s identity in `by_identity`.
    fn identity_hash(&self, i: u32) -> u64 {
        let Some(obj) = self.objects.get(i as usize) else { return 0 };
        let mut buf = [0u8; 64];
        let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
        self.identity_hasher.hash_one((&*kind, namespace, name))
    }

    /// Rebuilds the indexes; call after `objects` changes.
    pub fn reindex(&mut self) {
        // The kind indexes and the identity index are built side by side.
        let ((by_kind, by_kind_ns), (by_identity, duplicates)) =
            rayon::join(|| self.kind_indexes(), || self.identity_index());
        self.duplicates = duplicates;
        self.by_kind = by_kind;
        self.by_kind_ns = by_kind_ns;
        self.by_identity = by_identity;
    }

    /// Every object's identity; an identity that repeats keeps its first
    /// object, and the repeats are returned (nameless objects,
    /// `generateName`, excepted).
    fn identity_index(&self) -> (hashbrown::HashTable<u32>, Vec<(u32, u32)>) {
        use hashbrown::hash_table::Entry;
        let mut by_identity = hashbrown::HashTable::with_capacity(self.objects.len());
        let mut duplicates = Vec::new();
        for (i, obj) in self.objects.iter().enumerate() {
            let mut buf = [0u8; 64];
            let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
            let want = (&*kind, namespace, name);
            let hash = self.identity_hasher.hash_one(want);
            match by_identity.entry(hash, |&j| self.has_identity(j, want), |&j| self.identity_hash(j)) {
                Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
                Entry::Occupied(o) if !name.is_empty() => duplicates.push((*o.get(), i as u32)),
                Entry::Occupied(_) => {}
            }
        }
        (by_identity, duplicates)
    }

    /// The kind and kind/namespace indexes. They borrow strings only: no
    /// `Arc` count is touched while the identity index clones them beside.
    #[allow(clippy::type_complexity)]
    fn kind_indexes(&self) -> (FastMap<String, Vec<u32>>, FastMap<String, FastMap<String, Vec<u32>>>) {
        let mut by_kind: FastMap<String, Vec<u32>> = FastMap::default();
        let mut by_kind_ns: FastMap<String, FastMap<String, Vec<u32>>> = FastMap::default();
        let mut buf = [0u8; 64];
        for (i, obj) in self.objects.iter().enumerate() {
            let i = i as u32;
            let (kind, namespace, name) = self.identity_parts(obj, &mut buf);
            // Keys are cloned only the first time they are seen.
            match by_kind.get_mut(&*kind) {
                Some(list) => list.push(i),
                None => drop(by_kind.insert(kind.to_string(), vec![i])),
            }
            let ns_key = if kind == "namespace" { name } else { namespace };
            let in_kind = match by_kind_ns.get_mut(&*kind) {
                Some(m) => m,
                None => by_kind_ns.entry(kind.to_string()).or_default(),
            };
            match in_kind.get_mut(ns_key) {
                Some(list) => list.push(i),
                None => drop(in_kind.insert(ns_key.to_string(), vec![i])),
            }
        }
        (by_kind, by_kind_ns)
    }

    /// Objects of one kind (lower-case), in load order.
    pub fn of_kind(&self, kind: &str) -> &[u32] {
        self.by_kind.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Objects of one kind in one canonical namespace. For kind `namespace`
    /// this is the Namespace object itself.
    pub fn of_kind_in(&self, kind: &str, namespace: &str) -> &[u32] {
        self.by_kind_ns.get(kind).and_then(|m| m.get(namespace)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The object with this identity, if the env has one.
    pub fn lookup(&self, id: &Identity) -> Option<u32> {
        self.find_identity((&id.kind, &id.namespace, &id.name))
    }

    /// All kinds present, lower-case, sorted.
    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.by_kind.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}

/// Where the text of a file with objects can be had again.
#[derive(Debug, Clone, Default)]
pub enum SourceText {
    /// Nowhere: a file without objects, or one that could not be read.
    #[default]
    None,
    /// Read from memory (stdin, a named stream, rendered output): kept.
    Memory(Arc<String>),
    /// A file on disk, read again when a finding needs its lines; used only
    /// if it still has the length and content hash it had when loaded.
    Disk { path: std::path::PathBuf, len: u64, hash: u64 },
}

/// All envs of one run, in promotion order, and the files they came from.
#[derive(Debug, Default)]
pub struct World {
    pub envs: Vec<Env>,
    /// Display paths of source files, indexed by [`FileId`].
    pub files: Vec<String>,
    /// Where each source file's text can be had again, for the lines and
    /// code frames of findings (made after the rules ran, file by file):
    /// texts read from memory are kept, files on disk are not (a run over
    /// many files would hold all of them). Indexed by [`FileId`]; may be
    /// shorter than `files`.
    pub sources: Vec<SourceText>,
    /// Join indexes, built by the evaluator the first time a rule needs one
    /// (`index::JoinIndexes`); shared by every thread of a run.
    pub joins: index::JoinIndexes,
    /// CustomResourceDefinitions given with `--crd` (parity.toml `crds`),
    /// for every env: the rule language's `env.crds`. Not objects of any
    /// env (no rule ranges over them).
    pub given_crds: Vec<Object>,
}

impl World {
    pub fn env_by_name(&self, name: &str) -> Option<EnvId> {
        self.envs.iter().position(|e| e.name == name).map(|i| i as EnvId)
    }

    /// Sets the CustomResourceDefinitions given with `--crd` (parity.toml
    /// `crds`). Their `spec.scope` decides whether a custom kind is
    /// namespaced in an env that has no CRD of its own for it: objects of a
    /// given `Namespaced` kind without `metadata.namespace` are in the env's
    /// default namespace, as those of a kind the env's own CRD declares
    /// namespaced are. The envs whose objects moved are indexed again.
    pub fn set_given_crds(&mut self, crds: Vec<Object>) {
        let mut moved = false;
        for env in &mut self.envs {
            if env.apply_default_namespace(&crds) {
                env.reindex();
                moved = true;
            }
        }
        if moved {
            self.joins = index::JoinIndexes::default();
        }
        self.given_crds = crds;
    }

    /// The reference env: the last in promotion order.
    pub fn reference(&self) -> Option<EnvId> {
        self.envs.len().checked_sub(1).map(|i| i as EnvId)
    }

    pub fn object_count(&self) -> usize {
        self.envs.iter().map(|e| e.objects.len()).sum()
    }

    /// Sorts envs by `order` (stable, then by name), renumbers their ids and
    /// rebuilds every index. Call once after loading.
    pub fn finish(&mut self) {
        self.envs.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
        self.envs.par_iter_mut().enumerate().for_each(|(i, env)| {
            env.order = i;
            for obj in &mut env.objects {
                obj.env = i as EnvId;
            }
            env.apply_default_namespace(&[]);
            env.reindex();
        });
        self.joins = index::JoinIndexes::default();
    }
}

/// The (lower-case) kinds the CustomResourceDefinitions among `objects`
/// define, each with whether it is namespaced (`spec.scope: Namespaced`);
/// the first CRD of a kind counts.
fn crd_scopes<'a>(objects: impl Iterator<Item = &'a Object>) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for o in objects.filter(|o| o.kind.eq_ignore_ascii_case("customresourcedefinition")) {
        let spec = o.value().get("spec");
        let Some(kind) = spec.and_then(|s| s.get("names")).and_then(|n| n.str_field("kind")) else { continue };
        let kind = kind.to_ascii_lowercase();
        if !out.iter().any(|(k, _)| *k == kind) {
            let namespaced = spec.and_then(|s| s.str_field("scope")) == Some("Namespaced");
            out.push((kind, namespaced));
        }
    }
    out
}

/// The kinds that carry a pod spec, lower-case, and where it lives.
pub const WORKLOAD_KINDS: &[(&str, &[&str])] = &[
    ("pod", &["spec"]),
    ("deployment", &["spec", "template", "spec"]),
    ("statefulset", &["spec", "template", "spec"]),
    ("daemonset", &["spec", "template", "spec"]),
    ("replicaset", &["spec", "template", "spec"]),
    ("replicationcontroller", &["spec", "template", "spec"]),
    ("job", &["spec", "template", "spec"]),
    ("cronjob", &["spec", "jobTemplate", "spec", "template", "spec"]),
];

/// Where a workload kind (any case) keeps its pod spec; `None` for other
/// kinds.
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    WORKLOAD_KINDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(kind)).map(|(_, path)| *path)
}

/// Every container of a pod spec: init containers, containers, ephemeral
/// containers, in that order.
pub fn containers(pod_spec: NodeRef<'_>) -> impl Iterator<Item = NodeRef<'_>> {
    CONTAINER_LISTS.into_iter().filter_map(move |k| pod_spec.get(k).filter(|v| v.is_seq())).flat_map(NodeRef::iter)
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
