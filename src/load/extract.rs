//! From parsed documents to Kubernetes objects: unwraps `List`s and parity
//! snapshots, skips Helm templates and non-Kubernetes documents with a
//! notice (never silently), and reports everything about one file in a
//! [`FileLoad`].

use std::sync::Arc;

use super::json;
use super::yaml::{self, Doc, Limits, Pos};
use crate::report::{Notice, RunError};
use crate::world::tree::{NodeRef, Tree};

/// An object before it is placed in an env: a root node of its file's tree.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject {
    pub root: u32,
    pub line: u32,
    /// Byte offset where the object's own node starts (document root or list
    /// item); what `locate::field_line` takes.
    pub offset: u32,
}

/// Facts from a parity snapshot file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub context: Option<String>,
    pub server_version: Option<String>,
}

/// Everything one file produced.
#[derive(Debug, Default)]
pub struct FileLoad {
    /// The nodes of every object of the file.
    pub tree: Arc<Tree>,
    pub objects: Vec<RawObject>,
    pub snapshot: Option<Snapshot>,
    pub errors: Vec<RunError>,
    pub skipped: Vec<Notice>,
    pub warnings: Vec<Notice>,
}

/// What a skipped Helm template is told to do.
const RENDER_IT: &str = "render it with `helm template` and pipe the result to `parity check ... -`";

/// Parses `text` (JSON when `is_json`, else YAML) and extracts its objects.
///
/// Template syntax decides nothing by itself: YAML that parses is loaded and
/// checked (`{{ $labels.x }}` in a PrometheusRule, `see{{docs}}`, a quoted
/// `"{{ .Values.x }}"`), with a warning when it holds Helm calls. Only YAML
/// that cannot be read as Kubernetes data and holds `{{` is skipped as a
/// Helm template: text that does not parse, or a `{{` that opens a value
/// (YAML reads `name: {{ .Release.Name }}` as a mapping whose key is a
/// mapping, which kubectl rejects).
pub fn load_text(text: &str, file: &str, is_json: bool, limits: &Limits) -> FileLoad {
    let mut out = FileLoad::default();
    if !is_json && let Some(line) = template_value_line(text) {
        let message = format!("`{{{{` opens a value here: this is a Helm template, not YAML data; {RENDER_IT}");
        out.skipped.push(notice("parity::load::helm-template", file, line, &message));
        return out;
    }
    let parsed =
        if is_json { json::parse_limited(text, file, limits.max_depth) } else { yaml::parse(text, file, limits) };
    match parsed {
        Ok(p) => {
            out.warnings = p.warnings;
            let mut tree = p.tree;
            for doc in p.docs {
                extract_doc(&mut tree, doc, file, &mut out);
            }
            out.tree = Arc::new(tree);
            if !is_json
                && !out.objects.is_empty()
                && let Some(line) = helm_call_line(text)
            {
                let message = "holds Helm template syntax (`{{ .Values ... }}`, `{{ include ... }}`): the objects \
                               are checked with the text as written, not with rendered values";
                out.warnings.push(notice("parity::load::helm-syntax", file, line, message));
            }
        }
        // A syntax error, not a limit or a duplicate key.
        Err(e) if !is_json && e.code == "parity::load::yaml" => match first_braces_line(text) {
            Some(line) => {
                let at = if e.line > 0 { format!(" (line {}: {})", e.line, e.message) } else { String::new() };
                let message =
                    format!("holds `{{{{` and cannot be read as YAML{at}: a Helm template, not checked; {RENDER_IT}");
                out.skipped.push(notice("parity::load::helm-template", file, line, &message));
            }
            None => out.errors.push(e),
        },
        Err(e) => out.errors.push(e),
    }
    out
}

impl FileLoad {
    /// An object's root node.
    pub fn value(&self, o: &RawObject) -> NodeRef<'_> {
        self.tree.get(o.root)
    }
}

fn notice(code: &str, file: &str, line: u32, message: &str) -> Notice {
    Notice { code: code.into(), file: file.into(), line, message: message.into() }
}

fn extract_doc(tree: &mut Tree, doc: Doc, file: &str, out: &mut FileLoad) {
    let Doc { root, line, offset, items } = doc;
    let value = tree.get(root);
    let api = value.str_field("apiVersion").unwrap_or("").to_string();
    let kind = value.str_field("kind").unwrap_or("").to_string();
    let fallback = Pos { line, offset };
    if kind == "Snapshot" && api.starts_with("parity.dev/") {
        out.snapshot = Some(Snapshot {
            context: value.str_field("context").map(str::to_string),
            server_version: value.str_field("serverVersion").map(str::to_string),
        });
        if let Some(errors) = value.get("errors").filter(|e| e.is_seq()) {
            for e in errors.iter() {
                let text = e.as_str().map(str::to_string).unwrap_or_else(|| e.to_json().to_string());
                let message = format!("the snapshot recorded an error: {text}");
                out.warnings.push(notice("parity::load::snapshot-error", file, line, &message));
            }
        }
        let objects = elements(value, "objects");
        push_items(tree, objects, &items, fallback, None, file, out);
        return;
    }
    if kind.ends_with("List") && value.get("items").is_some_and(|i| i.is_seq()) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(str::to_string);
        let defaults = item_kind.map(|k| (api, k));
        let list_items = elements(value, "items");
        push_items(tree, list_items, &items, fallback, defaults.as_ref(), file, out);
        return;
    }
    push_object(tree.get(root), fallback, file, out);
}

/// The indexes of the elements of a sequence field.
fn elements(value: NodeRef, key: &str) -> Vec<u32> {
    value.get(key).filter(|v| v.is_seq()).map(|v| v.iter().map(NodeRef::index).collect()).unwrap_or_default()
}

/// Items of a List or snapshot; `defaults` fills a missing apiVersion/kind
/// (for `XList` documents).
fn push_items(
    tree: &mut Tree,
    values: Vec<u32>,
    positions: &[Pos],
    fallback: Pos,
    defaults: Option<&(String, String)>,
    file: &str,
    out: &mut FileLoad,
) {
    for (i, mut item) in values.into_iter().enumerate() {
        let pos = positions.get(i).copied().unwrap_or(fallback);
        if let Some((api, kind)) = defaults
            && tree.get(item).is_map()
        {
            let has = |tree: &Tree, k: &str| tree.get(item).get(k).is_some_and(|v| v.as_str().is_some());
            let mut extra = Vec::new();
            if !has(tree, "apiVersion") && !api.is_empty() {
                extra.push(("apiVersion", api.as_str()));
            }
            if !has(tree, "kind") {
                extra.push(("kind", kind.as_str()));
            }
            if !extra.is_empty() {
                item = tree.with_entries(item, &extra);
            }
        }
        push_object(tree.get(item), pos, file, out);
    }
}

fn push_object(value: NodeRef, pos: Pos, file: &str, out: &mut FileLoad) {
    let ok = |k| value.str_field(k).is_some_and(|s| !s.is_empty());
    if ok("apiVersion") && ok("kind") {
        out.objects.push(RawObject { root: value.index(), line: pos.line, offset: pos.offset });
    } else {
        out.skipped.push(notice(
            "parity::load::not-kubernetes",
            file,
            pos.line,
            "document is not a Kubernetes object (no `apiVersion`/`kind`)",
        ));
    }
}

/// One `{{` outside a comment.
struct Braces {
    line: u32,
    /// Where YAML starts a value (line start, after `: `, `- `, `? `, `[`,
    /// `,`, `{`): there `{{` opens a flow mapping.
    opens_value: bool,
    /// Followed by Helm's objects or functions (`.Values`, `include`, ...).
    helm: bool,
}

/// Every `{{` of the text outside comments, in order.
fn braces(text: &str) -> Vec<Braces> {
    let mut found = Vec::new();
    // Searched with memchr's SIMD substring search: this runs over every
    // file, once or twice, and nearly all have no `{{`.
    if memchr::memmem::find(text.as_bytes(), b"{{").is_none() {
        return found;
    }
    let mut block_indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty();
        let in_block = match block_indent {
            Some(b) if blank || indent > b => true,
            _ => {
                block_indent = None;
                false
            }
        };
        let code = strip_comment(line);
        let mut quote: Option<char> = None;
        let mut prev: Option<char> = None;
        let mut chars = code.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (None, '"' | '\'') if !in_block && value_start(prev, &code[..i]) => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (_, '{') if chars.peek().is_some_and(|&(_, d)| d == '{') => {
                    let quoted = in_block || quote.is_some();
                    found.push(Braces {
                        line: n as u32 + 1,
                        opens_value: !quoted && value_start(prev, &code[..i]),
                        helm: helm_call(&code[i + 2..]),
                    });
                    chars.next();
                }
                _ => {}
            }
            if !c.is_whitespace() {
                prev = Some(c);
            }
        }
        if !in_block {
            let t = code.trim_end();
            let header = t.rsplit(' ').next().unwrap_or("");
            if (header.starts_with('|') || header.starts_with('>'))
                && header[1..].chars().all(|c| c == '-' || c == '+' || c.is_ascii_digit())
            {
                block_indent = Some(indent);
            }
        }
    }
    found
}

/// Whether a YAML value starts at this point of a line: at its start
/// (after indentation), after a flow indicator (`[`, `,`, `{`), after `: `,
/// or after a `- ` or `? ` that itself starts the line's content.
/// `prev` is the last non-blank character of `before`.
fn value_start(prev: Option<char>, before: &str) -> bool {
    let spaced = before.ends_with(char::is_whitespace);
    match prev {
        None => true,
        Some('[' | ',' | '{') => true,
        Some(':') => spaced,
        Some('-' | '?') => {
            let head = before.trim_end();
            let head = &head[..head.len() - 1];
            spaced && head.trim().chars().all(|c| c == '-' || c.is_whitespace())
        }
        _ => false,
    }
}

/// The first line where `{{` opens a YAML value (see [`load_text`]).
pub fn template_value_line(text: &str) -> Option<u32> {
    braces(text).iter().find(|b| b.opens_value).map(|b| b.line)
}

/// The first line holding `{{` outside comments.
fn first_braces_line(text: &str) -> Option<u32> {
    braces(text).first().map(|b| b.line)
}

/// The first line holding a Helm call (`{{ .Values.x }}`, `{{ include ... }}`)
/// outside comments, quoted or not.
pub fn helm_call_line(text: &str) -> Option<u32> {
    braces(text).iter().find(|b| b.helm).map(|b| b.line)
}

/// Whether template text right after `{{` uses Helm's objects or functions.
fn helm_call(after: &str) -> bool {
    let t = after.trim_start_matches('-').trim_start();
    [".Values", ".Release", ".Chart", ".Capabilities", ".Files", "include ", "template ", "tpl "]
        .iter()
        .any(|p| t.starts_with(p))
}

/// The part of a line before a `#` comment (outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
