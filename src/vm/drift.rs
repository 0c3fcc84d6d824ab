//! `matches`: an object against the object it must match, field by field
//! (`crate::diff`), less what the program's tolerances allow.
//!
//! A tolerance's `for NP` filters are code: they run on a second VM, kept
//! for the purpose, so that the evaluation in progress is not disturbed.

use serde_json::Value as Json;

use super::{EvalError, Val, Vm, select_envs};
use crate::bytecode::{DomainSource, EnvScope, Tolerance};
use crate::diff::Diff;
use crate::world::Object;

impl<'w> Vm<'w> {
    /// The differences between `left` and `right` that no tolerance allows,
    /// with Secret values redacted, and the nodes compared (the cost).
    pub(super) fn drift(&mut self, left: &'w Object, right: &'w Object) -> Result<(Vec<Diff>, u64), EvalError> {
        self.drift_runs += 1;
        let cmp = crate::diff::compare(left, right);
        let visited = cmp.visited;
        if cmp.diffs.is_empty() {
            return Ok((cmp.diffs, visited));
        }
        let prog = self.prog;
        let world = self.world;
        if self.tol_used.len() < prog.tolerances.len() {
            self.tol_used.resize(prog.tolerances.len(), false);
        }
        let env_name = |o: &Object| world.envs.get(o.env as usize).map(|e| e.name.as_str()).unwrap_or("");
        let (lenv, renv) = (env_name(left), env_name(right));
        // Whether each tolerance's `for NP` covers `left`, found when first needed.
        let mut covers: Vec<Option<bool>> = vec![None; prog.tolerances.len()];
        let mut kept = Vec::new();
        'diffs: for mut d in cmp.diffs {
            for (i, t) in prog.tolerances.iter().enumerate() {
                if !t.path.matches(&left.kind, &d.path) {
                    continue;
                }
                if let Some(by) = &t.by {
                    let ok = match (&d.left, &d.right) {
                        (Some(Json::String(a)), Some(Json::String(b))) => by.tolerates(a, lenv, b, renv),
                        _ => false,
                    };
                    if !ok {
                        continue;
                    }
                }
                let applies = match covers[i] {
                    Some(b) => b,
                    None => {
                        let b = self.tolerance_covers(t, left)?;
                        covers[i] = Some(b);
                        b
                    }
                };
                if applies {
                    self.tol_used[i] = true;
                    continue 'diffs;
                }
            }
            d.redact(&left.kind);
            kept.push(d);
        }
        Ok((kept, visited))
    }

    /// Whether a tolerance's `for NP` takes in `o` (its kinds, envs and
    /// filters); a tolerance without one takes in every object.
    fn tolerance_covers(&mut self, t: &Tolerance, o: &'w Object) -> Result<bool, EvalError> {
        let Some(scope) = &t.scope else { return Ok(true) };
        let prog = self.prog;
        let world = self.world;
        let Some(DomainSource::Objects { kinds, envs, .. }) = prog.domains.get(scope.domain.index()).map(|d| &d.source)
        else {
            return Ok(false);
        };
        if kinds.as_ref().is_some_and(|ks| !ks.iter().any(|k| k.eq_ignore_ascii_case(&o.kind))) {
            return Ok(false);
        }
        if let EnvScope::Sel(sel, _) = envs
            && !select_envs(world, &prog.env_sels[sel.index()], None).contains(&o.env)
        {
            return Ok(false);
        }
        let Some(filter) = scope.filter else { return Ok(true) };
        let budget = self.budget;
        let child = self.tol_vm.get_or_insert_with(|| Box::new(Vm::new(prog, world).with_budget(budget)));
        child.bind(scope.slots, Val::Obj(o), Some(o.env));
        Ok(child.run(filter)?.truthy())
    }

    /// The differences between two objects that no tolerance of the
    /// program allows (what `matches` reports), outside a rule.
    pub fn differences(&mut self, left: &'w Object, right: &'w Object) -> Result<Vec<Diff>, EvalError> {
        self.drift(left, right).map(|(d, _)| d)
    }

    /// Which of the program's tolerances allowed a difference on this VM.
    pub fn tolerances_used(&self) -> &[bool] {
        &self.tol_used
    }

    /// How many `matches` comparisons this VM made.
    pub fn drift_runs(&self) -> u64 {
        self.drift_runs
    }
}
