//! Validating one object against its kind's schema in one Kubernetes
//! version, as the API server's strict field validation (and the reference
//! validator, kubernetes-validate in strict mode) would: unknown fields,
//! wrong types, missing required fields, values outside an enum.

use std::fmt::Write as _;

use super::{Schemas, Ty};
use crate::world::tree::{Node, NodeRef};

/// At most this many problems are reported per object.
pub const MAX_PROBLEMS: usize = 20;
/// Deeper nesting is not examined.
const MAX_DEPTH: usize = 64;

/// One problem: the field path (`spec.template.spec.containers[0].image`),
/// what is wrong, and the node to point at (the field's value; for a missing
/// field, the object that lacks it).
#[derive(Debug, Clone)]
pub struct Problem<'t> {
    pub path: String,
    pub message: String,
    pub node: NodeRef<'t>,
}

impl Problem<'_> {
    /// `path: message`, or the message alone at the root.
    pub fn text(&self) -> String {
        problem_text(&self.path, &self.message)
    }
}

/// `path: message`, or the message alone at the root.
pub fn problem_text(path: &str, message: &str) -> String {
    if path.is_empty() { message.to_string() } else { format!("{path}: {message}") }
}

/// Validates `node` against `ty` in schema version `version`.
pub fn validate<'t>(s: &Schemas, version: usize, ty: &Ty, node: NodeRef<'t>) -> Vec<Problem<'t>> {
    let mut v = Validator { s, version, twin: None, out: Vec::new(), path: Vec::new() };
    v.node(ty, None, node, 0);
    v.out
}

/// The same object validated before in another version: that version, its
/// root type there, and the problems found.
pub struct Twin<'a, 't> {
    pub version: usize,
    pub root: &'a Ty,
    pub problems: &'a [Problem<'t>],
}

/// [`validate`], given the object's problems in another version: where both
/// versions refer to the same definition and it validates alike in both
/// (`Schemas::same_definition`: the same body, and the same bodies for
/// every definition it reaches), the field's subtree is not walked again and
/// its problems there are taken over; where they differ, the walk goes on. The result is what
/// [`validate`] returns, in the same order. A twin with the most problems
/// (`MAX_PROBLEMS`: some may be missing) is not used.
pub fn validate_beside<'t>(
    s: &Schemas,
    version: usize,
    ty: &Ty,
    node: NodeRef<'t>,
    twin: &Twin<'_, 't>,
) -> Vec<Problem<'t>> {
    if twin.problems.len() >= MAX_PROBLEMS {
        return validate(s, version, ty, node);
    }
    let mut v = Validator { s, version, twin: Some(twin), out: Vec::new(), path: Vec::new() };
    v.node(ty, Some(twin.root), node, 0);
    v.out
}

/// Whether `path` is `under` or inside it (`spec` holds `spec.replicas` and
/// `spec[0]`, not `specs`).
fn within(path: &str, under: &str) -> bool {
    under.is_empty() || path.strip_prefix(under).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

struct Validator<'s, 't> {
    s: &'s Schemas,
    version: usize,
    /// The problems of another version, to take over where the schemas
    /// agree ([`validate_beside`]).
    twin: Option<&'s Twin<'s, 't>>,
    out: Vec<Problem<'t>>,
    /// Where the validator is: written out only for a problem (most
    /// objects have none, and formatting every field's path was a tenth of
    /// the validation).
    path: Vec<Seg<'t>>,
}

/// One step of [`Validator::path`].
#[derive(Clone, Copy)]
enum Seg<'t> {
    Key(&'t str),
    Index(usize),
}

/// `spec.template.spec.containers[0].image`.
fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// `a list`, `an integer`: a type's name with its article.
fn with_article(name: &str) -> String {
    let an = name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {name}", if an { "an" } else { "a" })
}

/// The type of a node, as a person says it.
fn node_type(n: NodeRef) -> &'static str {
    match n.node() {
        Node::Null => "null",
        Node::Bool(_) => "boolean",
        Node::Int(_) | Node::UInt(_) => "integer",
        Node::Float(_) => "number",
        Node::Str(_) => "string",
        Node::Seq { .. } => "list",
        Node::Map { .. } => "object",
    }
}

fn is_integer(n: NodeRef) -> bool {
    match n.node() {
        Node::Int(_) | Node::UInt(_) => true,
        Node::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }
}

fn is_number(n: NodeRef) -> bool {
    matches!(n.node(), Node::Int(_) | Node::UInt(_) | Node::Float(_))
}

/// A scalar for a message: strings quoted, at most 40 characters.
fn shown(n: NodeRef) -> String {
    let j = n.to_json();
    let s = j.to_string();
    if s.chars().count() > 40 { format!("{}...", s.chars().take(40).collect::<String>()) } else { s }
}

impl<'t> Validator<'_, 't> {
    fn problem(&mut self, node: NodeRef<'t>, message: String) {
        if self.out.len() < MAX_PROBLEMS {
            self.out.push(Problem { path: path_text(&self.path), message, node });
        }
    }

    /// Validates `node` against `ty`; `twin_ty` is the type at the same
    /// place in the twin's version, when there is a twin and the place is
    /// in its schema too.
    fn node(&mut self, ty: &Ty, twin_ty: Option<&Ty>, node: NodeRef<'t>, depth: usize) {
        if depth > MAX_DEPTH || self.out.len() >= MAX_PROBLEMS {
            return;
        }
        if let (Some(twin), Some(t)) = (self.twin, twin_ty)
            && let (Some(id), Some(twin_id)) = (ty.ref_id, t.ref_id)
            && id == twin_id
            && self.s.same_definition(id, self.version, twin.version)
        {
            // The same schema from here down: the same problems.
            self.take_over(twin);
            return;
        }
        let Some(ty) = self.s.resolve(self.version, ty) else { return };
        let twin_ty = match (self.twin, twin_ty) {
            (Some(twin), Some(t)) => self.s.resolve(twin.version, t),
            _ => None,
        };
        if node.is_null() {
            if ty.not_null != 0 && ty.t != "*" {
                self.problem(node, format!("is null, but must be {}", with_article(ty.type_name())));
            }
            return;
        }
        let ok = match ty.t.as_str() {
            "o" => node.is_map(),
            "a" => node.is_seq(),
            "s" => matches!(node.node(), Node::Str(_)),
            "i" => is_integer(node),
            "n" => is_number(node),
            "b" => matches!(node.node(), Node::Bool(_)),
            "q" => matches!(node.node(), Node::Str(_)) || is_number(node),
            "x" => matches!(node.node(), Node::Str(_)) || is_integer(node),
            _ => true,
        };
        if !ok {
            let what = if node.is_map() || node.is_seq() {
                node_type(node).to_string()
            } else {
                format!("{} {}", node_type(node), shown(node))
            };
            self.problem(node, format!("must be {}, not {}", with_article(ty.type_name()), with_article(&what)));
            return;
        }
        if !ty.enums.is_empty()
            && let Some(s) = node.as_str()
            && !ty.enums.iter().any(|e| e.as_str() == Some(s))
        {
            let allowed: Vec<String> = ty.enums.iter().map(|e| e.to_string()).collect();
            self.problem(node, format!("{} is not one of the allowed values: {}", shown(node), allowed.join(", ")));
        }
        match ty.t.as_str() {
            "o" => self.object(ty, twin_ty, node, depth),
            "a" => {
                if let Some(items) = &ty.items {
                    let twin_items = twin_ty.and_then(|t| t.items.as_deref());
                    for (i, e) in node.iter().enumerate() {
                        self.path.push(Seg::Index(i));
                        self.node(items, twin_items, e, depth + 1);
                        self.path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds the twin's problems at or below the current path.
    fn take_over(&mut self, twin: &Twin<'_, 't>) {
        if twin.problems.is_empty() {
            return;
        }
        let here = path_text(&self.path);
        for p in twin.problems.iter().filter(|p| within(&p.path, &here)) {
            if self.out.len() < MAX_PROBLEMS {
                self.out.push(p.clone());
            }
        }
    }

    fn object(&mut self, ty: &Ty, twin_ty: Option<&Ty>, node: NodeRef<'t>, depth: usize) {
        // A merge of two sorted lists: the object's keys (the tree keeps a
        // map's keys sorted by their bytes) and the type's fields (sorted by
        // name): each field is passed once, not searched for per key.
        let mut at = 0;
        for (k, v) in node.entries() {
            self.path.push(Seg::Key(k));
            // A key the walk passed (only in a map whose keys are not in
            // order) is looked up.
            let field = ty.props.walk(&mut at, k.as_bytes()).or_else(|| ty.props.get(k));
            match field {
                // The API server ignores the status of an object written to
                // it (kinds with a status subresource): not checked.
                Some(_) if depth == 0 && k == "status" => {}
                Some(c) => {
                    let twin_c = twin_ty.and_then(|t| t.props.get(k));
                    self.node(c, twin_c, v, depth + 1)
                }
                None => match &ty.map_values {
                    Some(m) => {
                        let twin_m =
                            twin_ty.and_then(|t| if t.props.get(k).is_some() { None } else { t.map_values.as_deref() });
                        self.node(m, twin_m, v, depth + 1)
                    }
                    None if ty.free_keys() => {}
                    None => {
                        let hint = match crate::diag::did_you_mean(k, ty.props.keys().map(String::as_str)) {
                            Some(s) => format!("; did you mean `{s}`?"),
                            None => String::new(),
                        };
                        self.problem(v, format!("unknown field `{k}`{hint}"));
                    }
                },
            }
            self.path.pop();
        }
        for r in &ty.required {
            if node.get(r).is_none() {
                self.problem(node, format!("missing required field `{r}`"));
            }
        }
    }
}
