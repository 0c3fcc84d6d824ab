//! Iteration: quantifier domains, env selection and counterparts.

use super::*;

impl<'w> Vm<'w> {
    pub(super) fn advance(&mut self) -> bool {
        let Some(it) = self.iters.last_mut() else { return false };
        let slot = it.slot as usize;
        let (elem, env): (Val<'w>, Option<EnvId>) = match &mut it.elems {
            Elems::Envs(envs) => {
                let Some(e) = envs.get(it.pos).copied() else { return false };
                it.pos += 1;
                (Val::Env(e), Some(e))
            }
            Elems::Values(vals) => {
                let Some(v) = vals.get(it.pos).cloned() else { return false };
                it.pos += 1;
                (v, None)
            }
            Elems::Objects(segs) => loop {
                let Some(seg) = segs.get(it.seg) else { return false };
                let (env, idx) = match seg {
                    ObjSeg::Idx(env, list) => (*env, list.get(it.pos).map(|i| *i as usize)),
                    ObjSeg::All(env, len) => (*env, (it.pos < *len).then_some(it.pos)),
                    ObjSeg::Shared(env, list) => (*env, list.get(it.pos).map(|i| *i as usize)),
                };
                match idx {
                    Some(i) => {
                        it.pos += 1;
                        let obj = &self.world.envs[env as usize].objects[i];
                        break (Val::Obj(obj), Some(env));
                    }
                    None => {
                        it.seg += 1;
                        it.pos = 0;
                    }
                }
            },
        };
        if slot + 1 >= self.slots.len() {
            self.slots.resize(slot + 2, Val::Absent);
        }
        self.slots[slot] = elem;
        if let Some(e) = env {
            self.slots[slot + 1] = Val::Env(e);
        }
        true
    }

    pub(super) fn slot_env(&self, s: Slot) -> Option<EnvId> {
        match self.slots.get(s as usize) {
            Some(Val::Env(e)) => Some(*e),
            Some(Val::Obj(o)) => Some(o.env),
            _ => None,
        }
    }

    /// The envs an object domain's scope selects, with the current slots.
    pub(super) fn scope_envs(&self, envs: &EnvScope) -> Vec<EnvId> {
        match envs {
            EnvScope::Current(s) => self.slot_env(*s).into_iter().collect(),
            EnvScope::Sel(sel, s) => {
                let cur = s.and_then(|s| self.slot_env(s));
                self.select_envs(*sel, cur)
            }
            EnvScope::All => (0..self.world.envs.len() as EnvId).collect(),
        }
    }

    pub(super) fn domain(&mut self, d: DomainId) -> Result<Elems<'w>, EvalError> {
        let prog = self.prog;
        let dom = prog.domains.get(d.index()).ok_or(EvalError::Internal("unknown domain"))?;
        Ok(match &dom.source {
            DomainSource::Envs(sel) => Elems::Envs(self.select_envs(*sel, None)),
            DomainSource::Values => {
                let v = self.pop();
                Elems::Values(match &v {
                    Val::Absent | Val::Null => Vec::new(),
                    _ => v.elements().unwrap_or_default(),
                })
            }
            DomainSource::Objects { kinds, envs, ns } => {
                let env_ids = self.scope_envs(envs);
                if let (Some(kinds), NsScope::None) = (kinds, ns)
                    && let Some(segs) = self.joined(d, kinds, &env_ids)
                {
                    return Ok(Elems::Objects(segs));
                }
                let world = self.world;
                let mut segs = Vec::new();
                for e in env_ids {
                    let env = &world.envs[e as usize];
                    let namespace: Option<String> = match ns {
                        NsScope::None => None,
                        NsScope::Of(s) => match self.slots.get(*s as usize) {
                            Some(Val::Obj(o)) if o.kind.eq_ignore_ascii_case("namespace") => {
                                Some(env.canonical_namespace(&o.name).to_string())
                            }
                            Some(Val::Obj(o)) => o.namespace.as_ref().map(|n| env.canonical_namespace(n).to_string()),
                            _ => None,
                        },
                    };
                    match (kinds, namespace) {
                        (Some(kinds), ns) => {
                            for k in kinds {
                                let list = match &ns {
                                    Some(ns) if !crate::world::is_cluster_scoped(k) => env.of_kind_in(k, ns),
                                    _ => env.of_kind(k),
                                };
                                if !list.is_empty() {
                                    segs.push(ObjSeg::Idx(e, list));
                                }
                            }
                        }
                        (None, None) => segs.push(ObjSeg::All(e, env.objects.len())),
                        (None, Some(ns)) => {
                            for k in env.kinds() {
                                let list = env.of_kind_in(k, &ns);
                                if !list.is_empty() {
                                    segs.push(ObjSeg::Idx(e, list));
                                }
                            }
                        }
                    }
                }
                Elems::Objects(segs)
            }
        })
    }

    /// The envs a selector picks, relative to the current env.
    pub fn select_envs(&self, sel: EnvSelId, current: Option<EnvId>) -> Vec<EnvId> {
        select_envs(self.world, &self.prog.env_sels[sel.index()], current)
    }

    pub(super) fn counterpart(&self, o: &'w Object, env: EnvId) -> Option<&'w Object> {
        let own = &self.world.envs[o.env as usize];
        let target = &self.world.envs[env as usize];
        own.counterpart_in(o, target).map(|i| &target.objects[i as usize])
    }
}

/// The envs a selector picks, relative to the current env (if any).
pub fn select_envs(world: &World, sel: &EnvSelSpec, current: Option<EnvId>) -> Vec<EnvId> {
    let n = world.envs.len() as EnvId;
    match sel {
        EnvSelSpec::All => (0..n).collect(),
        EnvSelSpec::Others => (0..n).filter(|e| Some(*e) != current).collect(),
        EnvSelSpec::Tagged(t) => (0..n).filter(|e| world.envs[*e as usize].tags.iter().any(|x| x == t)).collect(),
        EnvSelSpec::Named(name) => world.env_by_name(name).into_iter().collect(),
        EnvSelSpec::Reference => world.reference().into_iter().collect(),
        EnvSelSpec::Previous => current.and_then(|c| c.checked_sub(1)).into_iter().collect(),
        EnvSelSpec::Next => current.map(|c| c + 1).filter(|c| *c < n).into_iter().collect(),
    }
}
