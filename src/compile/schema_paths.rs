//! Compile-time checking of field paths against the Kubernetes schemas: a
//! path on a noun whose kinds are built-in (`deployment`, `workload`, the
//! `podspec` and `containers` views, the prelude's `container`) must name a
//! field that some supported Kubernetes version (1.25 to 1.37) has. Maps
//! with free keys (labels, annotations, data) accept any key; `object`,
//! custom nouns over kinds without a schema and computed keys are not
//! checked.

use super::codegen::Ty;
use crate::bytecode::PathSeg;
use crate::schema::{Lookup, Seg, schemas};

const POD_SPEC: &str = "io.k8s.api.core.v1.PodSpec";
const CONTAINER: &str = "io.k8s.api.core.v1.Container";

/// A field a path names that no version of its kinds has.
#[derive(Debug)]
pub struct UnknownField {
    /// What the path was read on: `deployment`, `podspec`, `container`.
    pub on: String,
    /// The path up to and including the unknown key (`spec.replica`).
    pub path: String,
    pub key: String,
    pub suggestion: Option<String>,
    /// The schema is a CustomResourceDefinition's given with `--crd`, not
    /// the bundled Kubernetes schemas.
    pub from_crd: bool,
}

thread_local! {
    static CHECKING: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Runs `f` with path checking (and schema typing of comparisons) off on
/// this thread: for tests that compile generated rules over made-up fields
/// (`tests/vm_vs_reference.rs`).
#[doc(hidden)]
pub fn without_path_checks<T>(f: impl FnOnce() -> T) -> T {
    let was = CHECKING.with(|c| c.replace(false));
    let out = f();
    CHECKING.with(|c| c.set(was));
    out
}

pub fn unknown_field(ty: &Ty, segs: &[PathSeg]) -> Option<UnknownField> {
    if !CHECKING.with(|c| c.get()) {
        return None;
    }
    crate::schema::given::with_compiling(|given| {
        let (roots, on, path, shown, from_crd) = roots_and_path(ty, segs, given)?;
        match schemas().lookup(&roots, &path) {
            Lookup::Found(_) => None,
            Lookup::Unknown { at, known } => {
                let Seg::Key(key) = &path[at] else { return None };
                let upto = path[..=at].iter().filter(|p| matches!(p, Seg::Key(_))).count();
                Some(UnknownField {
                    on,
                    path: shown[..upto].join("."),
                    key: key.clone(),
                    suggestion: crate::diag::did_you_mean(key, known).map(str::to_string),
                    from_crd,
                })
            }
        }
    })
}

/// The schema type of the field a path names, when every schema version
/// that has the field agrees on it: `q` (quantity), `x` (int-or-string),
/// `s`, `i`, `n`, `b`, `o`, `a` (see [`crate::schema::Ty`]); `None` when
/// the path is not on a kind with a schema, the field is unknown, untyped
/// (`*`), or its type differs between versions. A path past a computed key
/// or a view is not followed.
pub fn field_type(ty: &Ty, segs: &[PathSeg]) -> Option<String> {
    if !CHECKING.with(|c| c.get()) {
        return None;
    }
    crate::schema::given::with_compiling(|given| {
        let (roots, _, path, _, _) = roots_and_path(ty, segs, given)?;
        if path.len() != segs_followed(segs) {
            return None;
        }
        match schemas().lookup(&roots, &path) {
            Lookup::Found(found) => {
                let first = found.first()?.1.t.clone();
                let same = found.iter().all(|(_, t)| t.t == first && t.reference.is_none());
                (same && first != "*" && !first.is_empty()).then_some(first)
            }
            Lookup::Unknown { .. } => None,
        }
    })
}

/// How many segments of a path are field segments after the view (for
/// [`field_type`]: a computed key stops the schema walk early).
fn segs_followed(segs: &[PathSeg]) -> usize {
    let mut rest = segs;
    if matches!(rest.first(), Some(PathSeg::PodSpec)) {
        rest = &rest[1..];
    } else if matches!(rest.first(), Some(PathSeg::Containers)) {
        rest = &rest[1..];
        if matches!(rest.first(), Some(PathSeg::Star | PathSeg::Index(_))) {
            rest = &rest[1..];
        }
    }
    rest.iter().take_while(|s| matches!(s, PathSeg::Key(_) | PathSeg::Index(_) | PathSeg::Star)).count()
}

type Roots<'a> = (Vec<(usize, &'a crate::schema::Ty)>, String, Vec<Seg>, Vec<String>, bool);

/// The schema roots a path starts from (a kind's, or a view's definition)
/// and its segments as schema segments, with the text of each key.
fn roots_and_path<'a>(
    ty: &Ty,
    segs: &[PathSeg],
    given: Option<&'a crate::schema::given::GivenCrds>,
) -> Option<Roots<'a>> {
    let s = schemas();
    let mut rest = segs;
    let mut from_crd = false;
    let (roots, on) = match ty {
        Ty::Obj(Some(kinds)) => match segs.first() {
            Some(PathSeg::PodSpec) => {
                rest = &segs[1..];
                (s.roots_of_def(POD_SPEC), "podspec".to_string())
            }
            Some(PathSeg::Containers) => {
                rest = &segs[1..];
                if matches!(rest.first(), Some(PathSeg::Star | PathSeg::Index(_))) {
                    rest = &rest[1..];
                }
                (s.roots_of_def(CONTAINER), "containers".to_string())
            }
            _ => {
                let mut roots = Vec::new();
                for k in kinds {
                    let mut r = s.roots_of_kind(k);
                    if r.is_empty() {
                        // A kind without a bundled schema (a custom
                        // resource): its CRD given with `--crd`, else the
                        // union would be unknown, so nothing is checked.
                        r = given.map(|g| g.roots(k)).unwrap_or_default();
                        from_crd = true;
                    }
                    if r.is_empty() {
                        return None;
                    }
                    roots.extend(r);
                }
                let on = if kinds.len() == 1 { kinds[0].clone() } else { "workload".to_string() };
                (roots, on)
            }
        },
        Ty::Coll(c) if c == "container" => (s.roots_of_def(CONTAINER), c.clone()),
        _ => return None,
    };
    if roots.is_empty() {
        return None;
    }
    let mut path = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    for seg in rest {
        match seg {
            PathSeg::Key(k) => {
                path.push(Seg::Key(k.clone()));
                shown.push(k.clone());
            }
            PathSeg::Index(_) | PathSeg::Star => {
                path.push(Seg::Elem);
                if let Some(last) = shown.last_mut() {
                    last.push_str("[*]");
                }
            }
            // A computed key or another view: not checked from here on.
            PathSeg::Dyn | PathSeg::PodSpec | PathSeg::Containers => break,
        }
    }
    Some((roots, on, path, shown, from_crd))
}
