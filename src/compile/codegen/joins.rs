//! Indexed joins (issue 18): recognising `where PATH = KEY` on a quantifier
//! or comprehension over objects, where `PATH` reads the element and `KEY`
//! is bound outside (`configmaps where metadata.namespace =
//! c.metadata.namespace`). The domain is marked in `Program::joins`; the
//! code emitted is unchanged (the filter still runs on every element), so
//! the VM may look the key up in an index or scan with the same result.

use super::*;
use crate::bytecode::{DomainId, Join, JoinKey, PathId};

impl<'a, 'p> Gen<'a, 'p> {
    /// Marks domain `d`, whose element is in slot `elem` with context
    /// `ecx`, for a join index when one of its `where` filters (or a
    /// conjunct of one) is an equality between a path of the element and a
    /// key bound outside. Only object domains of named kinds with no
    /// namespace scope are indexed.
    pub(super) fn plan_join(&mut self, d: DomainId, filters: &[Filter], ecx: &Cx, elem: Slot) {
        let indexable = matches!(
            self.prog.domains.get(d.index()).map(|x| &x.source),
            Some(DomainSource::Objects { kinds: Some(_), ns: NsScope::None, .. })
        );
        if !indexable {
            return;
        }
        // The names the quantifier's own filters bind are in scope in its
        // `where`: the element's `as` name shadows an outer one. A
        // counterpart bound here is not known yet: no join then.
        let mut ecx = ecx.clone();
        for f in filters {
            match f {
                Filter::As(name) => ecx.binds.push((name.text.clone(), Subj { slot: elem, ty: ecx_ty(&ecx) })),
                Filter::Counterpart { bind: Some(_), .. } => return,
                _ => {}
            }
        }
        let ecx = &ecx;
        for f in filters {
            let Filter::Where(e) = f else { continue };
            for c in conjuncts(e) {
                let ExprKind::Test { value, test: Test::Cmp(CmpOp::Eq, rhs) } = &c.kind else { continue };
                let join = match self.join_of(value, rhs, ecx, elem) {
                    Some(j) => Some(j),
                    None => self.join_of(rhs, value, ecx, elem),
                };
                if let Some(j) = join {
                    self.prog.joins.insert(d, j);
                    return;
                }
            }
        }
    }

    /// Marks the join of comprehension domain `d` invariant when its body
    /// (`ops[from..to]`) reads nothing bound outside but the join's own
    /// equality (`PATH = KEY`, either way round): on the objects the index
    /// yields for a key that equality holds whatever the key's source, so
    /// the result depends only on those objects and the VM may reuse it.
    pub(super) fn join_invariant(&mut self, d: DomainId, elem: Slot, from: usize, to: usize) {
        let Some(j) = self.prog.joins.get(&d) else { return };
        let key_ops: Vec<Op> = match j.key {
            JoinKey::Const(c) => vec![Op::Const(c)],
            JoinKey::Slot(s, None) => vec![Op::Load(s)],
            JoinKey::Slot(s, Some(p)) => vec![Op::Load(s), Op::Path(p)],
        };
        let elem_ops = [Op::Load(elem), Op::Path(j.path)];
        let Some(body) = self.prog.ops.get(from..to) else { return };
        let mut body = body.to_vec();
        let n = elem_ops.len() + key_ops.len();
        let mut i = 0;
        while i + n < body.len() {
            let eq = matches!(body[i + n], Op::Cmp(Cmp::Eq, _) | Op::CmpText(Cmp::Eq, _));
            let here = &body[i..i + n];
            let forward = here[..2] == elem_ops && here[2..] == key_ops[..];
            let backward = here[..key_ops.len()] == key_ops[..] && here[key_ops.len()..] == elem_ops;
            if eq && (forward || backward) {
                // The equality is true on every object yielded: it reads
                // nothing from outside.
                for op in &mut body[i..i + n] {
                    *op = Op::Load(elem);
                }
                i += n;
            } else {
                i += 1;
            }
        }
        if self.ops_are_invariant(elem, &body)
            && let Some(j) = self.prog.joins.get_mut(&d)
        {
            j.invariant = true;
        }
    }

    /// The join `elem_side = key_side` makes, if `elem_side` compiles to a
    /// path of the element and `key_side` to a constant or a path of a slot
    /// bound outside it.
    fn join_of(&mut self, elem_side: &Expr, key_side: &Expr, ecx: &Cx, elem: Slot) -> Option<Join> {
        let simple = |e: &Expr| {
            matches!(e.kind, ExprKind::Path(_) | ExprKind::Bare { pred: None, .. } | ExprKind::Lit(Lit::Str(_)))
        };
        if !simple(elem_side) || !simple(key_side) {
            return None;
        }
        let path = match self.scratch(elem_side, ecx)?[..] {
            [Op::Load(s), Op::Path(p)] if s == elem && self.single_path(p) => p,
            _ => return None,
        };
        let no_dyn = |g: &Self, p: PathId| g.prog.paths.get(p.index()).is_some_and(|s| s.dyn_count() == 0);
        let key = match self.scratch(key_side, ecx)?[..] {
            [Op::Const(c)] => JoinKey::Const(c),
            [Op::Load(s)] if s < elem => JoinKey::Slot(s, None),
            [Op::Load(s), Op::Path(p)] if s < elem && no_dyn(self, p) => JoinKey::Slot(s, Some(p)),
            _ => return None,
        };
        Some(Join { path, key, invariant: false })
    }

    /// Whether path `p` reads one value: keys, indexes and the pod spec.
    fn single_path(&self, p: PathId) -> bool {
        self.prog
            .paths
            .get(p.index())
            .is_some_and(|s| s.segs.iter().all(|g| matches!(g, PathSeg::Key(_) | PathSeg::Index(_) | PathSeg::PodSpec)))
    }

    /// The ops `e` compiles to in `cx`, emitted and taken back: the program
    /// is left as it was (interned constants and paths stay; they are
    /// shared and harmless).
    fn scratch(&mut self, e: &Expr, cx: &Cx) -> Option<Vec<Op>> {
        let ops = self.prog.ops.len();
        let domains = self.prog.domains.len();
        let (next_slot, max_slot) = (self.next_slot, self.max_slot);
        let (stack, binds) = (self.stack.len(), self.elem_binds.len());
        let (envs, tags) = (self.named_envs.len(), self.named_tags.len());
        let r = self.value(e, cx);
        let out = self.prog.ops.split_off(ops);
        self.prog.domains.truncate(domains);
        self.prog.invariant.retain(|d| d.index() < domains);
        self.prog.joins.retain(|d, _| d.index() < domains);
        (self.next_slot, self.max_slot) = (next_slot, max_slot);
        self.stack.truncate(stack);
        self.elem_binds.truncate(binds);
        self.named_envs.truncate(envs);
        self.named_tags.truncate(tags);
        r.ok().map(|_| out)
    }
}

/// The element's type (the context's subject).
fn ecx_ty(ecx: &Cx) -> Ty {
    ecx.it.as_ref().map(|s| s.ty.clone()).unwrap_or(Ty::Value)
}

/// The conjuncts of a condition: the parts of an `and`, or itself.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::And(parts) => parts.iter().flat_map(conjuncts).collect(),
        _ => vec![e],
    }
}
