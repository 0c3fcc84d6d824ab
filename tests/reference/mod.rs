//! A reference evaluator for a subset of the rule language, used only by
//! tests to check the compiler and VM against what docs/language.md says.
//!
//! It walks the AST (`parity::syntax::parse_body`) directly over a
//! `parity::world::World`, and re-implements value semantics from the docs
//! ("Absent fields and mixed types", "Quantities and versions") without
//! touching `parity::vm` or `parity::compile`. Only quantity and version
//! *parsing* is shared (`parity::world::{Quantity, Version}`).
//!
//! Covered: top-level `every`/`no` over built-in kind nouns with `where`,
//! `with` and `in env NAME` filters and a `has` predicate; conditions with
//! `and`/`or`/`not`; comparisons, `exists`, `is missing`, `is empty`,
//! `is null`, `in`/`not in`, `contains`/`not contains`, `starts with`,
//! `ends with` (and their negations); single-valued paths (keys, quoted keys,
//! `[N]`); nested `some`/`every`/`no` over `container`, as a condition and
//! as a quantified phrase inside a filter (which takes no predicate);
//! `subset of` / `same set as` between maps (sets of key/value pairs); and
//! quantity arithmetic (`+` with a quantity, `-`, `*`). Anything else is an
//! `Err`.

use std::cmp::Ordering;

use parity::syntax::ast::{
    ArithOp, CmpOp, EnvSelKind, Expr, ExprKind, Filter, Lit, Path, PredKind, Quant, Scope, Seg, Test, Word,
};
use parity::world::{Quantity, Version, World};
use serde_json::Value as Json;

/// A finding's subject: (env, kind, namespace, name).
pub type Subject = (String, String, String, String);

/// A value as the docs describe them.
#[derive(Debug, Clone)]
enum V {
    Absent,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<V>),
    Map(Vec<(String, V)>),
    Qty(Quantity),
    Ver(Version),
}

fn from_json(j: &Json) -> V {
    match j {
        Json::Null => V::Null,
        Json::Bool(b) => V::Bool(*b),
        Json::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => V::Str(s.clone()),
        Json::Array(a) => V::List(a.iter().map(from_json).collect()),
        Json::Object(o) => V::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

/// The element conditions are about: an object (with its kind) or a
/// container.
#[derive(Clone, Copy)]
struct Elem<'w> {
    json: &'w Json,
    /// Lower-case kind for objects; `None` for containers.
    kind: Option<&'w str>,
}

/// Kind nouns this evaluator knows, singular and plural → lower-case kind.
fn kind_of_noun(word: &str) -> Option<&'static str> {
    const KINDS: &[(&str, &str, &str)] = &[
        ("pod", "pods", "pod"),
        ("deployment", "deployments", "deployment"),
        ("service", "services", "service"),
        ("namespace", "namespaces", "namespace"),
        ("node", "nodes", "node"),
        ("configmap", "configmaps", "configmap"),
        ("statefulset", "statefulsets", "statefulset"),
        ("cronjob", "cronjobs", "cronjob"),
    ];
    let w = word.to_ascii_lowercase();
    KINDS.iter().find(|(s, p, _)| *s == w || *p == w).map(|(_, _, k)| *k)
}

/// Where each workload kind keeps its pod spec (written out here rather than
/// borrowed from the crate).
fn pod_spec<'w>(kind: &str, obj: &'w Json) -> Option<&'w Json> {
    let path: &[&str] = match kind {
        "pod" => &["spec"],
        "deployment" | "statefulset" | "daemonset" | "replicaset" | "replicationcontroller" | "job" => {
            &["spec", "template", "spec"]
        }
        "cronjob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    };
    let mut v = obj;
    for k in path {
        v = v.as_object()?.get(*k)?;
    }
    Some(v)
}

/// Init, regular and ephemeral containers of a workload.
fn containers<'w>(kind: &str, obj: &'w Json) -> Vec<&'w Json> {
    let Some(spec) = pod_spec(kind, obj).and_then(Json::as_object) else { return vec![] };
    let mut out = Vec::new();
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        if let Some(Json::Array(items)) = spec.get(key) {
            out.extend(items.iter());
        }
    }
    out
}

/// The envs a rule names (`in env NAME`) that no loaded env has, sorted and
/// each once: the docs make each one an error ("did you mean" over the
/// loaded envs).
pub fn unknown_envs(body: &Expr, world: &World) -> Vec<String> {
    let ExprKind::Quantified { np, .. } = &body.kind else { return Vec::new() };
    if world.envs.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = np
        .filters
        .iter()
        .filter_map(|f| match f {
            Filter::In(Scope::Env(sel), _) => match &sel.kind {
                EnvSelKind::Named(n) if !world.envs.iter().any(|e| &e.name == n) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Evaluates a rule body; returns the subjects that are findings, sorted.
pub fn findings(body: &Expr, world: &World) -> Result<Vec<Subject>, String> {
    let ExprKind::Quantified { quant, np, pred } = &body.kind else {
        return Err("only top-level every/no is covered".into());
    };
    if !matches!(quant, Quant::Every | Quant::No) {
        return Err("only top-level every/no is covered".into());
    }
    let [Word::Name(noun)] = &np.words[..] else { return Err("one noun word expected".into()) };
    let kind = kind_of_noun(&noun.text).ok_or_else(|| format!("unknown noun {}", noun.text))?;
    let mut conds: Vec<&Expr> = Vec::new();
    // Every filter applies: `in env prod in env staging` selects nothing.
    let mut env_names: Vec<&str> = Vec::new();
    for f in &np.filters {
        match f {
            Filter::With(c) | Filter::Where(c) => conds.push(c),
            Filter::In(Scope::Env(sel), _) => match &sel.kind {
                EnvSelKind::Named(n) => env_names.push(n),
                _ => return Err("only `in env NAME`".into()),
            },
            _ => return Err("filter not covered".into()),
        }
    }
    // `every NP with C` and no predicate: the last with/where is the
    // predicate.
    let pred: Option<&Expr> = match pred {
        Some(p) => match &p.kind {
            PredKind::Has(c) => Some(c),
            _ => return Err("only `has` predicates".into()),
        },
        None if *quant == Quant::Every => Some(conds.pop().ok_or_else(|| "`every` without a predicate".to_string())?),
        None => None,
    };
    let mut out = Vec::new();
    for env in &world.envs {
        if env_names.iter().any(|n| *n != env.name) {
            continue;
        }
        for obj in &env.objects {
            if obj.kind.to_ascii_lowercase() != kind {
                continue;
            }
            let json = obj.value().to_json();
            let elem = Elem { json: &json, kind: Some(kind) };
            let mut passes = true;
            for c in &conds {
                if !cond(c, elem)? {
                    passes = false;
                    break;
                }
            }
            if !passes {
                continue;
            }
            let holds = match pred {
                Some(p) => has(p, elem)?,
                None => true,
            };
            let fires = if *quant == Quant::No { holds } else { !holds };
            if fires {
                out.push((
                    env.name.clone(),
                    obj.kind.to_string(),
                    obj.namespace.as_deref().unwrap_or("").to_string(),
                    obj.name.to_string(),
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `has C` on an element: C is a condition on it (a quantified container
/// phrase included).
fn has(c: &Expr, e: Elem) -> Result<bool, String> {
    cond(c, e)
}

fn cond(c: &Expr, e: Elem) -> Result<bool, String> {
    match &c.kind {
        ExprKind::And(parts) => {
            for p in parts {
                if !cond(p, e)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        ExprKind::Or(parts) => {
            for p in parts {
                if cond(p, e)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ExprKind::Not(inner) => Ok(!cond(inner, e)?),
        ExprKind::Paren { expr, tail } if tail.is_empty() => cond(expr, e),
        ExprKind::Quantified { quant, np, pred } => containers_quantified(*quant, np, pred.as_ref(), e),
        ExprKind::Test { value, test } => test_holds(value, test, e),
        _ => Err(format!("condition not covered: {:?}", c.kind)),
    }
}

/// `QUANT container [filters] [has C]` inside a workload's `has`.
fn containers_quantified(
    quant: Quant,
    np: &parity::syntax::ast::NounPhrase,
    pred: Option<&parity::syntax::ast::Pred>,
    e: Elem,
) -> Result<bool, String> {
    let [Word::Name(noun)] = &np.words[..] else { return Err("one noun word expected".into()) };
    if noun.text != "container" && noun.text != "containers" {
        return Err(format!("nested noun not covered: {}", noun.text));
    }
    let kind = e.kind.ok_or("containers of a container")?;
    let mut conds: Vec<&Expr> = Vec::new();
    for f in &np.filters {
        match f {
            Filter::With(c) | Filter::Where(c) => conds.push(c),
            _ => return Err("nested filter not covered".into()),
        }
    }
    let pred: Option<&Expr> = match pred {
        Some(p) => match &p.kind {
            PredKind::Has(c) => Some(c),
            _ => return Err("only `has` predicates".into()),
        },
        None if quant == Quant::Every => Some(conds.pop().ok_or("`every` without a predicate")?),
        None => None,
    };
    let mut passing = 0usize;
    let mut holding = 0usize;
    for c in containers(kind, e.json) {
        let ce = Elem { json: c, kind: None };
        let mut ok = true;
        for f in &conds {
            if !cond(f, ce)? {
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        passing += 1;
        if match pred {
            Some(p) => has(p, ce)?,
            None => true,
        } {
            holding += 1;
        }
    }
    Ok(match quant {
        Quant::Every => holding == passing,
        Quant::Some => holding > 0,
        Quant::No => holding == 0,
        _ => return Err("counting quantifiers not covered".into()),
    })
}

fn value(x: &Expr, e: Elem) -> Result<V, String> {
    match &x.kind {
        ExprKind::Lit(l) => literal(l),
        ExprKind::Map(entries) => entries
            .iter()
            .map(|(k, v)| Ok((k.text.clone(), value(v, e)?)))
            .collect::<Result<Vec<_>, String>>()
            .map(V::Map),
        // `A + B` with a quantity term: a quantity by value, every term read
        // as one, else absent. (Other sums are not generated.)
        ExprKind::Add(parts) => {
            let vals = parts.iter().map(|p| value(p, e)).collect::<Result<Vec<_>, _>>()?;
            if vals.iter().any(|v| matches!(v, V::Absent)) {
                return Ok(V::Absent);
            }
            if !vals.iter().any(|v| matches!(v, V::Qty(_))) {
                return Err("only sums with a quantity are covered".into());
            }
            let mut total: i128 = 0;
            for v in &vals {
                let Some(q) = qty(v) else { return Ok(V::Absent) };
                let Some(t) = total.checked_add(q.nanos()) else { return Ok(V::Absent) };
                total = t;
            }
            Ok(V::Qty(Quantity::from_nanos(total)))
        }
        // `A - B`: numbers, else both read as quantities. `A * B`: numbers,
        // or a quantity (or quantity string) times a number.
        ExprKind::Arith(op, a, b) => {
            let (a, b) = (value(a, e)?, value(b, e)?);
            Ok(match (op, &a, &b) {
                (ArithOp::Sub, V::Num(x), V::Num(y)) => V::Num(x - y),
                (ArithOp::Mul, V::Num(x), V::Num(y)) => V::Num(x * y),
                (ArithOp::Sub, _, _) => match (qty(&a), qty(&b)) {
                    (Some(x), Some(y)) => {
                        x.nanos().checked_sub(y.nanos()).map(|n| V::Qty(Quantity::from_nanos(n))).unwrap_or(V::Absent)
                    }
                    _ => V::Absent,
                },
                (ArithOp::Mul, V::Qty(_) | V::Str(_), V::Num(_)) | (ArithOp::Mul, V::Num(_), V::Qty(_) | V::Str(_)) => {
                    match (qty(&a), qty(&b)) {
                        (Some(x), Some(y)) => x
                            .nanos()
                            .checked_mul(y.nanos())
                            .map(|n| V::Qty(Quantity::from_nanos(n / 1_000_000_000)))
                            .unwrap_or(V::Absent),
                        _ => V::Absent,
                    }
                }
                _ => V::Absent,
            })
        }
        ExprKind::List(items) => items.iter().map(|i| value(i, e)).collect::<Result<Vec<_>, _>>().map(V::List),
        ExprKind::Path(p) => Ok(path(p, e)),
        ExprKind::Paren { expr, tail } if tail.is_empty() => value(expr, e),
        _ => Err(format!("value not covered: {:?}", x.kind)),
    }
}

fn literal(l: &Lit) -> Result<V, String> {
    Ok(match l {
        Lit::Null => V::Null,
        Lit::Bool(b) => V::Bool(*b),
        Lit::Num(n) => V::Num(*n),
        Lit::Str(s) => V::Str(s.clone()),
        Lit::Quantity(q) => V::Qty(Quantity::parse(q).ok_or_else(|| format!("bad quantity literal {q}"))?),
        Lit::Version(v) => V::Ver(Version::parse(v).ok_or_else(|| format!("bad version literal {v}"))?),
    })
}

/// A single-valued path on the element: keys and indexes; anything missing
/// on the way is absent.
fn path(p: &Path, e: Elem) -> V {
    let mut cur: Option<&Json> = e.json.as_object().and_then(|o| o.get(&p.head.text));
    for seg in &p.segs {
        // `[-1]` reaches here as a literal expression.
        let index = match seg {
            Seg::Index(i) => Some(*i),
            Seg::Expr(x) => match &x.kind {
                ExprKind::Lit(Lit::Num(n)) if n.fract() == 0.0 => Some(*n as i64),
                _ => None,
            },
            _ => None,
        };
        cur = match (cur, seg, index) {
            (Some(Json::Object(o)), Seg::Key(k), _) => o.get(k),
            (Some(Json::Array(a)), _, Some(i)) => {
                let n = a.len() as i64;
                let i = if i < 0 { n + i } else { i };
                if (0..n).contains(&i) { a.get(i as usize) } else { None }
            }
            _ => None,
        };
    }
    cur.map(from_json).unwrap_or(V::Absent)
}

fn test_holds(lhs: &Expr, test: &Test, e: Elem) -> Result<bool, String> {
    let a = value(lhs, e)?;
    Ok(match test {
        Test::Cmp(op, rhs) => {
            let b = value(rhs, e)?;
            // Two strings from data (no string literal on either side) are
            // typed: versions, then quantities and numbers, else text.
            let literal = |x: &Expr| matches!(x.kind, ExprKind::Lit(Lit::Str(_)));
            let (a, b) = if literal(lhs) || literal(rhs) { (a, b) } else { typed(a, b) };
            match op {
                CmpOp::Eq => eq(&a, &b),
                CmpOp::Ne => ne(&a, &b),
                CmpOp::Lt => order(&a, &b) == Some(Ordering::Less),
                CmpOp::Le => matches!(order(&a, &b), Some(Ordering::Less | Ordering::Equal)),
                CmpOp::Gt => order(&a, &b) == Some(Ordering::Greater),
                CmpOp::Ge => matches!(order(&a, &b), Some(Ordering::Greater | Ordering::Equal)),
            }
        }
        Test::Exists => present(&a),
        Test::Missing { negated } => present(&a) == *negated,
        Test::Empty { negated } => empty(&a) != *negated,
        Test::Null { negated: false } => matches!(a, V::Null),
        Test::In { negated, rhs } => {
            let b = value(rhs, e)?;
            membership(&a, &b, *negated)
        }
        Test::Contains { negated, rhs } => {
            let b = value(rhs, e)?;
            membership(&b, &a, *negated)
        }
        // Negated: the value is present and does not start (end) with it.
        Test::StartsWith { negated, rhs } => {
            let holds = matches!((&a, &value(rhs, e)?), (V::Str(x), V::Str(y)) if x.starts_with(y.as_str()));
            if *negated { present(&a) && !holds } else { holds }
        }
        Test::EndsWith { negated, rhs } => {
            let holds = matches!((&a, &value(rhs, e)?), (V::Str(x), V::Str(y)) if x.ends_with(y.as_str()));
            if *negated { present(&a) && !holds } else { holds }
        }
        // Two maps: sets of key/value pairs. A map against anything else
        // (a string, null, absent) is false.
        Test::SubsetOf(rhs) | Test::SameSetAs(rhs) => {
            let b = value(rhs, e)?;
            match (&a, &b) {
                (V::Map(x), V::Map(y)) => {
                    let sub = |x: &[(String, V)], y: &[(String, V)]| {
                        x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && eq(v, v2)))
                    };
                    sub(x, y) && (matches!(test, Test::SubsetOf(_)) || sub(y, x))
                }
                (V::List(_), _) | (_, V::List(_)) => return Err("set tests on lists are not covered".into()),
                // A string, null or absent is no set.
                _ => false,
            }
        }
        _ => return Err(format!("test not covered: {test:?}")),
    })
}

/// `exists`: present and not null.
fn present(v: &V) -> bool {
    !matches!(v, V::Absent | V::Null)
}

/// `is empty`: absent, null, "", [] or {}.
fn empty(v: &V) -> bool {
    match v {
        V::Absent | V::Null => true,
        V::Str(s) => s.is_empty(),
        V::List(l) => l.is_empty(),
        V::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// `x in coll` / `x not in coll`. With absent on either side both are false;
/// otherwise `not in` is the negation of `in`. An explicit `null` counts as
/// absent here: the docs say values are read "as the API server reads them",
/// and the API server treats `field: null` as unset (see the report).
fn membership(x: &V, coll: &V, negated: bool) -> bool {
    if matches!(x, V::Absent) || matches!(coll, V::Absent) {
        return false;
    }
    if negated && (matches!(x, V::Null) || matches!(coll, V::Null)) {
        return false;
    }
    let is_in = match coll {
        V::List(items) => items.iter().any(|i| eq(x, i)),
        V::Map(entries) => matches!(x, V::Str(k) if entries.iter().any(|(key, _)| key == k)),
        V::Str(s) => matches!(x, V::Str(sub) if s.contains(sub.as_str())),
        _ => false,
    };
    is_in != negated
}

/// The typing rule for two data strings, written from docs/language.md
/// ("Comparing two values"), independently of the VM's.
fn typed(a: V, b: V) -> (V, V) {
    let (V::Str(x), V::Str(y)) = (&a, &b) else { return (a, b) };
    let ver = |s: &str| Version::parse(s).filter(|v| v.parts_written() >= 2);
    if let (Some(v), Some(w)) = (ver(x), ver(y))
        && (v.has_v_prefix() || w.has_v_prefix() || (v.parts_written() >= 3 && w.parts_written() >= 3))
    {
        return (V::Ver(v), V::Ver(w));
    }
    match (Quantity::parse(x), Quantity::parse(y)) {
        (Some(p), Some(q)) => (V::Qty(p), V::Qty(q)),
        _ => (a, b),
    }
}

/// A string or number read as a quantity.
fn qty(v: &V) -> Option<Quantity> {
    match v {
        V::Qty(q) => Some(*q),
        V::Num(n) => Quantity::from_f64(*n),
        V::Str(s) => Quantity::parse(s),
        _ => None,
    }
}

/// The order of two values where the docs give one; `None` when either is
/// absent or the types do not compare (so every comparison is false).
fn order(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::Absent, _) | (_, V::Absent) => None,
        // A quantity literal reads a string or number as a quantity.
        (V::Qty(x), other) | (other, V::Qty(x)) => {
            let y = match other {
                V::Qty(_) | V::Num(_) | V::Str(_) => qty(other)?,
                _ => return None,
            };
            let o = x.cmp(&y);
            Some(if matches!(a, V::Qty(_)) { o } else { o.reverse() })
        }
        // A version literal reads a string as a version.
        (V::Ver(x), other) | (other, V::Ver(x)) => {
            let y = match other {
                V::Ver(v) => v.clone(),
                V::Str(s) => Version::parse(s)?,
                _ => return None,
            };
            let o = x.cmp(&y);
            Some(if matches!(a, V::Ver(_)) { o } else { o.reverse() })
        }
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        // A quantity string against a number: as quantities.
        (V::Num(_), V::Str(_)) | (V::Str(_), V::Num(_)) => Some(qty(a)?.cmp(&qty(b)?)),
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Null, V::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

fn eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::List(x), V::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
        (V::Map(x), V::Map(y)) => {
            let mut x: Vec<_> = x.iter().collect();
            let mut y: Vec<_> = y.iter().collect();
            x.sort_by(|p, q| p.0.cmp(&q.0));
            y.sort_by(|p, q| p.0.cmp(&q.0));
            x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| p.0 == q.0 && eq(&p.1, &q.1))
        }
        _ => order(a, b) == Some(Ordering::Equal),
    }
}

/// `!=`: both present, of comparable types, and different.
fn ne(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::List(_), V::List(_)) | (V::Map(_), V::Map(_)) => !eq(a, b),
        _ => matches!(order(a, b), Some(o) if o != Ordering::Equal),
    }
}
