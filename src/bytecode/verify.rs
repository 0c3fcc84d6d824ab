//! A structural check of a compiled [`Program`]: every jump lands inside
//! its code block, every slot is below its check's slot count, every side
//! table index is in range, and every block ends with `Ret`. The compiler
//! runs it after every build in debug builds (so every test checks every
//! program it compiles); a failure is a compiler bug, never a user error.

use super::{Check, CheckKind, Code, DomainSource, EnvScope, JoinKey, NsScope, Op, Piece, Program};

/// Checks a program; the error names the rule, the op and what is wrong.
pub fn verify(p: &Program) -> Result<(), String> {
    for (di, d) in p.domains.iter().enumerate() {
        let sel = match &d.source {
            DomainSource::Envs(s) => Some(*s),
            DomainSource::Objects { envs: EnvScope::Sel(s, _), .. } => Some(*s),
            _ => None,
        };
        if let Some(s) = sel {
            index("env selector", s.index(), p.env_sels.len()).map_err(|e| format!("domain {di}: {e}"))?;
        }
    }
    for rule in &p.rules {
        let at = |e: String| format!("rule `{}`: {e}", rule.id);
        let max_slots = rule.checks.iter().map(|c| c.slots).max().unwrap_or(0);
        for check in &rule.checks {
            for code in codes(check) {
                block(p, code, check.slots).map_err(at)?;
            }
        }
        if let Some(code) = rule.except {
            block(p, code, max_slots).map_err(at)?;
        }
    }
    Ok(())
}

fn codes(check: &Check) -> Vec<Code> {
    let mut out = Vec::new();
    match &check.kind {
        CheckKind::Each { filter, pred, .. } => {
            out.extend(*filter);
            out.push(*pred);
        }
        CheckKind::Agree { filter, value, .. } => {
            out.extend(*filter);
            out.push(*value);
        }
        CheckKind::Global { pred } => out.push(*pred),
    }
    for piece in check.message.iter().flatten() {
        if let Piece::Expr(code) = piece {
            out.push(*code);
        }
    }
    out
}

fn index(what: &str, i: usize, len: usize) -> Result<(), String> {
    if i < len { Ok(()) } else { Err(format!("{what} {i} out of range (table of {len})")) }
}

/// One code block: from its entry to its `Ret`.
fn block(p: &Program, code: Code, slots: u16) -> Result<(), String> {
    let start = code.entry as usize;
    let end = p.ops[start.min(p.ops.len())..]
        .iter()
        .position(|op| matches!(op, Op::Ret))
        .map(|i| start + i)
        .ok_or_else(|| format!("code block at {start} has no `Ret`"))?;
    let slot = |s: u16, pc: usize| {
        if s < slots { Ok(()) } else { Err(format!("op {pc}: slot {s} is not below the check's {slots} slots")) }
    };
    for pc in start..end {
        let op = p.ops[pc];
        let target = |t: u32| {
            if (start..=end).contains(&(t as usize)) {
                Ok(())
            } else {
                Err(format!("op {pc}: jump to {t} leaves its block ({start}..={end})"))
            }
        };
        let at = |r: Result<(), String>| r.map_err(|e| format!("op {pc}: {e}"));
        match op {
            Op::Const(c) => at(index("constant", c.index(), p.consts.len()))?,
            Op::Path(id) => at(index("path", id.index(), p.paths.len()))?,
            Op::Query(q) => at(index("query", q.index(), p.queries.len()))?,
            Op::Call(f, _) => at(index("function", f.index(), super::functions::FUNCTIONS.len()))?,
            Op::Cmp(_, t) | Op::CmpText(_, t) | Op::Test(_, t) | Op::Test2(_, t) => {
                at(index("text", t.index(), p.texts.len()))?
            }
            Op::Match(r, t) => {
                at(index("regex", r.index(), p.regexes.len()))?;
                at(index("text", t.index(), p.texts.len()))?;
            }
            Op::KindIn(k) => at(index("kind set", k.index(), p.kind_sets.len()))?,
            Op::Counterpart(e) | Op::ExistsIn(e) | Op::EnvOf(e) => {
                at(index("env selector", e.index(), p.env_sels.len()))?
            }
            Op::Load(s) | Op::Store(s) => slot(s, pc)?,
            Op::IterStart(d, elem) => {
                at(index("domain", d.index(), p.domains.len()))?;
                // The element and its env.
                slot(elem.saturating_add(1), pc)?;
                let source = &p.domains[d.index()].source;
                if let DomainSource::Objects { envs, ns, .. } = source {
                    if let EnvScope::Current(s) | EnvScope::Sel(_, Some(s)) = envs {
                        slot(*s, pc)?;
                    }
                    if let NsScope::Of(s) = ns {
                        slot(*s, pc)?;
                    }
                }
                if let Some(j) = p.joins.get(&d) {
                    if !matches!(source, DomainSource::Objects { kinds: Some(_), ns: NsScope::None, .. }) {
                        return Err(format!("op {pc}: join on domain {d}, which is not a list of kinds"));
                    }
                    let plain = |id: super::PathId| {
                        index("path", id.index(), p.paths.len())?;
                        match p.paths[id.index()].dyn_count() {
                            0 => Ok(()),
                            _ => Err(format!("join path {id} has dynamic segments")),
                        }
                    };
                    at(plain(j.path))?;
                    match j.key {
                        JoinKey::Const(c) => at(index("constant", c.index(), p.consts.len()))?,
                        JoinKey::Slot(s, path) => {
                            // Bound outside the quantifier: below its element.
                            if s >= elem {
                                return Err(format!("op {pc}: join key slot {s} is not bound outside the quantifier"));
                            }
                            if let Some(id) = path {
                                at(plain(id))?;
                            }
                        }
                    }
                }
            }
            Op::JumpIfFalse(t)
            | Op::AndJump(t)
            | Op::OrJump(t)
            | Op::Jump(t)
            | Op::IterNext(t)
            | Op::QStep(_, t)
            | Op::EnvMemo(t) => target(t)?,
            Op::EnvMemoPut(m)
                if !matches!(p.ops.get(m as usize), Some(Op::EnvMemo(_))) || !(start..pc).contains(&(m as usize)) =>
            {
                return Err(format!("op {pc}: EnvMemoPut names {m}, which is no EnvMemo of its block"));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;

    fn library() -> Program {
        let files: Vec<(String, String)> =
            crate::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        crate::compile::build(&mut Sources::default(), &files, &[]).expect("the standard library compiles")
    }

    #[test]
    fn the_standard_library_verifies() {
        assert_eq!(verify(&library()), Ok(()));
    }

    #[test]
    fn broken_programs_are_caught() {
        let mut p = library();
        let jump = p.ops.iter().position(|op| matches!(op, Op::Jump(_) | Op::JumpIfFalse(_))).expect("a jump");
        p.ops[jump] = Op::Jump(u32::MAX);
        assert!(verify(&p).unwrap_err().contains("leaves its block"));

        let mut p = library();
        let load = p.ops.iter().position(|op| matches!(op, Op::Const(_))).expect("a constant");
        p.ops[load] = Op::Const(crate::bytecode::ConstId(u32::MAX));
        assert!(verify(&p).unwrap_err().contains("constant"));

        let mut p = library();
        let load = p.ops.iter().position(|op| matches!(op, Op::Load(_))).expect("a load");
        p.ops[load] = Op::Load(u16::MAX);
        assert!(verify(&p).unwrap_err().contains("slot"));

        let mut p = library();
        p.ops.retain(|op| !matches!(op, Op::Ret));
        assert!(verify(&p).unwrap_err().contains("no `Ret`"));

        // An EnvMemoPut must name an EnvMemo before it in its block.
        let mut p = library();
        let put = p.ops.iter().position(|op| matches!(op, Op::EnvMemoPut(_))).expect("an EnvMemoPut");
        p.ops[put] = Op::EnvMemoPut(put as u32 - 1);
        assert!(verify(&p).unwrap_err().contains("no EnvMemo of its block"));
    }
}
