//! Values during evaluation. JSON from the world and constants from the
//! program are borrowed, never copied; only computed values allocate.
//!
//! Comparison follows the language's rules: anything compared with absent is
//! false; values of different types are unequal *and* not different (both
//! `=` and `!=` are false); quantities and versions compare as Kubernetes
//! means them, reading strings and numbers on the other side.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value as Json;

use crate::world::tree::{Node, NodeRef};
use crate::world::{EnvId, Object, Quantity, Version};

#[derive(Debug, Clone)]
pub enum Val<'w> {
    Absent,
    Null,
    Bool(bool),
    Num(f64),
    /// A string borrowed from the world or the program.
    S(&'w str),
    /// A computed string.
    Str(Rc<str>),
    /// A sequence or mapping from the world.
    J(NodeRef<'w>),
    Obj(&'w Object),
    Env(EnvId),
    Qty(Quantity),
    Ver(Rc<Version>),
    List(Rc<Vec<Val<'w>>>),
    Map(Rc<BTreeMap<String, Val<'w>>>),
}

impl<'w> Val<'w> {
    /// A node of the world as a value: scalars become typed values.
    pub fn json(j: NodeRef<'w>) -> Val<'w> {
        match j.node() {
            Node::Null => Val::Null,
            Node::Bool(b) => Val::Bool(b),
            Node::Int(i) => Val::int(i as i128),
            Node::UInt(u) => Val::int(u as i128),
            Node::Float(f) => Val::Num(f),
            Node::Str(_) => j.as_str().map(Val::S).unwrap_or(Val::Null),
            Node::Seq { .. } | Node::Map { .. } => Val::J(j),
        }
    }

    /// A copy of a JSON value (computed values: JSONPath results).
    pub fn owned(j: &Json) -> Val<'w> {
        match j {
            Json::Null => Val::Null,
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Val::int(i as i128),
                (_, Some(u)) => Val::int(u as i128),
                _ => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Val::str(s.as_str()),
            Json::Array(a) => Val::List(Rc::new(a.iter().map(Val::owned).collect())),
            Json::Object(o) => Val::Map(Rc::new(o.iter().map(|(k, v)| (k.clone(), Val::owned(v))).collect())),
        }
    }

    /// An integer: a number when a float holds it exactly (|i| <= 2^53 and
    /// more), else an exact quantity, so that integers above 2^53 still
    /// compare exactly (with each other, with numbers, with quantities).
    pub fn int(i: i128) -> Val<'w> {
        if (i as f64) as i128 == i {
            return Val::Num(i as f64);
        }
        i.checked_mul(1_000_000_000).map(|n| Val::Qty(Quantity::from_nanos(n))).unwrap_or(Val::Num(i as f64))
    }

    pub fn str(s: impl Into<Rc<str>>) -> Val<'w> {
        Val::Str(s.into())
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Val::Absent)
    }

    /// A mapping (from the world or computed).
    pub fn is_map(&self) -> bool {
        matches!(self, Val::J(j) if j.is_map()) || matches!(self, Val::Map(_))
    }

    /// Present and not null.
    pub fn exists(&self) -> bool {
        !matches!(self, Val::Absent | Val::Null)
    }

    /// Absent, null, "", [] or {}.
    pub fn is_empty(&self) -> bool {
        match self {
            Val::Absent | Val::Null => true,
            Val::S(s) => s.is_empty(),
            Val::Str(s) => s.is_empty(),
            Val::J(j) => j.is_empty(),
            Val::List(l) => l.is_empty(),
            Val::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// The value as a condition.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Bool(b) => *b,
            other => other.exists(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::S(s) => Some(s),
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of a list-like value (a JSON array, a list, or a map's
    /// values); `None` for anything else.
    pub fn elements(&self) -> Option<Vec<Val<'w>>> {
        match self {
            Val::J(j) => Some(j.iter().map(Val::json).collect()),
            Val::List(l) => Some(l.as_ref().clone()),
            Val::Map(m) => Some(m.values().cloned().collect()),
            _ => None,
        }
    }

    /// The value of a key of a map-like value.
    pub fn get_key(&self, key: &str) -> Val<'w> {
        match self {
            Val::J(j) => j.get(key).map(Val::json).unwrap_or(Val::Absent),
            Val::Map(m) => m.get(key).cloned().unwrap_or(Val::Absent),
            Val::Obj(o) => o.value().get(key).map(Val::json).unwrap_or(Val::Absent),
            _ => Val::Absent,
        }
    }

    /// An element of a list-like value; negative indexes count from the end.
    pub fn get_index(&self, i: i64) -> Val<'w> {
        let pick = |len: usize| -> Option<usize> {
            let i = if i < 0 { len as i64 + i } else { i };
            (0..len as i64).contains(&i).then_some(i as usize)
        };
        match self {
            Val::J(j) if j.is_seq() => pick(j.len()).and_then(|i| j.at(i)).map(Val::json).unwrap_or(Val::Absent),
            Val::List(l) => pick(l.len()).map(|i| l[i].clone()).unwrap_or(Val::Absent),
            _ => Val::Absent,
        }
    }

    /// A short name of the value's type, for `--explain` and evidence.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Absent => "absent",
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Num(_) => "number",
            Val::S(_) | Val::Str(_) => "string",
            Val::J(j) if j.is_seq() => "list",
            Val::List(_) => "list",
            Val::J(_) | Val::Map(_) => "map",
            Val::Obj(_) => "object",
            Val::Env(_) => "env",
            Val::Qty(_) => "quantity",
            Val::Ver(_) => "version",
        }
    }
}

/// Reads a value as a quantity: a quantity, a number, or a string in
/// quantity syntax.
pub fn as_quantity(v: &Val) -> Option<Quantity> {
    match v {
        Val::Qty(q) => Some(*q),
        Val::Num(n) => Quantity::from_f64(*n),
        Val::S(_) | Val::Str(_) => v.as_str().and_then(Quantity::parse),
        _ => None,
    }
}

/// Reads a value as a version: a version or a string in version syntax.
pub fn as_version(v: &Val) -> Option<Version> {
    match v {
        Val::Ver(x) => Some(x.as_ref().clone()),
        Val::S(_) | Val::Str(_) => v.as_str().and_then(Version::parse),
        Val::Num(n) => Version::parse(&n.to_string()),
        _ => None,
    }
}

/// Orders two values where the language gives them an order; `None` when
/// either is absent or their types differ (so every comparison is false).
pub fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    use Val::*;
    match (a, b) {
        (Absent, _) | (_, Absent) => None,
        (Qty(x), _) => as_quantity(b).map(|y| x.cmp(&y)),
        (_, Qty(y)) => as_quantity(a).map(|x| x.cmp(y)),
        // A version reads a string (or version) on the other side, never a
        // number: `1.30` in YAML is the number 1.3, not v1.30.
        (Ver(_), Num(_)) | (Num(_), Ver(_)) => None,
        (Ver(x), _) => as_version(b).map(|y| x.as_ref().cmp(&y)),
        (_, Ver(y)) => as_version(a).map(|x| x.cmp(y)),
        (Num(x), Num(y)) => x.partial_cmp(y),
        // `cpu: 500m` against `1`: a quantity string and a number compare as
        // quantities.
        (Num(_), S(_) | Str(_)) | (S(_) | Str(_), Num(_)) => match (as_quantity(a), as_quantity(b)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => None,
        },
        (Null, Null) => Some(Ordering::Equal),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Env(x), Env(y)) => Some(x.cmp(y)),
        (Obj(x), Obj(y)) => std::ptr::eq(*x, *y).then_some(Ordering::Equal),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            _ => None,
        },
    }
}

/// How two strings that both come from data (neither side a string literal)
/// are compared: the one typing rule of docs/language.md, "Comparing two
/// values".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// Both read as versions: both in version syntax with at least two
    /// numeric parts, and at least one written with a `v` or both with three
    /// parts (`v1.10.0` vs `v1.9.0`, `1.28.3` vs `1.28.10`).
    Version,
    /// Both read as Kubernetes quantities, at least one with a suffix or an
    /// exponent (`250m` vs `"1"`, `2Gi` vs `2048Mi`).
    Quantity,
    /// Both plain decimal numbers written as strings (`"10"` vs `"9"`).
    Number,
}

impl Typing {
    pub fn name(self) -> &'static str {
        match self {
            Typing::Version => "version",
            Typing::Quantity => "quantity",
            Typing::Number => "number",
        }
    }
}

/// The typing of two data strings, and both values converted to it; `None`
/// when they compare as text.
pub fn typed_strings<'w>(a: &Val<'w>, b: &Val<'w>) -> Option<(Typing, Val<'w>, Val<'w>)> {
    let (x, y) = (a.as_str()?, b.as_str()?);
    if !may_be_typed(x) || !may_be_typed(y) {
        return None;
    }
    if let (Some(v), Some(w)) = (version_like(x), version_like(y))
        && (v.has_v_prefix() || w.has_v_prefix() || (v.parts_written() >= 3 && w.parts_written() >= 3))
    {
        return Some((Typing::Version, Val::Ver(Rc::new(v)), Val::Ver(Rc::new(w))));
    }
    let (p, q) = (Quantity::parse(x)?, Quantity::parse(y)?);
    let plain = |s: &str| s.trim().chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    let typing = if plain(x) && plain(y) { Typing::Number } else { Typing::Quantity };
    Some((typing, Val::Qty(p), Val::Qty(q)))
}

/// Whether `s` could read as a version or a quantity: both start (after
/// white space) with a digit, a `v`/`V` (versions), a sign or a `.`
/// (quantities), so a name or an image never pays for a parse.
fn may_be_typed(s: &str) -> bool {
    s.trim_start().bytes().next().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'v' | b'V' | b'+' | b'-' | b'.'))
}

/// A string in version syntax with at least major and minor.
fn version_like(s: &str) -> Option<Version> {
    Version::parse(s).filter(|v| v.parts_written() >= 2)
}

fn is_listy(v: &Val) -> bool {
    matches!(v, Val::J(j) if j.is_seq()) || matches!(v, Val::List(_))
}

fn is_mappy(v: &Val) -> bool {
    matches!(v, Val::J(j) if j.is_map()) || matches!(v, Val::Map(_))
}

/// Structural equality, with the same coercions as [`compare`].
pub fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Absent, _) | (_, Val::Absent) => false,
        // Lists and maps element by element, in place: no copy of either
        // (a set of port pairs compares thousands of small lists).
        (Val::List(x), Val::List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q)),
        (Val::J(x), Val::J(y)) if x.is_seq() && y.is_seq() => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(&Val::json(p), &Val::json(q)))
        }
        (Val::List(x), Val::J(y)) | (Val::J(y), Val::List(x)) if y.is_seq() => {
            // `equal` is symmetric, so the order of the two does not matter.
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, &Val::json(q)))
        }
        (Val::Map(x), Val::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|((k1, v1), (k2, v2))| k1 == k2 && equal(v1, v2))
        }
        (Val::J(x), Val::J(y)) if x.is_map() && y.is_map() => {
            x.len() == y.len()
                && x.entries()
                    .zip(y.entries())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && equal(&Val::json(v1), &Val::json(v2)))
        }
        (Val::Map(x), Val::J(y)) | (Val::J(y), Val::Map(x)) if y.is_map() => {
            x.len() == y.len()
                && x.iter().zip(y.entries()).all(|((k1, v1), (k2, v2))| k1 == k2 && equal(v1, &Val::json(v2)))
        }
        (Val::Env(_), s) | (s, Val::Env(_)) if s.as_str().is_some() => false,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// `!=`: both values present, of comparable types, and not equal.
pub fn not_equal(a: &Val, b: &Val) -> bool {
    if is_listy(a) && is_listy(b) || is_mappy(a) && is_mappy(b) {
        return !equal(a, b);
    }
    matches!(compare(a, b), Some(o) if o != Ordering::Equal)
}

/// Key/value pairs of a map-like value, sorted by key.
pub fn entries<'w>(v: &Val<'w>) -> Vec<(String, Val<'w>)> {
    match v {
        // Tree maps are sorted by key already.
        Val::J(j) => j.entries().map(|(k, v)| (k.to_string(), Val::json(v))).collect(),
        Val::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

/// A total order used to sort and deduplicate sets: by type, then value.
pub fn total_order(a: &Val, b: &Val) -> Ordering {
    let rank = total_order_rank;
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Val::Obj(x), Val::Obj(y)) => (x.env, x.file, x.line).cmp(&(y.env, y.file, y.line)),
        _ if (6..=7).contains(&ra) => json_text(a).cmp(&json_text(b)),
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

/// The type rank [`total_order`] sorts by first.
fn total_order_rank(v: &Val) -> u8 {
    match v {
        Val::Absent => 0,
        Val::Null => 1,
        Val::Bool(_) => 2,
        Val::Num(_) | Val::Qty(_) => 3,
        Val::Ver(_) => 4,
        Val::S(_) | Val::Str(_) => 5,
        Val::J(j) if j.is_seq() => 6,
        Val::List(_) => 6,
        Val::J(_) | Val::Map(_) => 7,
        Val::Env(_) => 8,
        Val::Obj(_) => 9,
    }
}

/// Sorts and deduplicates values into a set.
pub fn into_set<'w>(mut vals: Vec<Val<'w>>) -> Vec<Val<'w>> {
    vals.retain(|v| !v.is_absent());
    if vals.len() < 2 {
        // Already a set (most port lists and image lists of one workload).
        return vals;
    }
    if vals.iter().any(|v| matches!(v, Val::J(_) | Val::List(_) | Val::Map(_))) {
        // Lists and maps order by their JSON text: serialise each once
        // rather than twice per comparison (same order as `total_order`).
        let mut keyed: Vec<(Option<String>, Val<'w>)> = vals
            .into_iter()
            .map(|v| {
                let text = matches!(v, Val::J(_) | Val::List(_) | Val::Map(_)).then(|| json_text(&v));
                (text, v)
            })
            .collect();
        keyed.sort_by(|a, b| keyed_order(a, b));
        keyed.dedup_by(|a, b| keyed_order(a, b) == Ordering::Equal && equal(&a.1, &b.1));
        return keyed.into_iter().map(|(_, v)| v).collect();
    }
    vals.sort_by(total_order);
    vals.dedup_by(|a, b| total_order(a, b) == Ordering::Equal && equal(a, b));
    vals
}

/// [`total_order`] of values keyed by their JSON text (lists and maps).
fn keyed_order(a: &(Option<String>, Val), b: &(Option<String>, Val)) -> Ordering {
    match (&a.0, &b.0) {
        (Some(x), Some(y)) if total_order_rank(&a.1) == total_order_rank(&b.1) => x.cmp(y),
        _ => total_order(&a.1, &b.1),
    }
}

/// A value as JSON, for evidence and messages. Objects become their
/// identity, envs their name (the caller passes env names).
pub fn to_json(v: &Val) -> Json {
    to_json_with(v, &|_| String::new())
}

pub fn to_json_with(v: &Val, env_name: &dyn Fn(EnvId) -> String) -> Json {
    serde_json::to_value(AsJson(v, env_name)).unwrap_or(Json::Null)
}

/// `to_json(v).to_string()`, written directly: the same text without
/// building a `serde_json::Value` (sets of lists and maps sort by it).
pub fn json_text(v: &Val) -> String {
    serde_json::to_string(&AsJson(v, &|_| String::new())).unwrap_or_default()
}

/// A value as JSON, the one mapping [`to_json_with`] and [`json_text`]
/// share: integral numbers as integers, quantities and versions as their
/// text, objects as their label, envs by name.
struct AsJson<'a, 'w>(&'a Val<'w>, &'a dyn Fn(EnvId) -> String);

impl serde::Serialize for AsJson<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Val::Absent => s.serialize_str("<absent>"),
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => s.serialize_i64(*n as i64),
            Val::Num(n) if n.is_finite() => s.serialize_f64(*n),
            Val::Num(_) => s.serialize_unit(),
            Val::S(x) => s.serialize_str(x),
            Val::Str(x) => s.serialize_str(x),
            Val::J(j) => j.serialize(s),
            Val::Obj(o) => s.serialize_str(&object_label(o)),
            Val::Env(e) => s.serialize_str(&(self.1)(*e)),
            Val::Qty(q) => s.collect_str(q),
            Val::Ver(x) => s.collect_str(x),
            Val::List(l) => s.collect_seq(l.iter().map(|x| AsJson(x, self.1))),
            Val::Map(m) => s.collect_map(m.iter().map(|(k, x)| (k, AsJson(x, self.1)))),
        }
    }
}

/// `Kind namespace/name` or `Kind name`.
pub fn object_label(o: &Object) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {}/{}", o.kind, ns, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// A value as text, for messages: strings bare, everything else as JSON.
pub fn display(v: &Val, env_name: &dyn Fn(EnvId) -> String) -> String {
    match v {
        Val::S(s) => (*s).to_string(),
        Val::Str(s) => s.to_string(),
        Val::Absent => "<absent>".into(),
        Val::Env(e) => env_name(*e),
        Val::Obj(o) => object_label(o),
        other => to_json_with(other, env_name).to_string(),
    }
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
