//! Message templates: `{placeholders}` compiled in the scope where a
//! check makes its findings, and the names a condition binds.

use super::*;
use crate::diag::DiagCode;

/// Every name a rule body binds (`as NAME` after a noun, `with counterpart
/// in ENV as NAME`), wherever it stands.
pub(super) fn bound_names(e: &Expr, out: &mut Vec<String>) {
    fn np(n: &crate::syntax::ast::NounPhrase, out: &mut Vec<String>) {
        for w in &n.words {
            if let crate::syntax::ast::Word::Call { args, .. } = w {
                args.iter().for_each(|a| bound_names(a, out));
            }
        }
        for f in &n.filters {
            match f {
                Filter::As(t) => out.push(t.text.clone()),
                Filter::Counterpart { bind: Some(t), .. } => out.push(t.text.clone()),
                Filter::With(x) | Filter::Where(x) => bound_names(x, out),
                Filter::In(Scope::Namespace(x), _) | Filter::NotIn(Scope::Namespace(x), _) => bound_names(x, out),
                _ => {}
            }
        }
    }
    fn pred(p: &crate::syntax::ast::Pred, out: &mut Vec<String>) {
        if let crate::syntax::ast::PredKind::Has(x) = &p.kind {
            bound_names(x, out);
        }
    }
    match &e.kind {
        ExprKind::Or(v) | ExprKind::And(v) | ExprKind::List(v) | ExprKind::Add(v) => {
            v.iter().for_each(|x| bound_names(x, out))
        }
        ExprKind::Not(x) | ExprKind::Has(x) => bound_names(x, out),
        ExprKind::Paren { expr, .. } => bound_names(expr, out),
        ExprKind::Agree { filters, value } => {
            for f in filters {
                if let Filter::As(t) = f {
                    out.push(t.text.clone());
                }
            }
            bound_names(value, out);
        }
        ExprKind::EnvSubject { pred: p, .. } => pred(p, out),
        ExprKind::Quantified { np: n, pred: p, .. } | ExprKind::Bare { np: n, pred: p } => {
            np(n, out);
            if let Some(p) = p {
                pred(p, out);
            }
        }
        ExprKind::Comprehension { value, np: n } => {
            bound_names(value, out);
            np(n, out);
        }
        ExprKind::Test { value, .. } => bound_names(value, out),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| bound_names(a, out)),
        ExprKind::Map(kv) => kv.iter().for_each(|(_, x)| bound_names(x, out)),
        _ => {}
    }
}

/// The first path head of a placeholder expression that names something the
/// rule binds but the finding's scope cannot see.
pub(super) fn unseen_name<'e>(e: &'e Expr, bound: &[String], cx: &Cx) -> Option<&'e Text> {
    let hides = |t: &Text| bound.contains(&t.text) && !cx.binds.iter().any(|(n, _)| *n == t.text);
    match &e.kind {
        ExprKind::Path(p) if hides(&p.head) => Some(&p.head),
        ExprKind::Bare { np, .. } => np.words.iter().find_map(|w| match w {
            crate::syntax::ast::Word::Name(t) if hides(t) => Some(t),
            crate::syntax::ast::Word::Path(p) if hides(&p.head) => Some(&p.head),
            _ => None,
        }),
        ExprKind::Or(v) | ExprKind::And(v) | ExprKind::List(v) | ExprKind::Add(v) => {
            v.iter().find_map(|x| unseen_name(x, bound, cx))
        }
        ExprKind::Not(x) | ExprKind::Has(x) => unseen_name(x, bound, cx),
        ExprKind::Paren { expr, .. } => unseen_name(expr, bound, cx),
        ExprKind::Test { value, .. } => unseen_name(value, bound, cx),
        ExprKind::Call { args, .. } => args.iter().find_map(|a| unseen_name(a, bound, cx)),
        _ => None,
    }
}

/// The offset of the `}` that closes the `{` at the start of `s`: braces
/// nest (`{join({ name for envs }, ", ")}`), and braces inside string
/// literals do not count.
pub(super) fn closing_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quote = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses `{...}` placeholders of a message into code, in the scope where
/// the finding is made. A placeholder that names something the rule binds
/// out of that scope (inside the predicate) is an error, never an absent
/// value.
pub(super) fn template(g: &mut Gen, t: &Text, cx: &Cx, bound: &[String]) -> Result<Vec<Piece>, Diag> {
    let mut pieces = Vec::new();
    let mut rest = t.text.as_str();
    // Offset of the text inside the source: after the opening quote(s).
    let raw = g.sources.slice(t.span);
    let quote = if raw.starts_with("\"\"\"") { 3 } else { 1 };
    let mut offset = t.span.start as usize + quote;
    while let Some(open) = rest.find('{') {
        let Some(close) = closing_brace(&rest[open..]) else { break };
        if open > 0 {
            pieces.push(Piece::Lit(rest[..open].to_string()));
        }
        let inner = &rest[open + 1..open + close];
        let at = offset + open + 1;
        match inner.trim() {
            "evidence" => pieces.push(Piece::Evidence),
            "missing-envs" => pieces.push(Piece::MissingEnvs),
            word => {
                // `{name}`, `{namespace}`, `{kind}` name the subject object.
                let inner = match word {
                    "name" | "namespace" | "kind" => format!("{word}(it)"),
                    _ => inner.to_string(),
                };
                // Parsed on its own, with spans where it sits in the rule file.
                let expr = crate::syntax::parse_body_at(t.span.source, &inner, at).map_err(|mut d| {
                    d.message = format!("in message placeholder: {}", d.message);
                    d
                })?;
                if let Some(name) = unseen_name(&expr, bound, cx) {
                    return Err(Diag::new(
                        DiagCode::UnknownName,
                        name.span,
                        format!("`{}` is bound inside the rule's predicate, where a message cannot see it", name.text),
                    )
                    .label("not visible where the finding is made")
                    .help(
                        "a message sees the subject (`it`, `env`) and the names bound in the subject's own \
                         phrase: `every deployment as d with counterpart in env staging as s has ...`",
                    ));
                }
                let code = g.block(|g| g.value(&expr, cx))?;
                pieces.push(Piece::Expr(code));
            }
        }
        offset += open + close + 1;
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest.to_string()));
    }
    Ok(pieces)
}
