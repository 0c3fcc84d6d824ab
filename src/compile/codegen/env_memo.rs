//! Env-invariant conditions of a top-level filter (issue 17): in `every
//! object where env.reference = false and schema-version(env.version) !=
//! ... and schema-accepts(it, ...)`, the first two conjuncts read nothing
//! of the object but its env, yet ran once per object. Each such conjunct
//! is wrapped in `Op::EnvMemo` / `Op::EnvMemoPut`: the VM computes it once
//! per env and reuses the value for the env's other subjects. The code is
//! otherwise the same, in the same order, so verdicts, errors and (the VM
//! does not use the memo while tracing) evidence do not change.

use super::*;
use crate::bytecode::{JoinKey, Pc};

/// The slot that holds a top-level check's env (its subject is slot 0).
const ENV: Slot = 1;

impl<'a, 'p> Gen<'a, 'p> {
    /// Emits a top-level check's `where` condition (`cond`), memoising per
    /// env each conjunct that reads nothing of the subject but its env.
    pub(super) fn top_where(&mut self, e: &Expr, cx: &Cx) -> R<()> {
        self.check_size(e.span)?;
        let parts: Vec<&Expr> = match &e.kind {
            ExprKind::And(parts) => parts.iter().collect(),
            _ => vec![e],
        };
        let mut jumps = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            self.env_memoised(p, cx)?;
            if i + 1 < parts.len() {
                jumps.push(self.emit(Op::AndJump(0)));
            }
        }
        let end = self.here();
        for j in jumps {
            self.patch(j, end);
        }
        Ok(())
    }

    /// Emits `cond(e)`; when its ops read only the env, moves them one op
    /// on, puts an `EnvMemo` before them and an `EnvMemoPut` after.
    fn env_memoised(&mut self, e: &Expr, cx: &Cx) -> R<()> {
        self.env_memoised_with(|g| g.cond(e, cx))
    }

    /// A top-level check's `in ENVS` / `not in ENVS` filter on its subject's
    /// env (`every service not in reference env ...`): whether the env in
    /// `env_slot` is among `sel` (negated for `not in`), memoised per env
    /// when `env_slot` is the check's env (it reads nothing else).
    pub(super) fn top_env_member(&mut self, env_slot: Slot, sel: EnvSelId, negate: bool) -> R<()> {
        let emit = |g: &mut Self| {
            g.env_member(env_slot, sel)?;
            if negate {
                g.emit(Op::Not);
            }
            Ok(())
        };
        if self.memo_env_where && self.depth == 0 && env_slot == ENV {
            self.env_memoised_with(emit)
        } else {
            emit(self)
        }
    }

    /// Emits a condition with `emit`; when its ops read only the env, moves
    /// them one op on, puts an `EnvMemo` before them and an `EnvMemoPut`
    /// after.
    fn env_memoised_with(&mut self, emit: impl FnOnce(&mut Self) -> R<()>) -> R<()> {
        let start = self.prog.ops.len();
        let first_slot = self.next_slot;
        emit(self)?;
        let end = self.prog.ops.len();
        if !self.reads_only_env(&self.prog.ops[start..end], first_slot) {
            return Ok(());
        }
        self.prog.ops.insert(start, Op::EnvMemo(0));
        for op in &mut self.prog.ops[start + 1..=end] {
            *op = shifted(*op, start as Pc, end as Pc);
        }
        self.emit(Op::EnvMemoPut(start as Pc));
        self.prog.ops[start] = Op::EnvMemo(self.here());
        Ok(())
    }

    /// Whether `ops` (a condition compiled when the next free slot was
    /// `first_slot`) read no slot but the env and their own: not the
    /// subject, nothing bound by an earlier filter, no domain scoped by
    /// either.
    fn reads_only_env(&self, ops: &[Op], first_slot: Slot) -> bool {
        let own = |s: Slot| s >= first_slot;
        let readable = |s: Slot| s == ENV || own(s);
        ops.iter().all(|op| match *op {
            Op::Load(s) => readable(s),
            Op::Store(s) => own(s),
            Op::IterStart(d, _) => {
                let scoped = self.domain_scoped_by(d, readable, own);
                let key_ok = match self.prog.joins.get(&d).map(|j| j.key) {
                    Some(JoinKey::Slot(s, _)) => readable(s),
                    _ => true,
                };
                scoped && key_ok
            }
            Op::EnvMemo(_) | Op::EnvMemoPut(_) => false,
            _ => true,
        })
    }
}

/// `op` moved one place on, with the ops from `lo` to `hi` (its targets in
/// `lo..=hi`: inside the condition, or just past it).
fn shifted(op: Op, lo: Pc, hi: Pc) -> Op {
    let t = |x: Pc| if (lo..=hi).contains(&x) { x + 1 } else { x };
    match op {
        Op::JumpIfFalse(x) => Op::JumpIfFalse(t(x)),
        Op::AndJump(x) => Op::AndJump(t(x)),
        Op::OrJump(x) => Op::OrJump(t(x)),
        Op::Jump(x) => Op::Jump(t(x)),
        Op::IterNext(x) => Op::IterNext(t(x)),
        Op::QStep(q, x) => Op::QStep(q, t(x)),
        Op::EnvMemo(x) => Op::EnvMemo(t(x)),
        Op::EnvMemoPut(x) => Op::EnvMemoPut(t(x)),
        other => other,
    }
}
