//! Built-in functions, as a static table: name, arity, implementation and a
//! one-line doc that `docs/language.md` lists. Every function returns absent
//! when an argument it needs is absent or of the wrong type, never an error.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::value::{Val, as_quantity, as_version, into_set, to_json};
use crate::schema::functions as schema;
use crate::world::{Quantity, Version};

pub type FuncImpl = for<'w> fn(&[Val<'w>]) -> Val<'w>;

pub struct Func {
    pub name: &'static str,
    pub min: usize,
    pub max: usize,
    pub imp: FuncImpl,
    pub doc: &'static str,
}

macro_rules! f {
    ($name:literal, $min:literal, $max:literal, $imp:expr, $doc:literal) => {
        Func { name: $name, min: $min, max: $max, imp: $imp, doc: $doc }
    };
}

pub static FUNCTIONS: &[Func] = &[
    f!("quantity", 1, 1, quantity, "reads a value as a Kubernetes quantity (`quantity(\"500m\")`)"),
    f!("version", 1, 1, version, "reads a value as a version (`version(\"v1.30.4\")`)"),
    f!("minor", 1, 1, minor, "the minor release of a version: `minor(\"v1.30.4\")` is `v1.30`"),
    f!("major", 1, 1, major, "the major number of a version"),
    f!("string", 1, 1, string, "a value as text"),
    f!("number", 1, 1, number, "a string as a number"),
    f!("lower", 1, 1, lower, "lower-cases a string"),
    f!("upper", 1, 1, upper, "upper-cases a string"),
    f!("trim", 1, 1, trim, "strips surrounding white space"),
    f!("len", 1, 1, len, "the length of a string, list or map"),
    f!("count", 1, 1, len, "the number of elements of a list (same as `len`)"),
    f!("keys", 1, 1, keys, "the keys of a map, sorted"),
    f!("values", 1, 1, values, "the values of a map, by key"),
    f!("flatten", 1, 1, flatten, "joins a list of lists into one list"),
    f!("unique", 1, 1, unique, "a list sorted with duplicates removed"),
    f!("first", 1, 1, first, "the first element of a list"),
    f!("last", 1, 1, last, "the last element of a list"),
    f!("sum", 1, 1, sum, "the sum of a list of numbers or quantities"),
    f!("max", 1, 1, max, "the largest element of a list"),
    f!("min", 1, 1, min, "the smallest element of a list"),
    f!("default", 2, 2, default, "the first argument, or the second when the first is absent or null"),
    f!("before", 2, 2, before, "the text before the first occurrence of a separator (all of it if none)"),
    f!("after", 2, 2, after, "the text after the first occurrence of a separator (absent if none)"),
    f!("split", 2, 2, split, "splits a string on a separator"),
    f!("join", 2, 2, join, "joins a list of strings with a separator"),
    f!("replace", 3, 3, replace, "replaces every occurrence of a text"),
    f!("name", 1, 1, obj_name, "an object's name"),
    f!("namespace", 1, 1, namespace, "an object's namespace; for a Namespace, its own name"),
    f!("kind", 1, 1, kind, "an object's kind"),
    f!("labels", 1, 1, labels, "an object's labels (a map, empty when none)"),
    f!("annotations", 1, 1, annotations, "an object's annotations (a map, empty when none)"),
    // Last, so that the ids of the functions before it (shown by
    // `compile --dump`) stay as they were.
    f!("if", 3, 3, if_, "the second argument when the first is true (or present and not false), else the third"),
    // The schema functions (src/schema/functions.rs); the version is a
    // Kubernetes version (`env.version`), the newest bundled when absent.
    f!(
        "schema-problems",
        2,
        2,
        schema::schema_problems,
        "an object's problems against its kind's schema in a Kubernetes version (`schema-problems(it, env.version)`), as `path: problem` texts"
    ),
    f!(
        "schema-accepts",
        2,
        2,
        schema::schema_accepts,
        "whether a Kubernetes version serves an object's apiVersion and kind and its schema accepts the object (true for custom resources)"
    ),
    f!(
        "api-served",
        2,
        2,
        schema::api_served,
        "false when an object's apiVersion and kind are Kubernetes' own and the version does not serve them"
    ),
    f!(
        "api-replacement",
        2,
        2,
        schema::api_replacement,
        "the apiVersion a Kubernetes version serves an object's kind under, when it does not serve the object's own"
    ),
    f!(
        "schema-version",
        1,
        1,
        schema::schema_version,
        "the bundled schema version used for a Kubernetes version (`\"1.30\"`; the newest bundled when absent)"
    ),
    f!(
        "custom-kind",
        1,
        1,
        schema::custom_kind,
        "whether an object's API group is not Kubernetes' own (a custom resource)"
    ),
    f!(
        "crd-problems",
        2,
        2,
        schema::crd_problems,
        "a custom resource's problems against the CustomResourceDefinitions given (`crd-problems(it, { it for customresourcedefinitions })`): no CRD for it, or its schema's complaints"
    ),
];

/// Functions that, when a finding is traced, also say which node of the
/// subject they found a problem at (the finding's line).
pub type Locator = for<'w> fn(&[Val<'w>]) -> Option<crate::world::tree::NodeRef<'w>>;

/// The locator of a function, by id.
pub fn locator(id: u32) -> Option<Locator> {
    match FUNCTIONS.get(id as usize)?.name {
        "schema-problems" => Some(schema::schema_problems_at),
        "crd-problems" => Some(schema::crd_problems_at),
        _ => None,
    }
}

/// Finds a function by name.
pub fn lookup(name: &str) -> Option<(u32, &'static Func)> {
    FUNCTIONS.iter().enumerate().find(|(_, f)| f.name == name).map(|(i, f)| (i as u32, f))
}

/// The name of a function id, for the disassembler.
pub fn func_name(id: u32) -> &'static str {
    FUNCTIONS.get(id as usize).map(|f| f.name).unwrap_or("?")
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
    fn names_are_unique() {
        let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
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
