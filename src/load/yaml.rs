//! Multi-document YAML → `serde_json::Value`, built from saphyr-parser's
//! event stream so we control exactly what kubectl would do: scalar
//! resolution (with YAML 1.1 booleans flagged), anchors with an expansion
//! budget, duplicate-key and nesting-depth errors, and the start position of
//! every document (and of each element of a top-level `items`/`objects`
//! list) without keeping per-field positions in memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::Value as Json;

use super::LoadError;
use super::scalar::{self, Plain};
use crate::report::{ErrorAt, Notice, RunError};
use crate::world::tree::{Builder as TreeBuilder, KeepKey, Node, Span, Tree, number};

mod reader;
use reader::*;

/// Limits that keep hostile input cheap to reject.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest allowed nesting of sequences and mappings (YAML and JSON).
    pub max_depth: usize,
    /// Total nodes alias expansion may produce in one file.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_depth: 100, max_alias_nodes: 1_000_000 }
    }
}

/// Where a node starts: 1-based line and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub offset: u32,
}

/// One non-empty document.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Index of its root node in the file's tree.
    pub root: u32,
    /// 1-based line where the document's root node starts.
    pub line: u32,
    /// Byte offset of that start.
    pub offset: u32,
    /// Start of each element of the root mapping's `items` (or `objects`)
    /// sequence, in order; empty when there is none.
    pub items: Vec<Pos>,
}

/// The documents of one file plus warnings found while reading them.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Every document's nodes.
    pub tree: Tree,
    pub docs: Vec<Doc>,
    pub warnings: Vec<Notice>,
}

impl Parsed {
    /// Document `i` as JSON (a copy), or null when there is none.
    pub fn value(&self, i: usize) -> Json {
        self.docs.get(i).map(|d| self.tree.get(d.root).to_json()).unwrap_or(Json::Null)
    }
}

/// Parses every document of `text`. `file` is the display path used in
/// errors and warnings.
pub fn parse(text: &str, file: &str, limits: &Limits) -> Result<Parsed, RunError> {
    match super::fast::parse(text, file, limits) {
        Some(parsed) => Ok(parsed),
        None => parse_general(text, file, limits),
    }
}

/// Parses every document of `text` with the general parser (saphyr), which
/// takes any YAML and reports every error; `parse` tries the fast path
/// (`super::fast`) first.
pub fn parse_general(text: &str, file: &str, limits: &Limits) -> Result<Parsed, RunError> {
    let mut tree = TreeBuilder::default();
    let mut alias_nodes = 0;
    let (docs, warnings) = parse_into(&mut tree, text, file, limits, &mut alias_nodes)?;
    Ok(Parsed { tree: tree.finish(), docs, warnings })
}

/// Parses every document of `text` with the general parser into `tree`;
/// `alias_nodes` counts the nodes alias expansion produced so far in the
/// file (the fast path hands it one document at a time, see
/// `super::fast`), against `limits.max_alias_nodes`. Positions are
/// relative to `text`.
pub fn parse_into(
    tree: &mut TreeBuilder,
    text: &str,
    file: &str,
    limits: &Limits,
    alias_nodes: &mut usize,
) -> Result<(Vec<Doc>, Vec<Notice>), RunError> {
    let mut b = Reader {
        file,
        limits: *limits,
        bytes: ByteIndex::new(text),
        stack: Vec::new(),
        tree: std::mem::take(tree),
        anchors: HashMap::new(),
        alias_nodes: *alias_nodes,
        root: None,
        items: Vec::new(),
        docs: Vec::new(),
        warnings: Vec::new(),
        text,
        budget_checked: false,
    };
    let mut run = || -> Result<(), RunError> {
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| {
                if e.info() == "recursion limit exceeded" {
                    // saphyr's scanner stops flow collections at 255 levels,
                    // possibly before our own depth check sees the events.
                    let at = e.marker();
                    super::json::depth_error(file, at.line() as u32, at.col() as u32 + 1, limits.max_depth)
                } else {
                    syntax_error(file, &e)
                }
            })?;
            b.event(event, span.start)?;
        }
        Ok(())
    };
    let result = run();
    *tree = std::mem::take(&mut b.tree);
    *alias_nodes = b.alias_nodes;
    result.map(|()| (b.docs, b.warnings))
}

/// A plain scalar as a node, with the warning for a YAML 1.1 boolean or
/// number (shared by the general parser and the fast path). `None` for
/// `.inf`, `-.inf` and `.nan`, which have no JSON form: the caller decides
/// (an error as a value, the text as a key).
pub fn plain_node(
    tree: &mut TreeBuilder,
    warnings: &mut Vec<Notice>,
    file: &str,
    line: u32,
    text: &str,
) -> Option<Node> {
    Some(match scalar::classify_plain(text) {
        Plain::Null => Node::Null,
        Plain::Bool(b) => Node::Bool(b),
        Plain::Number(n) => number(&n),
        Plain::Str => tree.string(text),
        Plain::Yaml11Bool(b) => {
            warnings.push(yaml11_warning(file, line, text, b));
            Node::Bool(b)
        }
        Plain::Yaml11Number(n) => {
            warnings.push(Notice {
                code: "parity::load::yaml11-number".into(),
                file: file.into(),
                line,
                message: format!(
                    "unquoted `{}` is read as the number {n} by kubectl (YAML 1.1); quote it if you meant a string",
                    short(text)
                ),
            });
            number(&n)
        }
        Plain::NonFinite(_) => return None,
    })
}

/// The error for a plain `.inf`, `-.inf` or `.nan` value.
pub fn non_finite_error(file: &str, line: u32, column: u32, text: &str) -> RunError {
    LoadError::YamlValue(format!(
        "`{text}` is a YAML float JSON cannot hold: kubectl rejects the file (json: unsupported value); quote it for a string"
    ))
    .at_pos(file, line, column)
}

/// At most 64 characters of a scalar, for messages.
pub fn short(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// The warning for an unquoted YAML 1.1 boolean.
pub fn yaml11_warning(file: &str, line: u32, text: &str, b: bool) -> Notice {
    Notice {
        code: "parity::load::yaml11-bool".into(),
        file: file.into(),
        line,
        message: format!(
            "unquoted `{text}` is read as boolean {b} by kubectl (YAML 1.1); quote it if you meant a string"
        ),
    }
}

/// Turns saphyr's error into a `RunError` with a readable message.
pub fn syntax_error(file: &str, e: &ScanError) -> RunError {
    LoadError::Yaml(readable(e.info())).at_pos(file, e.marker().line() as u32, e.marker().col() as u32 + 1)
}

/// Lower-cases the first letter and drops a trailing period.
pub fn readable(msg: &str) -> String {
    let msg = msg.trim().trim_end_matches('.');
    let mut chars = msg.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "invalid YAML".into(),
    }
}

/// Converts saphyr's character indexes into byte offsets. Positions are
/// asked for mostly in increasing order, so a forward cursor is cheap.
pub struct ByteIndex<'a> {
    text: &'a str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'a> ByteIndex<'a> {
    pub fn new(text: &'a str) -> ByteIndex<'a> {
        ByteIndex { text, ascii: text.is_ascii(), chars: 0, bytes: 0 }
    }

    pub fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        if char_index < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        let rest = &self.text[self.bytes..];
        let mut it = rest.char_indices().skip(char_index - self.chars);
        self.bytes += it.next().map(|(b, _)| b).unwrap_or(rest.len());
        self.chars = char_index;
        self.bytes
    }
}

/// Counts the nodes alias expansion would produce over the whole file,
/// without building any value, and fails once the budget is exceeded.
/// Syntax errors are left for the building pass to report.
fn check_alias_budget(text: &str, file: &str, limits: &Limits) -> Result<(), RunError> {
    let mut stack: Vec<(usize, usize)> = Vec::new(); // (anchor, nodes)
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut total: usize = 0;
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else {
            return Ok(());
        };
        let done = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                stack.push((anchor, 1));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => stack.pop(),
            Event::Scalar(_, _, anchor, _) => Some((anchor, 1)),
            Event::Alias(id) => {
                let nodes = anchors.get(&id).copied().unwrap_or(1);
                total = total.saturating_add(nodes);
                if total > limits.max_alias_nodes {
                    let at = span.start;
                    let error = LoadError::AliasBudget(budget_message(limits));
                    return Err(error.at_pos(file, at.line() as u32, at.col() as u32 + 1));
                }
                Some((0, nodes))
            }
            Event::DocumentEnd => {
                anchors.clear();
                None
            }
            _ => None,
        };
        if let Some((anchor, nodes)) = done {
            if anchor != 0 {
                anchors.insert(anchor, nodes);
            }
            if let Some(parent) = stack.last_mut() {
                parent.1 = parent.1.saturating_add(nodes);
            }
        }
    }
    Ok(())
}

fn budget_message(limits: &Limits) -> String {
    format!("alias expansion exceeds {} nodes (a \"billion laughs\" file?)", limits.max_alias_nodes)
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
