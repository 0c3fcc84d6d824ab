//! Indexed joins (issue 18): an object domain the compiler marked with a
//! [`Join`] (`configmaps where metadata.namespace = c.metadata.namespace`)
//! yields only the objects whose path holds the key's text, looked up in a
//! per-env hash index (`crate::world::index`) instead of scanned.
//!
//! The result is the scan's: the quantifier's filters (the equality among
//! them) still run on every object yielded, the objects come in scan order
//! (env by env, kind by kind, each kind's objects in load order), and the
//! index is used only for a key `=` compares as plain text. Such a key
//! equals a value exactly when the value is the same string: two strings
//! are typed (versions, quantities, numbers) only when both read as such,
//! and a number, boolean, null, list or map never equals a string that is
//! not a quantity. Any other key (absent, a number, `"1"`, `"v1.2"`,
//! `"500m"`, a list) scans.

use super::*;
use crate::bytecode::{DomainId, Join, JoinKey, PathId};
use crate::world::index::JoinIndex;
use crate::world::{Quantity, Version};

/// `PARITY_NO_JOIN_INDEX` set (to anything): every join scans. For
/// comparing the two (tests, benchmarks); not a user option.
fn disabled() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| std::env::var_os("PARITY_NO_JOIN_INDEX").is_some())
}

/// Whether `=` compares a string with `s` as text only: `s` reads as
/// neither a version (two or more parts) nor a quantity.
fn plain_text(s: &str) -> bool {
    Version::parse(s).is_none_or(|v| v.parts_written() < 2) && Quantity::parse(s).is_none()
}

/// (domain, env, kind's position in the domain): the index this VM already
/// fetched from the world.
pub(super) type JoinCache = HashMap<(DomainId, EnvId, usize), Arc<JoinIndex>, Hasher>;

impl<'w> Vm<'w> {
    /// A path applied to a value as `Op::Path` applies it (an object's
    /// implied namespace included), without tracing.
    pub(super) fn path_value(&self, base: Val<'w>, segs: &[PathSeg], dyns: &[Val<'w>]) -> Val<'w> {
        match &base {
            // An object's namespace is where it is applied: the env's
            // default namespace when the manifest names none.
            Val::Obj(o) if o.namespace_implied && namespace_path(segs) => {
                o.namespace.as_deref().map(Val::S).unwrap_or(Val::Absent)
            }
            _ => self.apply_path(base, segs, dyns),
        }
    }

    /// [`Vm::path_value`] of a path without computed steps (`p`, whose
    /// steps are `segs`) from an object or a node, remembered in
    /// `path_cache`: the same base and path give the same value for the
    /// whole run.
    pub(super) fn cached_path(&mut self, p: PathId, base: Val<'w>, segs: &[PathSeg]) -> Val<'w> {
        let key = match &base {
            Val::Obj(o) => (std::ptr::from_ref::<crate::world::Object>(*o) as usize, u32::MAX),
            Val::J(j) => (std::ptr::from_ref::<crate::world::tree::Tree>(j.tree()) as usize, j.index()),
            _ => return self.path_value(base, segs, &[]),
        };
        let path = p.index() as u32;
        let mixed = (key.0 as u64) ^ (u64::from(key.1) << 32) ^ u64::from(path).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % PATH_CACHE;
        if let Some(Some(hit)) = self.path_cache.get(slot)
            && hit.base == key
            && hit.path == path
        {
            return hit.value.clone();
        }
        let value = match self.plain_paths.get(p.index()) {
            Some(true) => walk(base, segs),
            _ => self.path_value(base, segs, &[]),
        };
        if let Some(entry) = self.path_cache.get_mut(slot) {
            *entry = Some(PathHit { base: key, path, value: value.clone() });
        }
        value
    }

    fn join_key(&self, j: &Join) -> Val<'w> {
        match j.key {
            JoinKey::Const(c) => self.constant(c),
            JoinKey::Slot(s, path) => {
                let base = self.slots.get(s as usize).cloned().unwrap_or(Val::Absent);
                match path {
                    Some(p) => self.path_value(base, &self.prog.paths[p.index()].segs, &[]),
                    None => base,
                }
            }
        }
    }

    /// The objects of domain `d` (of `kinds`, in `envs`) through its join
    /// index, or `None` when the domain has no join or its key is not
    /// plain text (the caller scans).
    pub(super) fn joined(&mut self, d: DomainId, kinds: &[String], envs: &[EnvId]) -> Option<Vec<ObjSeg<'w>>> {
        let prog = self.prog;
        let j = prog.joins.get(&d)?;
        if disabled() {
            return None;
        }
        let key = self.join_key(j);
        let text = match &key {
            Val::S(s) => *s,
            Val::Str(s) => s,
            _ => return None,
        };
        if !plain_text(text) {
            return None;
        }
        let mut segs = Vec::new();
        for &e in envs {
            for (ki, kind) in kinds.iter().enumerate() {
                let index = self.join_index(d, e, ki, kind, j.path);
                if let Some(list) = index.get(text) {
                    segs.push(ObjSeg::Shared(e, list.clone()));
                }
            }
        }
        Some(segs)
    }

    /// Whether domain `d`'s elements came from its join index and its body
    /// depends only on them (`Join::invariant`). A scan (a key that is not
    /// plain text) yields index lists of the env, never a join's lists.
    pub(super) fn join_invariant(&self, d: DomainId, elems: &Elems<'w>) -> bool {
        self.prog.joins.get(&d).is_some_and(|j| j.invariant)
            && matches!(elems, Elems::Objects(segs) if segs.iter().all(|s| matches!(s, ObjSeg::Shared(..))))
    }

    fn join_index(&mut self, d: DomainId, env: EnvId, ki: usize, kind: &str, path: PathId) -> Arc<JoinIndex> {
        if let Some(i) = self.join_cache.get(&(d, env, ki)) {
            return i.clone();
        }
        let world = self.world;
        let segs = &self.prog.paths[path.index()].segs;
        let name = format!("{segs:?}");
        let index = world.joins.get_or_build(env, kind, &name, || {
            let objects = &world.envs[env as usize].objects;
            let mut texts = Vec::new();
            for &i in world.envs[env as usize].of_kind(kind) {
                match self.path_value(Val::Obj(&objects[i as usize]), segs, &[]) {
                    Val::S(s) => texts.push((i, std::borrow::Cow::Borrowed(s))),
                    Val::Str(s) => texts.push((i, std::borrow::Cow::Owned(s.to_string()))),
                    _ => {}
                }
            }
            JoinIndex::from_pairs(texts.iter().map(|(i, s)| (*i, s.as_ref())))
        });
        self.join_cache.insert((d, env, ki), index.clone());
        index
    }
}

/// Whether a path is `metadata.namespace`, which an object whose namespace
/// is implied (the env's default) answers from outside its tree.
pub(super) fn namespace_path(segs: &[PathSeg]) -> bool {
    matches!(segs, [PathSeg::Key(m), PathSeg::Key(n)] if m == "metadata" && n == "namespace")
}

/// A plain path's value (`plain_path`) from an object or a node: the nodes
/// are walked key by key, with no value made for the steps between (as
/// `Vm::apply_path` does, whose result this is).
pub(super) fn walk<'w>(base: Val<'w>, segs: &[PathSeg]) -> Val<'w> {
    let (mut node, segs) = match (&base, segs) {
        (Val::Obj(o), [PathSeg::PodSpec, rest @ ..]) => (o.pod_spec(), rest),
        (Val::Obj(o), _) => (Some(o.value()), segs),
        (Val::J(j), _) => (Some(*j), segs),
        _ => (None, segs),
    };
    for seg in segs {
        let PathSeg::Key(k) = seg else { return Val::Absent };
        node = node.and_then(|n| n.get(k));
    }
    node.map(Val::json).unwrap_or(Val::Absent)
}
