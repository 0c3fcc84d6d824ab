//! Which Kubernetes versions validate a kind alike: two versions whose
//! schema of a kind reaches the same definition bodies (the kind's own and
//! every one it refers to, transitively) accept and reject the same objects
//! with the same problems. `schema-valid` and `api-version-parity` validate
//! an object once per such group, not once per version
//! (`vm::schema_fns`).

use std::collections::BTreeMap;

use super::{Kind, Schemas, Ty};

impl Schemas {
    /// The first version (index) whose schema of `kind` is the same as in
    /// `version`: the version an object of the kind is validated in for
    /// `version`. `version` itself when it does not serve the kind.
    pub fn same_schema_as(&self, kind: &Kind, version: usize) -> usize {
        let Some(i) = self.kind_index(kind) else { return version };
        let firsts = self.alike[i].get_or_init(|| self.alike_versions(kind));
        firsts.get(version).map_or(version, |&v| v as usize)
    }

    /// Per version, the first version with the same reachable bodies.
    fn alike_versions(&self, kind: &Kind) -> Vec<u8> {
        let signatures: Vec<Option<BTreeMap<&str, usize>>> =
            (0..self.versions.len()).map(|v| self.root(kind, v).map(|ty| self.reachable(v, ty))).collect();
        (0..signatures.len())
            .map(|v| match &signatures[v] {
                None => v as u8,
                Some(sig) => signatures.iter().position(|s| s.as_ref() == Some(sig)).unwrap_or(v) as u8,
            })
            .collect()
    }

    /// The definitions a type refers to, transitively, and their bodies in
    /// `version` (by address: bodies are deduplicated, so equal bodies are
    /// one). The root itself counts as the entry `""`.
    fn reachable<'a>(&'a self, version: usize, root: &'a Ty) -> BTreeMap<&'a str, usize> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        seen.insert("", root as *const Ty as usize);
        let mut todo: Vec<&Ty> = vec![root];
        while let Some(ty) = todo.pop() {
            let mut children: Vec<&Ty> = ty.props.values().collect();
            children.extend(ty.items.as_deref());
            children.extend(ty.map_values.as_deref());
            for c in children {
                todo.push(c);
                if let Some(name) = c.reference.as_deref()
                    && !seen.contains_key(name)
                {
                    let body = self.resolve(version, c);
                    seen.insert(name, body.map_or(0, |b| b as *const Ty as usize));
                    todo.extend(body);
                }
            }
        }
        seen
    }

    /// Whether definition `id` validates alike in versions `a` and `b`: the
    /// same body, and the same bodies for every definition it reaches. The
    /// same body alone is not enough (`PodTemplateSpec` is one body in
    /// every version, but its `$ref` to `PodSpec` resolves per version).
    /// Worked out once per thread, definition and pair of versions.
    pub fn same_definition(&self, id: u32, a: usize, b: usize) -> bool {
        thread_local! {
            static SAME: std::cell::RefCell<std::collections::HashMap<(u32, usize, usize), bool>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        if a == b {
            return true;
        }
        if let Some(known) = SAME.with(|m| m.borrow().get(&(id, a, b)).copied()) {
            return known;
        }
        let body = |v: usize| {
            let at = *self.def_bodies.get(id as usize)?.get(v)?;
            self.bodies.get(at as usize)
        };
        let same = match (body(a), body(b)) {
            (Some(x), Some(y)) => std::ptr::eq(x, y) && self.reachable(a, x) == self.reachable(b, y),
            _ => false,
        };
        SAME.with(|m| m.borrow_mut().insert((id, a, b), same));
        same
    }

    /// The index of one of this table's kinds.
    fn kind_index(&self, kind: &Kind) -> Option<usize> {
        let base = self.kinds.as_ptr() as usize;
        let at = (kind as *const Kind as usize).checked_sub(base)? / std::mem::size_of::<Kind>();
        (at < self.kinds.len() && std::ptr::eq(&self.kinds[at], kind)).then_some(at)
    }
}
