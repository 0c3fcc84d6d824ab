//! Operators that need more than one line: arithmetic, set tests, regex cost.

use super::*;

/// `lhs - rhs` (`sub`) or `lhs * rhs`: numbers as numbers; with a quantity
/// on either side (or a string, read in quantity syntax), by exact value.
/// A quantity may be multiplied by a number, not by a quantity. Anything
/// else, and overflow, is absent.
pub(super) fn arith<'w>(sub: bool, lhs: &Val<'w>, rhs: &Val<'w>) -> Val<'w> {
    use crate::world::Quantity;
    const NANOS: i128 = 1_000_000_000;
    match (lhs, rhs) {
        (Val::Num(a), Val::Num(b)) => Val::Num(if sub { a - b } else { a * b }),
        _ if sub => match (value::as_quantity(lhs), value::as_quantity(rhs)) {
            (Some(a), Some(b)) => {
                a.nanos().checked_sub(b.nanos()).map(|n| Val::Qty(Quantity::from_nanos(n))).unwrap_or(Val::Absent)
            }
            _ => Val::Absent,
        },
        (Val::Qty(_) | Val::S(_) | Val::Str(_), Val::Num(_)) | (Val::Num(_), Val::Qty(_) | Val::S(_) | Val::Str(_)) => {
            let (q, n) = if matches!(lhs, Val::Num(_)) { (rhs, lhs) } else { (lhs, rhs) };
            match (value::as_quantity(q), value::as_quantity(n)) {
                // (q nanos * n nanos) / 1e9, exact while it fits.
                (Some(q), Some(n)) => q
                    .nanos()
                    .checked_mul(n.nanos())
                    .map(|p| Val::Qty(Quantity::from_nanos(p / NANOS)))
                    .unwrap_or(Val::Absent),
                _ => Val::Absent,
            }
        }
        _ => Val::Absent,
    }
}

/// Whether every key/value pair of map `a` is in map `b`.
pub(super) fn map_subset(a: &Val, b: &Val) -> bool {
    let (x, y) = (value::entries(a), value::entries(b));
    x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && equal(v, v2)))
}

/// The size of a regex's program: its pattern's atoms with every counted
/// repetition expanded (`a[ab]{10000}c` is 10,002), the number of states a
/// match may track at each byte of the value.
pub fn regex_size(pattern: &str) -> u64 {
    use regex_syntax::hir::{Hir, HirKind};
    pub(super) fn size(h: &Hir) -> u64 {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => 1,
            HirKind::Literal(l) => l.0.len().max(1) as u64,
            HirKind::Repetition(r) => {
                let times = r.max.unwrap_or(r.min).max(r.min).max(1) as u64;
                size(&r.sub).saturating_mul(times)
            }
            HirKind::Capture(c) => size(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().map(size).fold(0u64, |a, b| a.saturating_add(b)),
        }
    }
    regex_syntax::Parser::new().parse(pattern).map(|h| size(&h)).unwrap_or(pattern.len() as u64).max(1)
}

/// The elements of a list-like value: a computed list's own, not copied.
fn items<'a, 'w>(v: &'a Val<'w>) -> Option<std::borrow::Cow<'a, [Val<'w>]>> {
    match v {
        Val::List(l) => Some(std::borrow::Cow::Borrowed(l.as_slice())),
        _ => v.elements().map(std::borrow::Cow::Owned),
    }
}

pub(super) fn test2(kind: Check2, lhs: &Val, rhs: &Val) -> bool {
    if lhs.is_absent() || rhs.is_absent() {
        return false;
    }
    let member = |x: &Val, coll: &Val| -> bool {
        match coll {
            c if c.is_map() => x.as_str().is_some_and(|k| !coll.get_key(k).is_absent()),
            // Scan in place: `elements()` would copy the whole list per test.
            Val::List(items) => items.iter().any(|i| equal(x, i)),
            Val::J(items) => items.iter().any(|i| equal(x, &Val::json(i))),
            _ => matches!((x.as_str(), coll.as_str()), (Some(a), Some(b)) if b.contains(a)),
        }
    };
    // Two maps are sets of key/value pairs: `{app: api} subset of {app:
    // api, tier: web}`.
    if matches!(kind, Check2::SubsetOf | Check2::SameSetAs) && lhs.is_map() && rhs.is_map() {
        return map_subset(lhs, rhs) && (kind == Check2::SubsetOf || map_subset(rhs, lhs));
    }
    match kind {
        Check2::In => member(lhs, rhs),
        Check2::Contains => member(rhs, lhs),
        Check2::StartsWith => matches!((lhs.as_str(), rhs.as_str()), (Some(a), Some(b)) if a.starts_with(b)),
        Check2::EndsWith => matches!((lhs.as_str(), rhs.as_str()), (Some(a), Some(b)) if a.ends_with(b)),
        Check2::SubsetOf => match items(lhs) {
            // (`elements()` is some for exactly these: not copied to ask.)
            Some(items) => {
                matches!(rhs, Val::J(_) | Val::List(_) | Val::Map(_)) && items.iter().all(|i| member(i, rhs))
            }
            None => false,
        },
        Check2::SameSetAs => match (items(lhs), items(rhs)) {
            (Some(a), Some(b)) => a.iter().all(|i| member(i, rhs)) && b.iter().all(|i| member(i, lhs)),
            _ => false,
        },
    }
}
