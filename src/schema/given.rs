//! CustomResourceDefinitions given from files (`--crd FILE`, parity.toml
//! `crds = [...]`), for custom resources whose env does not carry its CRD:
//!
//! - at compile time, a rule path on a custom kind (a noun filtered with
//!   `kind = "Widget"`) is checked against the CRD's `openAPIV3Schema`, as
//!   paths on built-in kinds are checked against the bundled schemas
//!   (`compile/schema_paths.rs`); for that the schema is converted to the
//!   bundled table's [`Ty`] form;
//! - at run time the CRD objects are `env.crds` (the same list in every
//!   env), which the standard rule `crd-exists` searches after the env's
//!   own CustomResourceDefinitions.
//!
//! The files are read by `load::crds`, with the manifest loader's bounds;
//! this module converts their schemas.

use std::collections::BTreeMap;

use super::Ty;
use crate::world::Object;
use crate::world::tree::NodeRef;

/// Deeper schema nesting is not converted (the rest is untyped).
const MAX_DEPTH: usize = 64;
/// At most this many schema nodes are converted over all given CRDs; past
/// it the rest is untyped (bounded work for a hostile file).
const MAX_NODES: usize = 1_000_000;
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The CRDs of the given files.
#[derive(Default)]
pub struct GivenCrds {
    /// The CustomResourceDefinition objects, in file order.
    pub objects: Vec<Object>,
    /// Lower-case kind → the schema of each version of its CRD.
    kinds: BTreeMap<String, Vec<Ty>>,
}

impl std::fmt::Debug for GivenCrds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenCrds").field("objects", &self.objects.len()).field("kinds", &self.kinds.keys()).finish()
    }
}

impl GivenCrds {
    /// The schemas of a kind (any case) over the versions of its CRD, as
    /// roots for [`super::Schemas::lookup`]; empty when no given CRD
    /// defines it. Their `metadata` refers to the bundled ObjectMeta of the
    /// newest version.
    pub fn roots(&self, kind: &str) -> Vec<(usize, &Ty)> {
        let newest = super::schemas().newest();
        self.kinds.get(&kind.to_ascii_lowercase()).map(|v| v.iter().map(|t| (newest, t)).collect()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

impl GivenCrds {
    /// The CRDs of `load::crds::read` (checked already to be CRDs with a
    /// group and a kind), their schemas converted.
    pub fn from_objects(objects: Vec<Object>) -> GivenCrds {
        let mut out = GivenCrds::default();
        let mut budget = MAX_NODES;
        for o in &objects {
            let spec = o.value().get("spec");
            let Some(kind) = spec.and_then(|s| s.get("names")).and_then(|n| n.str_field("kind")) else { continue };
            let entry = out.kinds.entry(kind.to_ascii_lowercase()).or_default();
            for ver in spec.and_then(|s| s.get("versions")).filter(|v| v.is_seq()).into_iter().flat_map(|v| v.iter()) {
                let schema = ver
                    .get("schema")
                    .and_then(|s| s.get("openAPIV3Schema"))
                    .or_else(|| spec.and_then(|s| s.get("validation")).and_then(|s| s.get("openAPIV3Schema")));
                // A version without a schema accepts anything.
                let ty = match schema.filter(|s| s.is_map()) {
                    Some(s) => convert(s, 0, true, &mut budget),
                    None => untyped(),
                };
                entry.push(ty);
            }
        }
        out.objects = objects;
        out
    }
}

fn flag(schema: NodeRef, key: &str) -> bool {
    schema.get(key).and_then(|v| v.as_bool()) == Some(true)
}

fn untyped() -> Ty {
    Ty { t: "*".into(), ..Ty::default() }
}

/// An `openAPIV3Schema` node as a [`Ty`]; `embedded` adds `apiVersion`,
/// `kind` and `metadata` (the resource root, and
/// `x-kubernetes-embedded-resource` fields).
fn convert(schema: NodeRef, depth: usize, embedded: bool, budget: &mut usize) -> Ty {
    if depth > MAX_DEPTH || *budget == 0 {
        return untyped();
    }
    *budget -= 1;
    let mut ty = Ty::default();
    if flag(schema, "x-kubernetes-preserve-unknown-fields") {
        ty.preserve_unknown = 1;
    }
    let props = schema.get("properties").filter(|p| p.is_map());
    ty.t = if flag(schema, "x-kubernetes-int-or-string") {
        "x".into()
    } else {
        match schema.str_field("type") {
            Some("object") => "o",
            Some("string") => "s",
            Some("integer") => "i",
            Some("number") => "n",
            Some("boolean") => "b",
            Some("array") => "a",
            None if props.is_some() => "o",
            _ => "*",
        }
        .into()
    };
    if let Some(p) = props {
        for (k, v) in p.entries() {
            ty.props.insert(k.to_string(), convert(v, depth + 1, false, budget));
        }
    }
    match schema.get("additionalProperties") {
        Some(a) if a.is_map() => ty.map_values = Some(Box::new(convert(a, depth + 1, false, budget))),
        Some(a) if a.as_bool() == Some(true) => ty.map_values = Some(Box::new(untyped())),
        _ => {}
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_map()) {
        ty.items = Some(Box::new(convert(items, depth + 1, false, budget)));
    }
    if ty.t == "o" && props.is_none() && ty.map_values.is_none() && ty.preserve_unknown == 0 {
        // `type: object` with neither properties nor additionalProperties:
        // a structural schema keeps nothing, but read as "anything" (as
        // `schema::crd` validates it), so no path on it is an error.
        ty.map_values = Some(Box::new(untyped()));
    }
    if embedded || flag(schema, "x-kubernetes-embedded-resource") {
        for k in ["apiVersion", "kind"] {
            ty.props.get_or_insert_with(k, || Ty { t: "s".into(), ..Ty::default() });
        }
        ty.props.get_or_insert_with("metadata", || Ty { reference: Some(OBJECT_META.into()), ..Ty::default() });
    }
    ty
}

thread_local! {
    static COMPILING: std::cell::RefCell<Option<std::sync::Arc<GivenCrds>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (a compile) with these CRDs known to path checking on this
/// thread (the compiler runs on one thread).
pub fn compiling_with<T>(crds: Option<std::sync::Arc<GivenCrds>>, f: impl FnOnce() -> T) -> T {
    let was = COMPILING.with(|c| c.replace(crds));
    let out = f();
    COMPILING.with(|c| *c.borrow_mut() = was);
    out
}

/// Calls `f` with the CRDs the current compile knows (if any).
pub fn with_compiling<T>(f: impl FnOnce(Option<&GivenCrds>) -> T) -> T {
    COMPILING.with(|c| f(c.borrow().as_deref()))
}

#[cfg(test)]
#[path = "given_tests.rs"]
mod tests;
