//! Multi-document YAML → `serde_json::Value`, built from saphyr-parser's
//! event stream so we control exactly what kubectl would do: scalar
//! resolution (with YAML 1.1 booleans flagged), anchors with an expansion
//! budget, duplicate-key and nesting-depth errors, and the start position of
//! every document (and of each element of a top-level `items`/`objects`
//! list) without keeping per-field positions in memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Value as Json};

use super::scalar::{self, Resolved};
use crate::report::{Notice, RunError};

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
    pub value: Json,
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
    pub docs: Vec<Doc>,
    pub warnings: Vec<Notice>,
}

/// Parses every document of `text`. `file` is the display path used in
/// errors and warnings.
pub fn parse(text: &str, file: &str, limits: &Limits) -> Result<Parsed, RunError> {
    let mut b = Builder {
        file,
        limits: *limits,
        bytes: ByteIndex::new(text),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        items: Vec::new(),
        out: Parsed::default(),
        text,
        budget_checked: false,
    };
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
    Ok(b.out)
}

/// Turns saphyr's error into a `RunError` with a readable message.
pub fn syntax_error(file: &str, e: &ScanError) -> RunError {
    RunError {
        code: "parity::load::yaml".into(),
        file: file.into(),
        line: e.marker().line() as u32,
        column: e.marker().col() as u32 + 1,
        message: readable(e.info()),
    }
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

enum Frame {
    Seq {
        items: Vec<Json>,
        anchor: usize,
        nodes: usize,
        start: Marker,
        /// Record the position of each element (top-level `items`).
        track: bool,
    },
    Map {
        map: Map<String, Json>,
        anchor: usize,
        nodes: usize,
        start: Marker,
        /// The key waiting for its value, with its line and whether it is the
        /// merge key `<<`.
        key: Option<(String, Marker, bool)>,
        /// Line of each explicit key, for duplicate detection.
        lines: HashMap<String, u32>,
    },
}

struct Builder<'a> {
    file: &'a str,
    limits: Limits,
    bytes: ByteIndex<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Json, usize)>,
    alias_nodes: usize,
    root: Option<(Json, Marker)>,
    items: Vec<Pos>,
    out: Parsed,
    text: &'a str,
    /// Whether `check_alias_budget` already ran over the whole file.
    budget_checked: bool,
}

impl Builder<'_> {
    fn error(&self, code: &str, at: Marker, message: String) -> RunError {
        RunError {
            code: code.into(),
            file: self.file.into(),
            line: at.line() as u32,
            column: at.col() as u32 + 1,
            message,
        }
    }

    fn event(&mut self, event: Event<'_>, at: Marker) -> Result<(), RunError> {
        match event {
            Event::DocumentStart(_) => {
                self.root = None;
                self.items.clear();
            }
            Event::DocumentEnd => {
                if let Some((value, start)) = self.root.take()
                    && !value.is_null()
                {
                    let offset = self.bytes.byte(start.index()) as u32;
                    let items = std::mem::take(&mut self.items);
                    self.out.docs.push(Doc { value, line: start.line() as u32, offset, items });
                }
                // Anchors are scoped to their document.
                self.anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.node_starts(at);
                let value = self.scalar(&text, style, tag.as_deref(), at);
                self.complete(value, 1, anchor, at)?;
            }
            Event::Alias(id) => {
                self.node_starts(at);
                if !self.budget_checked {
                    // Count first, build after: a bomb must be rejected before
                    // any of it is materialised.
                    self.budget_checked = true;
                    check_alias_budget(self.text, self.file, &self.limits)?;
                }
                let Some((value, nodes)) = self.anchors.get(&id) else {
                    return Err(self.error("parity::load::yaml", at, "unknown anchor".into()));
                };
                let nodes = *nodes;
                self.alias_nodes = self.alias_nodes.saturating_add(nodes);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    let message = budget_message(&self.limits);
                    return Err(self.error("parity::load::alias-budget", at, message));
                }
                let value = value.clone();
                self.complete(value, nodes, 0, at)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.node_starts(at);
                self.check_depth(at)?;
                let track = self.stack.len() == 1
                    && matches!(
                        self.stack.last(),
                        Some(Frame::Map { key: Some((k, _, _)), .. }) if k == "items" || k == "objects"
                    );
                if track {
                    self.items.clear();
                }
                self.stack.push(Frame::Seq { items: Vec::new(), anchor, nodes: 1, start: at, track });
            }
            Event::MappingStart(anchor, _) => {
                self.node_starts(at);
                self.check_depth(at)?;
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    anchor,
                    nodes: 1,
                    start: at,
                    key: None,
                    lines: HashMap::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, nodes, anchor, start) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, nodes, start, .. }) => (Json::Array(items), nodes, anchor, start),
                    Some(Frame::Map { map, anchor, nodes, start, .. }) => (Json::Object(map), nodes, anchor, start),
                    None => return Ok(()),
                };
                self.complete(value, nodes, anchor, start)?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
        Ok(())
    }

    fn check_depth(&self, at: Marker) -> Result<(), RunError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error(
                "parity::load::depth",
                at,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        Ok(())
    }

    /// Records the position of an element of the top-level `items` list.
    fn node_starts(&mut self, at: Marker) {
        if let Some(Frame::Seq { track: true, .. }) = self.stack.last() {
            let offset = self.bytes.byte(at.index()) as u32;
            self.items.push(Pos { line: at.line() as u32, offset });
        }
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>, at: Marker) -> Json {
        if let Some(tag) = tag {
            if tag.is_yaml_core_schema() {
                if let Some(v) = scalar::resolve_tagged(&tag.suffix, text) {
                    return v;
                }
            } else if tag.handle == "!" && tag.suffix.is_empty() {
                // The non-specific tag `!` forces a string.
                return Json::String(text.to_string());
            }
        }
        if style != ScalarStyle::Plain {
            return Json::String(text.to_string());
        }
        match scalar::resolve_plain(text) {
            Resolved::Value(v) => v,
            Resolved::Yaml11Bool(b) => {
                self.out.warnings.push(Notice {
                    code: "parity::load::yaml11-bool".into(),
                    file: self.file.into(),
                    line: at.line() as u32,
                    message: format!(
                        "unquoted `{text}` is read as boolean {b} by kubectl (YAML 1.1); \
                         quote it if you meant a string"
                    ),
                });
                Json::Bool(b)
            }
        }
    }

    /// Hands a finished node to its parent (or makes it the document root).
    fn complete(&mut self, value: Json, nodes: usize, anchor: usize, start: Marker) -> Result<(), RunError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
        let Some(top) = self.stack.last_mut() else {
            self.root = Some((value, start));
            return Ok(());
        };
        match top {
            Frame::Seq { items, nodes: n, .. } => {
                *n = n.saturating_add(nodes);
                items.push(value);
            }
            Frame::Map { map, nodes: n, key, lines, .. } => {
                *n = n.saturating_add(nodes);
                match key.take() {
                    None => {
                        let is_merge = value.as_str() == Some("<<");
                        *key = Some((key_string(value), start, is_merge));
                    }
                    Some((k, _, true)) if k == "<<" => merge(map, value),
                    Some((k, at, _)) => {
                        if let Some(&first) = lines.get(&k) {
                            let message = format!("duplicate key `{k}` in mapping (first at line {first})");
                            return Err(self.error("parity::load::duplicate-key", at, message));
                        }
                        lines.insert(k.clone(), at.line() as u32);
                        map.insert(k, value);
                    }
                }
            }
        }
        Ok(())
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
                    return Err(RunError {
                        code: "parity::load::alias-budget".into(),
                        file: file.into(),
                        line: at.line() as u32,
                        column: at.col() as u32 + 1,
                        message: budget_message(limits),
                    });
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

/// The string form of a mapping key.
fn key_string(value: Json) -> String {
    match value {
        Json::String(s) => s,
        Json::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Applies a merge key (`<<: *base`): keys already present win.
fn merge(map: &mut Map<String, Json>, value: Json) {
    let sources = match value {
        Json::Array(items) => items,
        other => vec![other],
    };
    for source in sources {
        if let Json::Object(m) = source {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
    }
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
