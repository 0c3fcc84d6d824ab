//! A noun phrase over `object` filtered to kinds (`object where kind =
//! "Widget"`, `noun rollout = object where kind = "Rollout" and ...`, `kind
//! = "A" or kind = "B"`) is typed as those kinds, so that its field paths
//! are checked against their schemas (bundled, or a CRD given with `--crd`)
//! like paths on a kind noun, and its comparisons are typed by them.

use crate::syntax::ast::{CmpOp, Expr, ExprKind, Filter, Lit, Test};

/// The kinds (lower case) a filter list restricts objects to, when one of
/// its conditions is `kind = "K"` (alone, as a conjunct of `and`, or as a
/// disjunction of such equalities); `None` otherwise.
pub fn kinds(filters: &[Filter]) -> Option<Vec<String>> {
    filters.iter().find_map(|f| match f {
        Filter::Where(e) | Filter::With(e) => of_cond(e),
        _ => None,
    })
}

fn of_cond(e: &Expr) -> Option<Vec<String>> {
    match &e.kind {
        ExprKind::And(parts) => parts.iter().find_map(of_cond),
        ExprKind::Or(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(of_cond(p)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        ExprKind::Test { value, test: Test::Cmp(CmpOp::Eq, rhs) } => match (is_kind(value), is_kind(rhs)) {
            (true, false) => literal(rhs),
            (false, true) => literal(value),
            _ => None,
        }
        .map(|k| vec![k]),
        _ => None,
    }
}

fn is_kind(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(p) => p.segs.is_empty() && p.head.text == "kind",
        ExprKind::Bare { np, pred: None } => {
            np.filters.is_empty()
                && np.alts.is_empty()
                && matches!(np.words.as_slice(), [crate::syntax::ast::Word::Name(t)] if t.text == "kind")
        }
        _ => false,
    }
}

fn literal(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Lit(Lit::Str(s)) if !s.is_empty() => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}
