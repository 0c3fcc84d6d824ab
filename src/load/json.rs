//! JSON manifests and parity snapshots, read with serde_json (the fast path
//! for big snapshot files). serde_json gives no positions, so a light byte
//! scanner finds where the root value and each element of its top-level
//! `items`/`objects` array start, and those offsets become line numbers.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::LoadError;
use super::yaml::{Doc, Parsed, Pos};
use crate::report::{ErrorAt, RunError};
use crate::world::tree::{Builder, Node, Span};

/// Parses one JSON file with the default nesting limit. Whitespace-only
/// text yields no document.
pub fn parse(text: &str, file: &str) -> Result<Parsed, RunError> {
    parse_limited(text, file, super::yaml::Limits::default().max_depth)
}

/// Parses one JSON file, rejecting nesting deeper than `max_depth` (the
/// same limit as YAML) before serde_json sees it. serde_json also stops at
/// 128 levels on its own; that error gets the same code.
pub fn parse_limited(text: &str, file: &str, max_depth: usize) -> Result<Parsed, RunError> {
    let values = check_depth(text, file, max_depth)?;
    let base = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let body = &text[base..];
    let Some(start) = body.bytes().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(Parsed::default());
    };
    // Sized from the count of values the depth check made: an upper bound,
    // so the node vectors are never grown (and copied) while parsing, which
    // on dense input (a long array of small numbers) doubled their memory.
    let values = values.min(text.len() / 2 + 2);
    let mut tree = Builder::with_capacity(values, text.len() / 2, false);
    tree.reserve_pending(values);
    let mut de = serde_json::Deserializer::from_str(body);
    let node = NodeSeed(&mut tree).deserialize(&mut de).and_then(|n| de.end().map(|_| n));
    let node = node.map_err(|e| json_error(file, &e))?;
    if node == Node::Null {
        return Ok(Parsed::default());
    }
    let root = tree.root(node);
    let tree = tree.finish();
    let start = base + start;
    let tracked = ["items", "objects"].iter().any(|k| tree.get(root).get(k).is_some_and(|v| v.is_seq()));
    let offsets = if tracked { element_offsets(text, start) } else { Vec::new() };
    let mut lines = LineCounter::new(text);
    let line = lines.line_of(start);
    let items = offsets.into_iter().map(|o| Pos { line: lines.line_of(o), offset: o as u32 }).collect();
    Ok(Parsed { tree, docs: vec![Doc { root, line, offset: start as u32, items }], warnings: Vec::new() })
}

/// Builds tree nodes straight from serde_json's parser, with no
/// intermediate `serde_json::Value`.
struct NodeSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(Node::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        Ok(i64::try_from(u).map(Node::Int).unwrap_or(Node::UInt(u)))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Node, E> {
        Ok(Node::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(self.0.string(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mark = self.0.mark();
        while let Some(node) = seq.next_element_seed(NodeSeed(self.0))? {
            self.0.push(Span::default(), node);
        }
        Ok(self.0.close_seq(mark))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mark = self.0.mark();
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            let node = map.next_value_seed(NodeSeed(self.0))?;
            self.0.push(key, node);
        }
        // A key given twice is an error, as in YAML and as kubectl's strict
        // field validation has it (serde_json would keep the last).
        self.0
            .close_unique_map(mark)
            .map_err(|key| de::Error::custom(format!("{DUPLICATE_KEY}`{}` in object", self.0.text_of(key))))
    }
}

/// A map key, stored in the tree's text.
struct KeySeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Span;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Span, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, s: &str) -> Result<Span, E> {
        Ok(self.0.key(s))
    }
}

/// Rejects JSON whose arrays and objects nest deeper than `max_depth`, with
/// the line and column of the first bracket too many. Strings are skipped;
/// the text need not be valid JSON (serde_json reports that afterwards).
/// Returns an upper bound of the number of values in the text (one more
/// than its commas and brackets).
pub fn check_depth(text: &str, file: &str, max_depth: usize) -> Result<usize, RunError> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut values = 1usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b',' => values += 1,
            b'[' | b'{' => {
                values += 1;
                depth += 1;
                if depth > max_depth {
                    // Line and column (in characters) only for the error.
                    let before = &text[..i];
                    let line = before.bytes().filter(|&c| c == b'\n').count() as u32 + 1;
                    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
                    let col = text[line_start..=i].chars().count() as u32;
                    return Err(depth_error(file, line, col, max_depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(values)
}

/// The error for nesting past the limit, shared with YAML.
pub fn depth_error(file: &str, line: u32, column: u32, max_depth: usize) -> RunError {
    LoadError::Depth(format!("nesting deeper than {max_depth} levels")).at_pos(file, line, column)
}

/// How the message of a key given twice in one object starts.
const DUPLICATE_KEY: &str = "duplicate key ";

/// serde_json's error as a `RunError`, without the " at line L column C"
/// suffix that the fields already carry.
fn json_error(file: &str, e: &serde_json::Error) -> RunError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    let error = if message == "recursion limit exceeded" {
        LoadError::Depth(message)
    } else if message.starts_with(DUPLICATE_KEY) {
        LoadError::DuplicateKey(message)
    } else {
        LoadError::Json(message)
    };
    error.at_pos(file, e.line() as u32, e.column() as u32)
}

/// Byte offsets of the elements of the root object's `items` or `objects`
/// array (the last such key wins, as in serde_json). `start` is the offset of
/// the root value; the text is known to be valid JSON.
pub fn element_offsets(text: &str, start: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut offsets = Vec::new();
    let mut depth = 0usize;
    let mut want_key = false;
    let mut last_key: &str = "";
    // After `"items":` at depth 1: the next value decides whether we track.
    let mut pending = false;
    let mut tracking = false;
    let mut want_elem = false;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if pending {
            pending = false;
            if c == b'[' && depth == 1 {
                tracking = true;
                want_elem = true;
                offsets.clear();
                depth += 1;
                i += 1;
                continue;
            }
        }
        if want_elem && c != b']' {
            offsets.push(i);
            want_elem = false;
        }
        match c {
            b'"' => {
                let s = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && want_key {
                    last_key = text.get(s..i).unwrap_or("");
                    want_key = false;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                want_key = depth == 1 && c == b'{';
            }
            b'}' | b']' => {
                if tracking && depth == 2 {
                    tracking = false;
                    want_elem = false;
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            b',' => {
                want_key = depth == 1;
                want_elem = tracking && depth == 2;
            }
            b':' if depth == 1 => pending = last_key == "items" || last_key == "objects",
            _ => {}
        }
        i += 1;
    }
    offsets
}

/// Converts increasing byte offsets to 1-based lines in one pass.
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter { bytes: text.as_bytes(), pos: 0, line: 1 }
    }

    pub fn line_of(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.bytes.len());
        if offset < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.pos..offset].iter().filter(|&&b| b == b'\n').count() as u32;
        self.pos = offset;
        self.line
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
