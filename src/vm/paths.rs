//! Paths: stepping through objects and JSON values by key and index.

use super::*;

impl<'w> Vm<'w> {
    pub(super) fn apply_path(&self, base: Val<'w>, segs: &[PathSeg], dyns: &[Val<'w>]) -> Val<'w> {
        let multi = segs.iter().any(|s| matches!(s, PathSeg::Star));
        let mut dyn_i = 0;
        if !multi {
            let mut cur = base;
            for seg in segs {
                cur = self.step(cur, seg, dyns, &mut dyn_i);
                if cur.is_absent() {
                    return cur;
                }
            }
            return cur;
        }
        let mut cur = vec![base];
        for seg in segs {
            let mut next = Vec::new();
            for v in cur {
                match seg {
                    PathSeg::Star => push_elements(v, &mut next),
                    _ => {
                        let mut di = dyn_i;
                        let r = self.step(v, seg, dyns, &mut di);
                        if !r.is_absent() {
                            next.push(r);
                        }
                    }
                }
            }
            if matches!(seg, PathSeg::Dyn) {
                dyn_i += 1;
            }
            cur = next;
        }
        Val::List(Rc::new(cur))
    }

    pub(super) fn step(&self, v: Val<'w>, seg: &PathSeg, dyns: &[Val<'w>], dyn_i: &mut usize) -> Val<'w> {
        match seg {
            PathSeg::Key(k) => self.key(v, k),
            PathSeg::Index(i) => v.get_index(*i),
            PathSeg::Star => v.elements().map(|e| Val::List(Rc::new(e))).unwrap_or(Val::Absent),
            PathSeg::Dyn => {
                let d = dyns.get(*dyn_i).cloned().unwrap_or(Val::Absent);
                *dyn_i += 1;
                match d {
                    Val::Num(n) if n.fract() == 0.0 => v.get_index(n as i64),
                    other => match other.as_str() {
                        Some(k) => self.key(v, k),
                        None => Val::Absent,
                    },
                }
            }
            PathSeg::PodSpec => match v {
                Val::Obj(o) => o.pod_spec().map(Val::json).unwrap_or(Val::Absent),
                _ => Val::Absent,
            },
            PathSeg::Containers => match &v {
                Val::Obj(o) if o.pod_spec().is_some() => Val::List(Rc::new(o.containers().map(Val::json).collect())),
                Val::J(j) => Val::List(Rc::new(containers(*j).map(Val::json).collect())),
                _ => Val::Absent,
            },
        }
    }

    pub(super) fn key(&self, v: Val<'w>, k: &str) -> Val<'w> {
        match v {
            Val::Env(e) => {
                let world = self.world;
                let Some(env) = world.envs.get(e as usize) else { return Val::Absent };
                match k {
                    "name" => Val::S(env.name.as_str()),
                    "tags" => Val::List(Rc::new(env.tags.iter().map(|t| Val::S(t.as_str())).collect())),
                    "order" => Val::Num(env.order as f64),
                    "version" => env
                        .version
                        .as_deref()
                        .and_then(crate::world::Version::parse)
                        .map(|v| Val::Ver(Rc::new(v)))
                        .unwrap_or(Val::Absent),
                    "reference" => Val::Bool(e as usize + 1 == world.envs.len()),
                    "crds" => Val::List(Rc::new(world.given_crds.iter().map(|o| Val::json(o.value())).collect())),
                    _ => Val::Absent,
                }
            }
            Val::Ver(x) => match k {
                "major" => Val::Num(x.major() as f64),
                "minor" => Val::Ver(Rc::new(x.minor())),
                "patch" => Val::Num(x.patch() as f64),
                _ => Val::Absent,
            },
            ref s if k == "minor" || k == "major" => match as_version(s) {
                Some(x) if k == "minor" => Val::Ver(Rc::new(x.minor())),
                Some(x) => Val::Num(x.major() as f64),
                None => Val::Absent,
            },
            other => other.get_key(k),
        }
    }
}

/// Adds the elements of a list-like value to `out` (as `Val::elements`),
/// moving them out of a list nothing else holds rather than copying.
fn push_elements<'w>(v: Val<'w>, out: &mut Vec<Val<'w>>) {
    match v {
        Val::J(j) => out.extend(j.iter().map(Val::json)),
        Val::List(l) => match Rc::try_unwrap(l) {
            Ok(items) if out.is_empty() => *out = items,
            Ok(items) => out.extend(items),
            Err(l) => out.extend(l.iter().cloned()),
        },
        other => {
            if let Some(e) = other.elements() {
                out.extend(e);
            }
        }
    }
}
