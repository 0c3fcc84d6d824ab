//! The disassembler: one op per line, with side-table operands spelled out,
//! for `parity compile --dump` and for snapshot tests of codegen.

use std::fmt::Write;

use super::{
    Check, CheckKind, Code, Const, DomainId, DomainSource, EnvScope, EnvSelId, NsScope, Op, PathSeg, Piece, Program,
    Rule,
};

/// Prints every rule of a program.
pub fn disassemble(program: &Program) -> String {
    let mut out = String::new();
    for rule in &program.rules {
        rule_listing(program, rule, &mut out);
    }
    out
}

fn rule_listing(p: &Program, rule: &Rule, out: &mut String) {
    let _ = writeln!(out, "rule {} ({})", rule.id, rule.severity);
    let _ = writeln!(out, "  body: {}", rule.body.split_whitespace().collect::<Vec<_>>().join(" "));
    for (i, check) in rule.checks.iter().enumerate() {
        check_listing(p, i, check, out);
    }
    if let Some(code) = rule.except {
        let _ = writeln!(out, "  except:");
        block(p, code, out);
    }
    for pieces in rule.checks.iter().filter_map(|c| c.message.as_ref()) {
        for piece in pieces {
            if let Piece::Expr(code) = piece {
                let _ = writeln!(out, "  message part:");
                block(p, *code, out);
            }
        }
    }
    out.push('\n');
}

fn check_listing(p: &Program, i: usize, check: &Check, out: &mut String) {
    match &check.kind {
        CheckKind::Each { domain, filter, pred, fire_when } => {
            let _ = writeln!(
                out,
                "  check {i}: each of d{domain} ({}), finding when the predicate is {fire_when}; {} slots",
                domain_text(p, *domain),
                check.slots
            );
            if let Some(f) = filter {
                let _ = writeln!(out, "  filter:");
                block(p, *f, out);
            }
            let _ = writeln!(out, "  predicate:");
            block(p, *pred, out);
        }
        CheckKind::Agree { envs, filter, value } => {
            let _ =
                writeln!(out, "  check {i}: envs of d{envs} ({}) agree; {} slots", domain_text(p, *envs), check.slots);
            if let Some(f) = filter {
                let _ = writeln!(out, "  filter:");
                block(p, *f, out);
            }
            let _ = writeln!(out, "  value:");
            block(p, *value, out);
        }
        CheckKind::Global { pred } => {
            let _ = writeln!(out, "  check {i}: once; {} slots", check.slots);
            block(p, *pred, out);
        }
    }
}

fn block(p: &Program, code: Code, out: &mut String) {
    let mut pc = code.entry as usize;
    while let Some(op) = p.ops.get(pc) {
        let text = op.to_string();
        let note = operand_note(p, op);
        if note.is_empty() {
            let _ = writeln!(out, "    {pc:04} {text}");
        } else {
            let _ = writeln!(out, "    {pc:04} {text:<24} ; {note}");
        }
        if matches!(op, Op::Ret) {
            break;
        }
        pc += 1;
    }
}

fn operand_note(p: &Program, op: &Op) -> String {
    match *op {
        Op::Const(c) => p.consts.get(c.index()).map(const_text).unwrap_or_default(),
        Op::Path(id) => p.paths.get(id.index()).map(|s| path_text(&s.segs)).unwrap_or_default(),
        Op::Query(q) => p.queries.get(q.index()).map(|(t, _)| t.clone()).unwrap_or_default(),
        Op::Match(r, _) => p.regexes.get(r.index()).map(|r| format!("/{}/", r.as_str())).unwrap_or_default(),
        Op::Cmp(_, t) | Op::CmpText(_, t) | Op::Test(_, t) | Op::Test2(_, t) => {
            p.texts.get(t.index()).cloned().unwrap_or_default()
        }
        Op::KindIn(k) => p.kind_sets.get(k.index()).map(|k| k.join(",")).unwrap_or_default(),
        Op::IterStart(d, _) => domain_text(p, d),
        Op::Counterpart(e) | Op::ExistsIn(e) | Op::EnvOf(e) => {
            p.env_sels.get(e.index()).map(|s| s.to_string()).unwrap_or_default()
        }
        Op::Call(f, _) => super::functions::func_name(f).to_string(),
        _ => String::new(),
    }
}

fn domain_text(p: &Program, d: DomainId) -> String {
    let Some(dom) = p.domains.get(d.index()) else { return String::new() };
    let src = match &dom.source {
        DomainSource::Envs(e) => sel_text(p, *e),
        DomainSource::Objects { kinds, envs, ns } => {
            let kinds = kinds.as_ref().map(|k| k.join(",")).unwrap_or_else(|| "*".into());
            let envs = match envs {
                EnvScope::Current(s) => format!("env s{s}"),
                EnvScope::Sel(e, _) => sel_text(p, *e),
                EnvScope::All => "all envs".into(),
            };
            let ns = match ns {
                NsScope::None => String::new(),
                NsScope::Of(s) => format!(", namespace of s{s}"),
            };
            let join = match p.joins.get(&d) {
                Some(j) => {
                    let path =
                        |id: super::PathId| p.paths.get(id.index()).map(|s| path_text(&s.segs)).unwrap_or_default();
                    let key = match j.key {
                        super::JoinKey::Const(c) => p.consts.get(c.index()).map(const_text).unwrap_or_default(),
                        super::JoinKey::Slot(s, None) => format!("s{s}"),
                        super::JoinKey::Slot(s, Some(id)) => format!("s{s}.{}", path(id)),
                    };
                    format!(", indexed by {} = {key}", path(j.path))
                }
                None => String::new(),
            };
            format!("objects [{kinds}] in {envs}{ns}{join}")
        }
        DomainSource::Values => "values".into(),
    };
    format!("{}: {src}", dom.label)
}

fn sel_text(p: &Program, e: EnvSelId) -> String {
    p.env_sels.get(e.index()).map(|s| s.to_string()).unwrap_or_else(|| format!("env selector {e}?"))
}

fn const_text(c: &Const) -> String {
    match c {
        Const::Null => "null".into(),
        Const::Bool(b) => b.to_string(),
        Const::Num(n) => n.to_string(),
        Const::Str(s) => format!("{s:?}"),
        Const::Quantity(q) => format!("quantity {q}"),
        Const::Version(v) => format!("version {v}"),
    }
}

/// A path as rule text would write it.
pub fn path_text(segs: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    out.push_str(k);
                } else {
                    let _ = write!(out, "{k:?}");
                }
            }
            PathSeg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            PathSeg::Star => out.push_str("[*]"),
            PathSeg::Dyn => out.push_str("[…]"),
            PathSeg::PodSpec => out.push_str("podspec"),
            PathSeg::Containers => out.push_str("containers"),
        }
    }
    out
}
