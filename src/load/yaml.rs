//! Multi-document YAML → `serde_json::Value`, built from saphyr-parser's
//! event stream so we control exactly what kubectl would do: scalar
//! resolution (with YAML 1.1 booleans flagged), anchors with an expansion
//! budget, duplicate-key and nesting-depth errors, and the start position of
//! every document (and of each element of a top-level `items`/`objects`
//! list) without keeping per-field positions in memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::Value as Json;

use super::scalar::{self, Plain};
use crate::report::{Notice, RunError};
use crate::world::tree::{Builder as TreeBuilder, KeepKey, Node, Span, Tree, number};

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
    RunError {
        code: "parity::load::yaml-value".into(),
        file: file.into(),
        line,
        column,
        message: format!(
            "`{text}` is a YAML float JSON cannot hold: kubectl rejects the file (json: unsupported value); quote it for a string"
        ),
    }
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
        /// Where its elements begin on the tree builder's pending stack.
        mark: usize,
        anchor: usize,
        nodes: usize,
        start: Marker,
        /// Record the position of each element (top-level `items`).
        track: bool,
    },
    Map {
        mark: usize,
        anchor: usize,
        nodes: usize,
        start: Marker,
        /// The key waiting for its value, with its position and whether it
        /// is the merge key `<<`.
        key: Option<(Span, Marker, bool)>,
        /// Line of each explicit key, in push order, for duplicate errors.
        lines: Vec<u32>,
        /// Explicit keys → line, built once a mapping is too big to scan.
        index: Option<HashMap<String, u32>>,
        /// Values of merge keys (`<<: *base`), applied when the map closes.
        merges: Vec<Node>,
    },
}

/// The longest JSON text a collection used as a mapping key may have.
const MAX_COMPLEX_KEY: usize = 1024;

/// Mappings with more keys than this get a hash index for duplicate checks.
const SCAN_KEYS: usize = 16;

struct Reader<'a> {
    file: &'a str,
    limits: Limits,
    bytes: ByteIndex<'a>,
    stack: Vec<Frame>,
    tree: TreeBuilder,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<(Node, Marker)>,
    items: Vec<Pos>,
    docs: Vec<Doc>,
    warnings: Vec<Notice>,
    text: &'a str,
    /// Whether `check_alias_budget` already ran over the whole file.
    budget_checked: bool,
}

impl Reader<'_> {
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
                if let Some((node, start)) = self.root.take()
                    && node != Node::Null
                {
                    let offset = self.bytes.byte(start.index()) as u32;
                    let items = std::mem::take(&mut self.items);
                    let root = self.tree.root(node);
                    self.docs.push(Doc { root, line: start.line() as u32, offset, items });
                }
                // Anchors are scoped to their document.
                self.anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.node_starts(at);
                let tag = tag.as_deref();
                let node = self.scalar(&text, style, tag, at)?;
                // go-yaml's merge key: a plain, untagged `<<`, or `!!merge`.
                let is_merge_key = &*text == "<<"
                    && match tag {
                        None => style == ScalarStyle::Plain,
                        Some(t) => t.is_yaml_core_schema() && t.suffix == "merge",
                    };
                self.complete(node, 1, anchor, at, is_merge_key)?;
            }
            Event::Alias(id) => {
                self.node_starts(at);
                if !self.budget_checked {
                    // Count first, build after: a bomb must be rejected before
                    // any of it is materialised.
                    self.budget_checked = true;
                    let left = Limits {
                        max_alias_nodes: self.limits.max_alias_nodes.saturating_sub(self.alias_nodes),
                        ..self.limits
                    };
                    check_alias_budget(self.text, self.file, &left)?;
                }
                let Some(&(node, nodes)) = self.anchors.get(&id) else {
                    return Err(self.error("parity::load::yaml", at, "unknown anchor".into()));
                };
                self.alias_nodes = self.alias_nodes.saturating_add(nodes);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    let message = budget_message(&self.limits);
                    return Err(self.error("parity::load::alias-budget", at, message));
                }
                // An alias is never the merge key, even to a `<<` (go-yaml).
                self.complete(node, nodes, 0, at, false)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.node_starts(at);
                self.check_depth(at)?;
                let track = self.stack.len() == 1
                    && matches!(
                        self.stack.last(),
                        Some(Frame::Map { key: Some((k, _, _)), .. })
                            if matches!(self.tree.text_of(*k), "items" | "objects")
                    );
                if track {
                    self.items.clear();
                }
                let mark = self.tree.mark();
                self.stack.push(Frame::Seq { mark, anchor, nodes: 1, start: at, track });
            }
            Event::MappingStart(anchor, _) => {
                self.node_starts(at);
                self.check_depth(at)?;
                let mark = self.tree.mark();
                self.stack.push(Frame::Map {
                    mark,
                    anchor,
                    nodes: 1,
                    start: at,
                    key: None,
                    lines: Vec::new(),
                    index: None,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, nodes, anchor, start) = match self.stack.pop() {
                    Some(Frame::Seq { mark, anchor, nodes, start, .. }) => {
                        (self.tree.close_seq(mark), nodes, anchor, start)
                    }
                    Some(Frame::Map { mark, anchor, nodes, start, merges, .. }) => {
                        for source in merges {
                            self.merge(source);
                        }
                        (self.tree.close_map(mark, KeepKey::First), nodes, anchor, start)
                    }
                    None => return Ok(()),
                };
                self.complete(node, nodes, anchor, start, false)?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
        Ok(())
    }

    /// Pushes the entries of a merge source after the map's own: a map, or
    /// a list of maps (earlier ones win).
    fn merge(&mut self, source: Node) {
        let maps = match source {
            Node::Seq { .. } => self.tree.seq_elements(source),
            other => vec![other],
        };
        for map in maps {
            for (k, v) in self.tree.map_entries(map) {
                self.tree.push(k, v);
            }
        }
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

    /// A scalar as kubectl reads it (`scalar`): a `!!` tag decides, any
    /// other tag or quoting makes a string, a plain scalar is resolved.
    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>, at: Marker) -> Result<Node, RunError> {
        let line = at.line() as u32;
        if let Some(tag) = tag {
            if !tag.is_yaml_core_schema() {
                // `!`, `!local`, `!<...>`: go-yaml leaves the text a string.
                return Ok(self.tree.string(text));
            }
            return match scalar::resolve_tagged(&tag.suffix, text) {
                scalar::Tagged::Value(v) => Ok(self.tree.json(&v)),
                scalar::Tagged::Binary(decoded, bytes) => {
                    self.warnings.push(Notice {
                        code: "parity::load::yaml-binary".into(),
                        file: self.file.into(),
                        line,
                        message: format!(
                            "`!!binary` value is sent by kubectl as its {bytes} decoded bytes, not as base64 text; drop the tag to send the base64 text"
                        ),
                    });
                    Ok(self.tree.string(&decoded))
                }
                scalar::Tagged::Error(reason) => Err(self.error(
                    "parity::load::yaml-tag",
                    at,
                    format!("kubectl rejects `!!{} {}`: {}", tag.suffix, short(text), reason),
                )),
            };
        }
        if style != ScalarStyle::Plain {
            return Ok(self.tree.string(text));
        }
        match plain_node(&mut self.tree, &mut self.warnings, self.file, line, text) {
            Some(node) => Ok(node),
            None => {
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                match scalar::classify_plain(text) {
                    // As a key kubectl writes the float's text.
                    scalar::Plain::NonFinite(key) if is_key => Ok(self.tree.string(key)),
                    _ => Err(non_finite_error(self.file, line, at.col() as u32 + 1, text)),
                }
            }
        }
    }

    /// The span of a mapping key: a string's own text, anything else its
    /// JSON text (`null` for null).
    fn key_span(&mut self, node: Node, at: Marker) -> Result<Span, RunError> {
        match node {
            Node::Str(s) => Ok(s),
            Node::Null => Ok(self.tree.text("null")),
            other => {
                // A key that is itself a mapping or sequence becomes its JSON
                // text. Nested ones would escape each other's quotes, doubling
                // in length at every level: keep them short.
                let text = self.tree.node_json(other).to_string();
                if text.len() > MAX_COMPLEX_KEY {
                    let message = format!("mapping key is a collection longer than {MAX_COMPLEX_KEY} characters");
                    return Err(self.error("parity::load::yaml", at, message));
                }
                Ok(self.tree.text(&text))
            }
        }
    }

    /// Hands a finished node to its parent (or makes it the document root).
    fn complete(
        &mut self,
        node: Node,
        nodes: usize,
        anchor: usize,
        start: Marker,
        is_merge_key: bool,
    ) -> Result<(), RunError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node, nodes));
        }
        let waiting = match self.stack.last_mut() {
            None => {
                self.root = Some((node, start));
                return Ok(());
            }
            Some(Frame::Seq { nodes: n, .. }) => {
                *n = n.saturating_add(nodes);
                self.tree.push(Span::default(), node);
                return Ok(());
            }
            Some(Frame::Map { nodes: n, key, .. }) => {
                *n = n.saturating_add(nodes);
                key.take()
            }
        };
        match waiting {
            None => {
                let span = self.key_span(node, start)?;
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some((span, start, is_merge_key));
                }
            }
            Some((_, _, true)) => {
                // go-yaml: "map merge requires map or sequence of maps as the
                // value"; kubectl rejects anything else.
                let is_map = |n: &Node| matches!(n, Node::Map { .. });
                let ok = match node {
                    Node::Map { .. } => true,
                    Node::Seq { .. } => self.tree.seq_elements(node).iter().all(is_map),
                    _ => false,
                };
                if !ok {
                    let message = "the merge key `<<` needs a mapping or a list of mappings as its value; \
                                   kubectl rejects anything else"
                        .to_string();
                    return Err(self.error("parity::load::yaml-merge", start, message));
                }
                if let Some(Frame::Map { merges, .. }) = self.stack.last_mut() {
                    merges.push(node);
                }
            }
            Some((k, at, false)) => {
                let line = at.line() as u32;
                if let Some(first) = self.first_line_of(k) {
                    let message =
                        format!("duplicate key `{}` in mapping (first at line {first})", self.tree.text_of(k));
                    return Err(self.error("parity::load::duplicate-key", at, message));
                }
                self.tree.push(k, node);
                let key = self.tree.text_of(k).to_string();
                if let Some(Frame::Map { lines, index, .. }) = self.stack.last_mut() {
                    lines.push(line);
                    if let Some(index) = index {
                        index.insert(key, line);
                    }
                }
            }
        }
        Ok(())
    }

    /// The line of an earlier explicit key equal to `k` in the innermost
    /// mapping, if any.
    fn first_line_of(&mut self, k: Span) -> Option<u32> {
        let Some(Frame::Map { mark, lines, index, .. }) = self.stack.last() else { return None };
        let key = self.tree.text_of(k);
        if let Some(index) = index {
            return index.get(key).copied();
        }
        let found = self.tree.pending_keys(*mark).position(|e| e == key).map(|i| lines[i]);
        if found.is_none() && lines.len() >= SCAN_KEYS {
            let built: HashMap<String, u32> =
                self.tree.pending_keys(*mark).map(str::to_string).zip(lines.iter().copied()).collect();
            if let Some(Frame::Map { index, .. }) = self.stack.last_mut() {
                *index = Some(built);
            }
        }
        found
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

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
