//! The catalogue of built-in functions: name, arity and a one-line doc
//! (listed in `docs/language.md`). The compiler resolves calls against it
//! and the disassembler names them; the implementations are in
//! `vm::functions`, in the same order (a test checks it). A function's id is
//! its index here: new functions go last, so ids shown by `compile --dump`
//! stay as they were.

use super::FuncId;

/// One built-in function's signature.
pub struct Func {
    pub name: &'static str,
    pub min: usize,
    pub max: usize,
    pub doc: &'static str,
}

macro_rules! f {
    ($name:literal, $min:literal, $max:literal, $doc:literal) => {
        Func { name: $name, min: $min, max: $max, doc: $doc }
    };
}

pub static FUNCTIONS: &[Func] = &[
    f!("quantity", 1, 1, "reads a value as a Kubernetes quantity (`quantity(\"500m\")`)"),
    f!("version", 1, 1, "reads a value as a version (`version(\"v1.30.4\")`)"),
    f!("minor", 1, 1, "the minor release of a version: `minor(\"v1.30.4\")` is `v1.30`"),
    f!("major", 1, 1, "the major number of a version"),
    f!("string", 1, 1, "a value as text"),
    f!("number", 1, 1, "a string as a number"),
    f!("lower", 1, 1, "lower-cases a string"),
    f!("upper", 1, 1, "upper-cases a string"),
    f!("trim", 1, 1, "strips surrounding white space"),
    f!("len", 1, 1, "the length of a string, list or map"),
    f!("count", 1, 1, "the number of elements of a list (same as `len`)"),
    f!("keys", 1, 1, "the keys of a map, sorted"),
    f!("values", 1, 1, "the values of a map, by key"),
    f!("flatten", 1, 1, "joins a list of lists into one list"),
    f!("unique", 1, 1, "a list sorted with duplicates removed"),
    f!("first", 1, 1, "the first element of a list"),
    f!("last", 1, 1, "the last element of a list"),
    f!("sum", 1, 1, "the sum of a list of numbers or quantities"),
    f!("max", 1, 1, "the largest element of a list"),
    f!("min", 1, 1, "the smallest element of a list"),
    f!("default", 2, 2, "the first argument, or the second when the first is absent or null"),
    f!("before", 2, 2, "the text before the first occurrence of a separator (all of it if none)"),
    f!("after", 2, 2, "the text after the first occurrence of a separator (absent if none)"),
    f!("split", 2, 2, "splits a string on a separator"),
    f!("join", 2, 2, "joins a list of strings with a separator"),
    f!("replace", 3, 3, "replaces every occurrence of a text"),
    f!("name", 1, 1, "an object's name"),
    f!("namespace", 1, 1, "an object's namespace; for a Namespace, its own name"),
    f!("kind", 1, 1, "an object's kind"),
    f!("labels", 1, 1, "an object's labels (a map, empty when none)"),
    f!("annotations", 1, 1, "an object's annotations (a map, empty when none)"),
    f!("if", 3, 3, "the second argument when the first is true (or present and not false), else the third"),
    // The schema functions (src/schema/functions.rs); the version is a
    // Kubernetes version (`env.version`), the newest bundled when absent.
    f!(
        "schema-problems",
        2,
        2,
        "an object's problems against its kind's schema in a Kubernetes version (`schema-problems(it, env.version)`), as `path: problem` texts"
    ),
    f!(
        "schema-accepts",
        2,
        2,
        "whether a Kubernetes version serves an object's apiVersion and kind and its schema accepts the object (true for custom resources)"
    ),
    f!(
        "api-served",
        2,
        2,
        "false when an object's apiVersion and kind are Kubernetes' own and the version does not serve them"
    ),
    f!(
        "api-replacement",
        2,
        2,
        "the apiVersion a Kubernetes version serves an object's kind under, when it does not serve the object's own"
    ),
    f!(
        "api-unknown-kind",
        2,
        2,
        "when a Kubernetes version serves an object's apiVersion but no such kind in it: what to say (with a \"did you mean\")"
    ),
    f!(
        "schema-version",
        1,
        1,
        "the bundled schema version used for a Kubernetes version (`\"1.30\"`; the newest bundled when absent)"
    ),
    f!("custom-kind", 1, 1, "whether an object's API group is not Kubernetes' own (a custom resource)"),
    f!(
        "crd-problems",
        2,
        2,
        "a custom resource's problems against the CustomResourceDefinitions given (`crd-problems(it, { it for customresourcedefinitions })`): no CRD for it, or its schema's complaints"
    ),
];

/// Finds a function by name.
pub fn lookup(name: &str) -> Option<(FuncId, &'static Func)> {
    FUNCTIONS.iter().enumerate().find(|(_, f)| f.name == name).map(|(i, f)| (FuncId::next(i), f))
}

/// The name of a function id, for the disassembler.
pub fn func_name(id: FuncId) -> &'static str {
    FUNCTIONS.get(id.index()).map(|f| f.name).unwrap_or("?")
}
