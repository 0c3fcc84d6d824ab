//! Custom resources against their CustomResourceDefinition: that the env has
//! a CRD for the resource's group, kind and version, and that the resource
//! fits that version's `openAPIV3Schema` (types, enums, required fields,
//! unknown fields; honouring `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-embedded-resource` and
//! `nullable`).

use super::split_api_version;
use super::validate::{MAX_PROBLEMS, Problem};
use crate::world::tree::{Node, NodeRef};

const MAX_DEPTH: usize = 64;

/// The CRD's version entry for the resource, or why there is none; then the
/// resource's problems against its schema.
/// Said after "no CustomResourceDefinition in this env ...": where a CRD that
/// the env's manifests do not carry can come from.
pub const NOT_HERE_HINT: &str = "; if another tool or chart installs it, give it with --crd FILE or parity.toml `crds`";

pub fn check<'t>(root: NodeRef<'t>, crds: &[NodeRef]) -> Result<Vec<Problem<'t>>, String> {
    let (Some(av), Some(kind)) = (root.str_field("apiVersion"), root.str_field("kind")) else { return Ok(vec![]) };
    let (group, version) = split_api_version(av);
    let crd = crds.iter().copied().find(|c| {
        let spec = c.get("spec");
        spec.and_then(|s| s.str_field("group")) == Some(group)
            && spec.and_then(|s| s.get("names")).and_then(|n| n.str_field("kind")) == Some(kind)
    });
    let Some(crd) = crd else {
        return Err(format!(
            "no CustomResourceDefinition in this env defines kind {kind} in group {group}{NOT_HERE_HINT}"
        ));
    };
    let crd_name = crd.get("metadata").and_then(|m| m.str_field("name")).unwrap_or("?").to_string();
    let spec = crd.get("spec");
    let versions = spec.and_then(|s| s.get("versions")).filter(|v| v.is_seq());
    let mut names = Vec::new();
    let mut schema = None;
    for v in versions.into_iter().flat_map(|v| v.iter()) {
        let name = v.str_field("name").unwrap_or("");
        names.push(name.to_string());
        if name == version {
            if v.get("served").and_then(|s| s.as_bool()) == Some(false) {
                return Err(format!("CustomResourceDefinition {crd_name} does not serve version {version}"));
            }
            schema = Some(
                v.get("schema")
                    .and_then(|s| s.get("openAPIV3Schema"))
                    .or_else(|| spec.and_then(|s| s.get("validation")).and_then(|s| s.get("openAPIV3Schema"))),
            );
        }
    }
    let Some(schema) = schema else {
        return Err(format!(
            "CustomResourceDefinition {crd_name} has no version {version} (it has {})",
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        ));
    };
    let Some(schema) = schema else { return Ok(vec![]) };
    let mut v = Crd { out: Vec::new(), path: String::new() };
    v.node(schema, root, 0, true);
    Ok(v.out)
}

struct Crd<'t> {
    out: Vec<Problem<'t>>,
    path: String,
}

fn flag(schema: NodeRef, key: &str) -> bool {
    schema.get(key).and_then(|v| v.as_bool()) == Some(true)
}

fn type_ok(t: &str, v: NodeRef) -> bool {
    match t {
        "object" => v.is_map(),
        "array" => v.is_seq(),
        "string" => matches!(v.node(), Node::Str(_)),
        "integer" => match v.node() {
            Node::Int(_) | Node::UInt(_) => true,
            Node::Float(f) => f.fract() == 0.0,
            _ => false,
        },
        "number" => matches!(v.node(), Node::Int(_) | Node::UInt(_) | Node::Float(_)),
        "boolean" => matches!(v.node(), Node::Bool(_)),
        _ => true,
    }
}

impl<'t> Crd<'t> {
    fn problem(&mut self, node: NodeRef<'t>, message: String) {
        if self.out.len() < MAX_PROBLEMS {
            self.out.push(Problem { path: self.path.clone(), message, node });
        }
    }

    fn node(&mut self, schema: NodeRef, v: NodeRef<'t>, depth: usize, root: bool) {
        if depth > MAX_DEPTH || self.out.len() >= MAX_PROBLEMS || v.is_null() {
            // The API server drops nulls of non-nullable fields before
            // validating (structural schemas).
            return;
        }
        if flag(schema, "x-kubernetes-int-or-string") {
            if !type_ok("string", v) && !type_ok("integer", v) {
                self.problem(v, "must be an int-or-string".into());
            }
            return;
        }
        if let Some(t) = schema.str_field("type")
            && !type_ok(t, v)
        {
            self.problem(v, format!("must be of type {t}"));
            return;
        }
        if let Some(e) = schema.get("enum").filter(|e| e.is_seq())
            && !e.iter().any(|x| x.to_json() == v.to_json())
        {
            let allowed: Vec<String> = e.iter().map(|x| x.to_json().to_string()).collect();
            self.problem(v, format!("{} is not one of the allowed values: {}", v.to_json(), allowed.join(", ")));
        }
        if v.is_map() {
            self.object(schema, v, depth, root);
        } else if v.is_seq()
            && let Some(items) = schema.get("items").filter(|i| i.is_map())
        {
            for (i, e) in v.iter().enumerate() {
                let len = self.path.len();
                self.path.push_str(&format!("[{i}]"));
                self.node(items, e, depth + 1, false);
                self.path.truncate(len);
            }
        }
    }

    fn object(&mut self, schema: NodeRef, v: NodeRef<'t>, depth: usize, root: bool) {
        let props = schema.get("properties").filter(|p| p.is_map());
        let additional = schema.get("additionalProperties");
        let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
        let embedded = root || flag(schema, "x-kubernetes-embedded-resource");
        for (k, val) in v.entries() {
            let len = self.path.len();
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(k);
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.node(s, val, depth + 1, false),
                None if embedded && matches!(k, "apiVersion" | "kind" | "metadata") => {}
                None => match additional {
                    Some(a) if a.is_map() => self.node(a, val, depth + 1, false),
                    Some(a) if a.as_bool() == Some(true) => {}
                    _ if preserve => {}
                    // No properties and no additionalProperties: a structural
                    // schema keeps nothing, but an untyped schema anything.
                    _ if props.is_none() && schema.get("type").is_none() => {}
                    _ => {
                        let known: Vec<&str> = props.map(|p| p.entries().map(|(k, _)| k).collect()).unwrap_or_default();
                        let hint = match crate::diag::did_you_mean(k, known) {
                            Some(s) => format!("; did you mean `{s}`?"),
                            None => String::new(),
                        };
                        self.problem(val, format!("unknown field `{k}`{hint}"));
                    }
                },
            }
            self.path.truncate(len);
        }
        if let Some(req) = schema.get("required").filter(|r| r.is_seq()) {
            for r in req.iter().filter_map(|r| r.as_str()) {
                if v.get(r).is_none() {
                    self.problem(v, format!("missing required field `{r}`"));
                }
            }
        }
    }
}
