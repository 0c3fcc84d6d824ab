//! Built-in functions' implementations, by the ids of the catalogue in
//! `bytecode::functions`. Every function returns absent when an argument it
//! needs is absent or of the wrong type, never an error.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::schema_fns as schema;
use super::value::{Val, as_quantity, as_version, into_set, to_json};
use crate::world::{Quantity, Version};

pub type FuncImpl = for<'w> fn(&[Val<'w>]) -> Val<'w>;

/// The implementations, by function id: the same order as
/// [`crate::bytecode::functions::FUNCTIONS`], with the name to prove it.
pub static IMPLS: &[(&str, FuncImpl)] = &[
    ("quantity", quantity),
    ("version", version),
    ("minor", minor),
    ("major", major),
    ("string", string),
    ("number", number),
    ("lower", lower),
    ("upper", upper),
    ("trim", trim),
    ("len", len),
    ("count", len),
    ("keys", keys),
    ("values", values),
    ("flatten", flatten),
    ("unique", unique),
    ("first", first),
    ("last", last),
    ("sum", sum),
    ("max", max),
    ("min", min),
    ("default", default),
    ("before", before),
    ("after", after),
    ("split", split),
    ("join", join),
    ("replace", replace),
    ("name", obj_name),
    ("namespace", namespace),
    ("kind", kind),
    ("labels", labels),
    ("annotations", annotations),
    ("if", if_),
    ("schema-problems", schema::schema_problems),
    ("schema-accepts", schema::schema_accepts),
    ("api-served", schema::api_served),
    ("api-replacement", schema::api_replacement),
    ("api-unknown-kind", schema::api_unknown_kind),
    ("schema-version", schema::schema_version),
    ("custom-kind", schema::custom_kind),
    ("crd-problems", schema::crd_problems),
];

/// Functions that, when a finding is traced, also say which node of the
/// subject they found a problem at (the finding's line).
pub type Locator = for<'w> fn(&[Val<'w>]) -> Option<crate::world::tree::NodeRef<'w>>;

/// The locator of a function, by id.
pub fn locator(id: crate::bytecode::FuncId) -> Option<Locator> {
    match IMPLS.get(id.index())?.0 {
        "schema-problems" => Some(schema::schema_problems_at),
        "schema-accepts" => Some(schema::schema_problems_at),
        "crd-problems" => Some(schema::crd_problems_at),
        _ => None,
    }
}

/// The implementation of a function id.
pub fn implementation(id: crate::bytecode::FuncId) -> Option<FuncImpl> {
    IMPLS.get(id.index()).map(|(_, f)| *f)
}

fn text<'a>(v: &'a Val) -> Option<&'a str> {
    v.as_str()
}

fn quantity<'w>(a: &[Val<'w>]) -> Val<'w> {
    as_quantity(&a[0]).map(Val::Qty).unwrap_or(Val::Absent)
}

fn version<'w>(a: &[Val<'w>]) -> Val<'w> {
    as_version(&a[0]).map(|v| Val::Ver(Rc::new(v))).unwrap_or(Val::Absent)
}

fn minor<'w>(a: &[Val<'w>]) -> Val<'w> {
    as_version(&a[0]).map(|v| Val::Ver(Rc::new(v.minor()))).unwrap_or(Val::Absent)
}

fn major<'w>(a: &[Val<'w>]) -> Val<'w> {
    as_version(&a[0]).map(|v| Val::Num(v.major() as f64)).unwrap_or(Val::Absent)
}

fn string<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        Val::Absent => Val::Absent,
        v @ (Val::S(_) | Val::Str(_)) => v.clone(),
        Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => Val::str(format!("{}", *n as i64)),
        Val::Qty(q) => Val::str(q.to_string()),
        Val::Ver(v) => Val::str(v.to_string()),
        Val::Obj(o) => Val::str(super::value::object_label(o)),
        other => Val::str(to_json(other).to_string()),
    }
}

fn number<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        Val::Num(n) => Val::Num(*n),
        v => text(v).and_then(|s| s.trim().parse::<f64>().ok()).map(Val::Num).unwrap_or(Val::Absent),
    }
}

fn lower<'w>(a: &[Val<'w>]) -> Val<'w> {
    text(&a[0]).map(|s| Val::str(s.to_lowercase())).unwrap_or(Val::Absent)
}

fn upper<'w>(a: &[Val<'w>]) -> Val<'w> {
    text(&a[0]).map(|s| Val::str(s.to_uppercase())).unwrap_or(Val::Absent)
}

fn trim<'w>(a: &[Val<'w>]) -> Val<'w> {
    text(&a[0]).map(|s| Val::str(s.trim())).unwrap_or(Val::Absent)
}

fn len<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        v if text(v).is_some() => Val::Num(text(v).map(|s| s.chars().count()).unwrap_or(0) as f64),
        v => match v {
            Val::J(j) if j.is_map() => Val::Num(j.len() as f64),
            Val::Map(m) => Val::Num(m.len() as f64),
            _ => v.elements().map(|e| Val::Num(e.len() as f64)).unwrap_or(Val::Absent),
        },
    }
}

fn keys<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        // Tree maps are sorted by key already.
        Val::J(j) if j.is_map() => Val::List(Rc::new(j.entries().map(|(k, _)| Val::S(k)).collect())),
        Val::Map(m) => Val::List(Rc::new(m.keys().map(|k| Val::str(k.as_str())).collect())),
        _ => Val::Absent,
    }
}

fn values<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        v if v.is_map() => Val::List(Rc::new(super::value::entries(v).into_iter().map(|(_, v)| v).collect())),
        _ => Val::Absent,
    }
}

fn flatten<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(outer) = a[0].elements() else { return Val::Absent };
    let mut out = Vec::new();
    for v in outer {
        match v.elements() {
            Some(inner) if !v.is_map() => out.extend(inner),
            _ => out.push(v),
        }
    }
    Val::List(Rc::new(out))
}

fn unique<'w>(a: &[Val<'w>]) -> Val<'w> {
    a[0].elements().map(|e| Val::List(Rc::new(into_set(e)))).unwrap_or(Val::Absent)
}

fn first<'w>(a: &[Val<'w>]) -> Val<'w> {
    a[0].get_index(0)
}

fn last<'w>(a: &[Val<'w>]) -> Val<'w> {
    a[0].get_index(-1)
}

fn sum<'w>(a: &[Val<'w>]) -> Val<'w> {
    let Some(items) = a[0].elements() else { return Val::Absent };
    if items.iter().all(|v| matches!(v, Val::Num(_))) {
        return Val::Num(items.iter().map(|v| if let Val::Num(n) = v { *n } else { 0.0 }).sum());
    }
    let mut total: i128 = 0;
    for v in &items {
        match as_quantity(v) {
            Some(q) => total = total.saturating_add(q.nanos()),
            None => return Val::Absent,
        }
    }
    Val::Qty(Quantity::from_nanos(total))
}

fn extreme<'w>(a: &[Val<'w>], want: std::cmp::Ordering) -> Val<'w> {
    let Some(items) = a[0].elements() else { return Val::Absent };
    let mut best: Option<Val<'w>> = None;
    for v in items {
        best = match best {
            None => Some(v),
            Some(b) => match super::value::compare(&v, &b) {
                Some(o) if o == want => Some(v),
                Some(_) => Some(b),
                None => return Val::Absent,
            },
        };
    }
    best.unwrap_or(Val::Absent)
}

fn max<'w>(a: &[Val<'w>]) -> Val<'w> {
    extreme(a, std::cmp::Ordering::Greater)
}

fn min<'w>(a: &[Val<'w>]) -> Val<'w> {
    extreme(a, std::cmp::Ordering::Less)
}

fn default<'w>(a: &[Val<'w>]) -> Val<'w> {
    if a[0].exists() { a[0].clone() } else { a[1].clone() }
}

fn if_<'w>(a: &[Val<'w>]) -> Val<'w> {
    if a[0].truthy() { a[1].clone() } else { a[2].clone() }
}

fn before<'w>(a: &[Val<'w>]) -> Val<'w> {
    match (text(&a[0]), text(&a[1])) {
        (Some(s), Some(sep)) => Val::str(s.split_once(sep).map(|(b, _)| b).unwrap_or(s)),
        _ => Val::Absent,
    }
}

fn after<'w>(a: &[Val<'w>]) -> Val<'w> {
    match (text(&a[0]), text(&a[1])) {
        (Some(s), Some(sep)) => s.split_once(sep).map(|(_, x)| Val::str(x)).unwrap_or(Val::Absent),
        _ => Val::Absent,
    }
}

fn split<'w>(a: &[Val<'w>]) -> Val<'w> {
    match (text(&a[0]), text(&a[1])) {
        (Some(s), Some(sep)) if !sep.is_empty() => Val::List(Rc::new(s.split(sep).map(Val::str).collect())),
        _ => Val::Absent,
    }
}

fn join<'w>(a: &[Val<'w>]) -> Val<'w> {
    let (Some(items), Some(sep)) = (a[0].elements(), text(&a[1])) else { return Val::Absent };
    let parts: Option<Vec<String>> = items.iter().map(|v| text(v).map(str::to_string)).collect();
    parts.map(|p| Val::str(p.join(sep))).unwrap_or(Val::Absent)
}

fn replace<'w>(a: &[Val<'w>]) -> Val<'w> {
    match (text(&a[0]), text(&a[1]), text(&a[2])) {
        (Some(s), Some(from), Some(to)) if !from.is_empty() => Val::str(s.replace(from, to)),
        _ => Val::Absent,
    }
}

fn obj_name<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        Val::Obj(o) => Val::str(o.name.as_ref()),
        v => v.get_key("name"),
    }
}

fn namespace<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        Val::Obj(o) if o.kind.eq_ignore_ascii_case("namespace") => Val::str(o.name.as_ref()),
        Val::Obj(o) => o.namespace.as_ref().map(|n| Val::str(n.as_ref())).unwrap_or(Val::Absent),
        _ => Val::Absent,
    }
}

fn kind<'w>(a: &[Val<'w>]) -> Val<'w> {
    match &a[0] {
        Val::Obj(o) => Val::str(o.kind.as_ref()),
        v => v.get_key("kind"),
    }
}

fn meta_map<'w>(a: &[Val<'w>], key: &str) -> Val<'w> {
    match &a[0] {
        Val::Obj(o) => match o.value().get("metadata").and_then(|m| m.get(key)) {
            Some(j) => Val::json(j),
            None => Val::Map(Rc::new(BTreeMap::new())),
        },
        _ => Val::Absent,
    }
}

fn labels<'w>(a: &[Val<'w>]) -> Val<'w> {
    meta_map(a, "labels")
}

fn annotations<'w>(a: &[Val<'w>]) -> Val<'w> {
    meta_map(a, "annotations")
}

/// Parses a version literal from rule text.
pub fn version_literal(s: &str) -> Option<Version> {
    Version::parse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementations_follow_the_catalogue() {
        let catalogue: Vec<&str> = crate::bytecode::functions::FUNCTIONS.iter().map(|f| f.name).collect();
        let implemented: Vec<&str> = IMPLS.iter().map(|(name, _)| *name).collect();
        assert_eq!(catalogue, implemented);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = IMPLS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate built-in function names");
    }

    #[test]
    fn string_helpers() {
        let v = [Val::S("containerd://1.7.2"), Val::S("://")];
        assert_eq!(before(&v).as_str(), Some("containerd"));
        assert_eq!(after(&v).as_str(), Some("1.7.2"));
        let m = minor(&[Val::S("v1.30.4")]);
        assert!(matches!(m, Val::Ver(ref x) if x.to_string() == "v1.30"));
        assert!(default(&[Val::Absent, Val::S("TCP")]).as_str() == Some("TCP"));
    }

    #[test]
    fn if_reads_its_condition_as_a_rule_condition() {
        let pick = |c: Val<'static>| if_(&[c, Val::S("then"), Val::S("else")]).as_str().map(str::to_string);
        assert_eq!(pick(Val::Bool(true)).as_deref(), Some("then"));
        assert_eq!(pick(Val::Bool(false)).as_deref(), Some("else"));
        // Absent is false and a present value is true, as in `where FIELD`.
        assert_eq!(pick(Val::Absent).as_deref(), Some("else"));
        assert_eq!(pick(Val::S("yes")).as_deref(), Some("then"));
        // Only the chosen branch is returned, absent included.
        assert!(if_(&[Val::Bool(true), Val::Absent, Val::S("x")]).is_absent());
    }
}
