//! From parsed documents to Kubernetes objects: unwraps `List`s and parity
//! snapshots, skips Helm templates and non-Kubernetes documents with a
//! notice (never silently), and reports everything about one file in a
//! [`FileLoad`].

use serde_json::Value as Json;

use super::json;
use super::yaml::{self, Doc, Limits, Pos};
use crate::report::{Notice, RunError};

/// An object before it is placed in an env.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject {
    pub value: Json,
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
    pub objects: Vec<RawObject>,
    pub snapshot: Option<Snapshot>,
    pub errors: Vec<RunError>,
    pub skipped: Vec<Notice>,
    pub warnings: Vec<Notice>,
}

/// Parses `text` (JSON when `is_json`, else YAML) and extracts its objects.
pub fn load_text(text: &str, file: &str, is_json: bool, limits: &Limits) -> FileLoad {
    let mut out = FileLoad::default();
    if !is_json && let Some(line) = helm_template_line(text) {
        out.skipped.push(notice(
            "parity::load::helm-template",
            file,
            line,
            "looks like a Helm template (`{{ ... }}`); render it with `helm template` and pipe \
             the result to `parity check ... -`",
        ));
        return out;
    }
    let parsed =
        if is_json { json::parse_limited(text, file, limits.max_depth) } else { yaml::parse(text, file, limits) };
    match parsed {
        Ok(p) => {
            out.warnings = p.warnings;
            for doc in p.docs {
                extract_doc(doc, file, &mut out);
            }
        }
        Err(e) => out.errors.push(e),
    }
    out
}

fn notice(code: &str, file: &str, line: u32, message: &str) -> Notice {
    Notice { code: code.into(), file: file.into(), line, message: message.into() }
}

fn str_field<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn extract_doc(doc: Doc, file: &str, out: &mut FileLoad) {
    let Doc { mut value, line, offset, items } = doc;
    let api = str_field(&value, "apiVersion").unwrap_or("").to_string();
    let kind = str_field(&value, "kind").unwrap_or("").to_string();
    if kind == "Snapshot" && api.starts_with("parity.dev/") {
        out.snapshot = Some(Snapshot {
            context: str_field(&value, "context").map(str::to_string),
            server_version: str_field(&value, "serverVersion").map(str::to_string),
        });
        if let Some(errors) = value.get("errors").and_then(Json::as_array) {
            for e in errors {
                let text = e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string());
                let message = format!("the snapshot recorded an error: {text}");
                out.warnings.push(notice("parity::load::snapshot-error", file, line, &message));
            }
        }
        let objects = take_array(&mut value, "objects");
        push_items(objects, &items, Pos { line, offset }, None, file, out);
        return;
    }
    if kind.ends_with("List") && value.get("items").is_some_and(Json::is_array) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(str::to_string);
        let defaults = item_kind.map(|k| (api, k));
        let list_items = take_array(&mut value, "items");
        push_items(list_items, &items, Pos { line, offset }, defaults.as_ref(), file, out);
        return;
    }
    push_object(value, Pos { line, offset }, file, out);
}

fn take_array(value: &mut Json, key: &str) -> Vec<Json> {
    match value.get_mut(key).map(Json::take) {
        Some(Json::Array(a)) => a,
        _ => Vec::new(),
    }
}

/// Items of a List or snapshot; `defaults` fills a missing apiVersion/kind
/// (for `XList` documents).
fn push_items(
    values: Vec<Json>,
    positions: &[Pos],
    fallback: Pos,
    defaults: Option<&(String, String)>,
    file: &str,
    out: &mut FileLoad,
) {
    for (i, mut item) in values.into_iter().enumerate() {
        let pos = positions.get(i).copied().unwrap_or(fallback);
        if let (Some((api, kind)), Some(map)) = (defaults, item.as_object_mut()) {
            if !map.get("apiVersion").is_some_and(Json::is_string) && !api.is_empty() {
                map.insert("apiVersion".into(), Json::String(api.clone()));
            }
            if !map.get("kind").is_some_and(Json::is_string) {
                map.insert("kind".into(), Json::String(kind.clone()));
            }
        }
        push_object(item, pos, file, out);
    }
}

fn push_object(value: Json, pos: Pos, file: &str, out: &mut FileLoad) {
    let ok = |k| str_field(&value, k).is_some_and(|s| !s.is_empty());
    if ok("apiVersion") && ok("kind") {
        out.objects.push(RawObject { value, line: pos.line, offset: pos.offset });
    } else {
        out.skipped.push(notice(
            "parity::load::not-kubernetes",
            file,
            pos.line,
            "document is not a Kubernetes object (no `apiVersion`/`kind`)",
        ));
    }
}

/// The first line holding Helm template syntax, if any. `{{` counts when it
/// is outside comments; inside quotes or block scalars (where Prometheus
/// rules and other templates legitimately put `{{ $labels }}`) it counts
/// only when it uses Helm's objects or functions.
pub fn helm_template_line(text: &str) -> Option<u32> {
    if !text.contains("{{") {
        return None;
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
        let quoted = in_block;
        let mut quote: Option<char> = None;
        let mut chars = code.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (_, '{')
                    if chars.peek().is_some_and(|&(_, d)| d == '{')
                        && (!(quoted || quote.is_some()) || helm_call(&code[i + 2..])) =>
                {
                    return Some(n as u32 + 1);
                }
                _ => {}
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
    None
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
