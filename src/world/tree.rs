//! The compact document tree every loaded object lives in.
//!
//! A [`Tree`] holds all documents of one file: its nodes in one `Vec`, each
//! map entry's key beside its node, and every string (keys and values) in
//! one text buffer. A node is stored in 12 bytes with the line it starts on
//! ([`Stored`]; 4 more for its key, whose length is stored in the text
//! before it) and refers to its children by index, so a manifest's tree
//! costs about as many bytes as its YAML text, against ~17× for a tree of
//! `serde_json::Value`s (a `BTreeMap` per mapping, a heap string per key),
//! and building one allocates a handful of times per file rather than once
//! per node. Map entries are sorted by key (the order `serde_json::Map`
//! iterates in), so a lookup is a short scan or a binary search. A key that
//! repeats through a file is stored once ([`Builder::key`]). Where the
//! builder knows them (the fast YAML path), the tree also records the line
//! each node starts on, which findings report.
//!
//! Trees are built bottom-up by a [`Builder`]: the children of an open
//! sequence or mapping wait on a pending stack and move into the node array,
//! contiguously, when it closes. A node is `Copy` and self-contained, so a
//! YAML alias is a copy of its anchor's node: the subtree is shared, not
//! expanded.

use std::fmt;

use serde_json::Value as Json;

mod builder;
pub use builder::*;

/// A span of a tree's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub off: u32,
    pub len: u32,
}

/// A hash of a key's first and last bytes, for `key_slot` (which adds the
/// length): whole words read at both ends (overlapping for a short key),
/// never a copy of a length known only now (a call to `memcpy`).
#[inline]
fn prefix(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        return u64::from_le_bytes(*head) ^ u64::from_le_bytes(*tail).rotate_left(29);
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32;
    }
    match bytes {
        [] => 0,
        [a, ..] => u64::from(*a) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16,
    }
}

/// The first eight bytes of the key `s` of `text` (a slice of it),
/// zero-padded, in big-endian order: for keys that differ in them, their
/// order is the keys' byte order (a key that ends within them is padded
/// with zeros, below any byte it could go on with but a zero byte, so
/// equal words decide nothing). Read as one word from `text`, which goes
/// on past a short key.
#[inline]
fn order_word(text: &[u8], s: Span) -> u64 {
    let at = s.off as usize;
    match text.get(at..at + 8) {
        Some(w) => {
            let word = u64::from_be_bytes(w.try_into().unwrap_or([0; 8]));
            if s.len >= 8 { word } else { word & !(u64::MAX >> (8 * s.len)) }
        }
        None => {
            let mut word = 0u64;
            for (i, &c) in text.get(at..).unwrap_or(&[]).iter().take(s.len.min(8) as usize).enumerate() {
                word |= u64::from(c) << (56 - 8 * i);
            }
            word
        }
    }
}

/// One node. Children of `Seq`/`Map` are `nodes[start..start + len]`, and
/// the keys of a `Map`'s entries `keys[start..start + len]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Span),
    Seq { start: u32, len: u32 },
    Map { start: u32, len: u32 },
}

/// Lines above this are not stored (a file of more than 2^29 lines):
/// such a node's line is found in the file's text, as for JSON.
const LINE_LIMIT: u32 = u32::MAX >> 3;

/// A node as a tree stores it: 12 bytes, where [`Node`] takes 16 with its
/// tag. The tag shares its word with the 1-based line the node starts on
/// (0 where not known): a tree of 5 million nodes is 40 MB smaller than
/// with a `Node` and a separate line each (20 MB for a tree without
/// lines), which is that many fewer pages to fault in and fewer cache
/// lines to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    /// The tag (low 3 bits) and the line (the rest).
    head: u32,
    a: u32,
    b: u32,
}

impl Stored {
    /// `node`, starting on `line` (0 for not known; a line past 2^29 - 1
    /// is stored as not known).
    #[inline]
    pub fn new(node: Node, line: u32) -> Stored {
        let wide = |x: u64| (x as u32, (x >> 32) as u32);
        let (tag, (a, b)) = match node {
            Node::Null => (0, (0, 0)),
            Node::Bool(v) => (1, (u32::from(v), 0)),
            Node::Int(i) => (2, wide(i as u64)),
            Node::UInt(u) => (3, wide(u)),
            Node::Float(f) => (4, wide(f.to_bits())),
            Node::Str(s) => (5, (s.off, s.len)),
            Node::Seq { start, len } => (6, (start, len)),
            Node::Map { start, len } => (7, (start, len)),
        };
        let line = if line <= LINE_LIMIT { line } else { 0 };
        Stored { head: tag | line << 3, a, b }
    }

    pub fn node(self) -> Node {
        let wide = || u64::from(self.a) | u64::from(self.b) << 32;
        match self.head & 7 {
            0 => Node::Null,
            1 => Node::Bool(self.a != 0),
            2 => Node::Int(wide() as i64),
            3 => Node::UInt(wide()),
            4 => Node::Float(f64::from_bits(wide())),
            5 => Node::Str(Span { off: self.a, len: self.b }),
            6 => Node::Seq { start: self.a, len: self.b },
            _ => Node::Map { start: self.a, len: self.b },
        }
    }

    /// The children of a sequence or map, without decoding the rest.
    fn children(self) -> Option<(u32, u32)> {
        (self.head & 7 >= 6).then_some((self.a, self.b))
    }

    /// The 1-based line, 0 where not known.
    pub fn line(self) -> u32 {
        self.head >> 3
    }
}

/// The nodes and text of one file's documents.
#[derive(Default)]
pub struct Tree {
    /// The nodes, each with the line it starts on when the builder knew it
    /// (only the fast YAML path records lines).
    nodes: Vec<Stored>,
    /// Parallel to `nodes`: where the key of a map entry starts in `text`
    /// (its length is stored just before it: [`push_key`]); 0 elsewhere.
    keys: Vec<u32>,
    text: String,
    /// Whether the builder recorded node lines.
    lines: bool,
    /// Whether some nodes were built without their lines (a document of a
    /// file the fast YAML path handed to the general parser): findings on
    /// them need the file's text.
    lines_incomplete: bool,
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tree({} nodes, {} bytes of text)", self.nodes.len(), self.text.len())
    }
}

impl Tree {
    /// Whether the builder recorded node lines (the fast YAML path does).
    pub fn records_lines(&self) -> bool {
        self.lines && !self.nodes.is_empty() && !self.lines_incomplete
    }

    /// Whether some of its nodes were built without lines by the general
    /// YAML parser in a tree whose other nodes have them.
    pub fn lines_incomplete(&self) -> bool {
        self.lines_incomplete
    }

    /// The node at `idx`.
    pub fn get(&self, idx: u32) -> NodeRef<'_> {
        NodeRef { tree: self, idx }
    }

    /// The lowest node index in the subtree at `idx`. The tree is built
    /// bottom-up: a container's children are stored together when it
    /// closes, after everything inside them; so the subtree's first node is
    /// in that of its container child stored first (the smallest block
    /// start), and so on down.
    pub fn lowest(&self, idx: u32) -> u32 {
        let mut lo = idx;
        let mut at = idx;
        for _ in 0..64 {
            let Some((start, len)) = self.nodes.get(at as usize).and_then(|n| n.children()) else {
                break;
            };
            if len == 0 {
                break;
            }
            lo = lo.min(start);
            let first_inner = (start..start + len)
                .filter_map(|c| match self.nodes.get(c as usize).and_then(|n| n.children()) {
                    Some((start, len)) if len > 0 => Some((start, c)),
                    _ => None,
                })
                .min();
            match first_inner {
                Some((_, c)) => at = c,
                None => break,
            }
        }
        lo
    }

    /// Reads nodes `lo..hi` (and their keys) a cache line at a time ahead
    /// of a walk over them: the reads do not depend on each other, so the
    /// processor has many misses in flight at once, where the walk (each
    /// step needs the last) would wait for them one by one. An object's
    /// nodes lie together, ending at its root (the tree is built bottom-up).
    pub fn warm(&self, lo: u32, hi: u32) {
        let hi = (hi as usize).min(self.nodes.len());
        let lo = (lo as usize).min(hi);
        // 5 1/3 nodes (12 bytes each) and 16 keys (4 bytes each) per 64-byte line.
        let mut sum = 0u64;
        for n in self.nodes[lo..hi].iter().step_by(5) {
            sum = sum.wrapping_add(u64::from(n.head));
        }
        for k in self.keys[lo..hi].iter().step_by(16) {
            sum = sum.wrapping_add(u64::from(*k));
        }
        std::hint::black_box(sum);
    }

    fn str(&self, s: Span) -> &str {
        str_at(&self.text, s)
    }

    /// The span of the key stored at `key` (a `keys` entry).
    fn key_span(&self, key: u32) -> Span {
        key_span_at(self.text.as_bytes(), key)
    }

    /// A tree holding one JSON value; returns it and its root's index.
    pub fn from_json(value: &Json) -> (Tree, u32) {
        let mut b = Builder::default();
        let node = b.json(value);
        let root = b.root(node);
        (b.finish(), root)
    }

    /// Sets string entries on a copy of the map at `idx` (replacing keys it
    /// has) and returns the copy's index; `idx` itself when it is not a map.
    pub fn with_entries(&mut self, idx: u32, extra: &[(&str, &str)]) -> u32 {
        let Some(Node::Map { start, len }) = self.nodes.get(idx as usize).map(|n| n.node()) else { return idx };
        let mut entries: Vec<(Span, Stored)> = (start..start + len)
            .map(|i| (self.key_span(self.keys[i as usize]), self.nodes[i as usize]))
            .filter(|(k, _)| !extra.iter().any(|(e, _)| *e == self.str(*k)))
            .collect();
        let own_line = self.nodes[idx as usize].line();
        for (k, v) in extra {
            let key = push_key(&mut self.text, k);
            let value = Node::Str(push_text(&mut self.text, v));
            entries.push((key, Stored::new(value, 0)));
        }
        let text = &self.text;
        entries.sort_by(|a, b| str_at(text, a.0).cmp(str_at(text, b.0)));
        let start = self.nodes.len() as u32;
        for (k, n) in &entries {
            self.keys.push(k.off);
            self.nodes.push(*n);
        }
        self.keys.push(0);
        self.nodes.push(Stored::new(Node::Map { start, len: entries.len() as u32 }, own_line));
        (self.nodes.len() - 1) as u32
    }

    /// A node of this tree (placed or not) as a `serde_json::Value`.
    pub fn node_json(&self, node: Node) -> Json {
        let child = |i: u32| self.node_json(self.nodes[i as usize].node());
        match node {
            Node::Null => Json::Null,
            Node::Bool(b) => Json::Bool(b),
            Node::Int(i) => Json::from(i),
            Node::UInt(u) => Json::from(u),
            Node::Float(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
            Node::Str(s) => Json::String(self.str(s).to_string()),
            Node::Seq { start, len } => Json::Array((start..start + len).map(child).collect()),
            Node::Map { start, len } => Json::Object(
                (start..start + len)
                    .map(|i| (self.str(self.key_span(self.keys[i as usize])).to_string(), child(i)))
                    .collect(),
            ),
        }
    }

    /// Bytes held, for measurements.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Stored>() + self.keys.capacity() * size_of::<u32>() + self.text.capacity()
    }
}

fn str_at(text: &str, s: Span) -> &str {
    text.get(s.off as usize..(s.off + s.len) as usize).unwrap_or("")
}

/// Whether two byte strings are equal. Keys are short: up to 16 bytes are
/// compared as one or two `u64` words (overlapping) or byte by byte, not
/// by a call to `memcmp`, which most key comparisons spent more time
/// getting to than comparing.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| w.try_into().ok()).map(u64::from_le_bytes);
    match n {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[inline]
fn push_text(text: &mut String, s: &str) -> Span {
    let off = text.len() as u32;
    text.push_str(s);
    Span { off, len: s.len() as u32 }
}

/// A key's length up to this is one byte before it; longer ones are five
/// bytes of seven bits each, then this byte.
const LONG_KEY: u8 = 127;

/// Stores `s` as a key: its length just before it, in bytes below 128 (so
/// the text stays UTF-8), so that a key is known by where it starts alone
/// (4 bytes a map entry instead of an 8-byte span). Where it starts is never
/// 0 (the length comes first), which marks "no key".
fn push_key(text: &mut String, s: &str) -> Span {
    push_key_length(text, s.len());
    push_text(text, s)
}

fn push_key_length(text: &mut String, len: usize) {
    if len < usize::from(LONG_KEY) {
        text.push(char::from(len as u8));
    } else {
        for shift in [28, 21, 14, 7, 0] {
            text.push(char::from(((len >> shift) & 0x7f) as u8));
        }
        text.push(char::from(LONG_KEY));
    }
}

/// A key's bytes, for sorting and comparing keys: byte order is `str` order,
/// without `str`'s checks of char boundaries.
#[inline]
fn key_at(text: &[u8], s: Span) -> &[u8] {
    text.get(s.off as usize..(s.off + s.len) as usize).unwrap_or(&[])
}

/// The span of the key stored (by [`push_key`]) at `off`; empty for 0.
fn key_span_at(text: &[u8], off: u32) -> Span {
    let at = off as usize;
    let len = match at.checked_sub(1).and_then(|i| text.get(i)) {
        None => 0,
        Some(&b) if b != LONG_KEY => u32::from(b),
        Some(_) => text
            .get(at.saturating_sub(6)..at - 1)
            .map_or(0, |d| d.iter().fold(0u32, |n, &b| n << 7 | u32::from(b & 0x7f))),
    };
    Span { off, len }
}

/// A node of a tree, by reference.
#[derive(Clone, Copy)]
pub struct NodeRef<'t> {
    tree: &'t Tree,
    idx: u32,
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl PartialEq for NodeRef<'_> {
    /// The same node of the same tree (not structural equality).
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.idx == other.idx
    }
}

impl<'t> NodeRef<'t> {
    pub fn node(self) -> Node {
        self.tree.nodes.get(self.idx as usize).map_or(Node::Null, |n| n.node())
    }

    /// The 1-based line the node starts on, when the tree's builder knew it.
    pub fn line(self) -> Option<u32> {
        self.tree.nodes.get(self.idx as usize).map(|n| n.line()).filter(|&l| l > 0)
    }

    pub fn tree(self) -> &'t Tree {
        self.tree
    }

    pub fn index(self) -> u32 {
        self.idx
    }

    pub fn is_null(self) -> bool {
        matches!(self.node(), Node::Null)
    }

    pub fn is_seq(self) -> bool {
        matches!(self.node(), Node::Seq { .. })
    }

    pub fn is_map(self) -> bool {
        matches!(self.node(), Node::Map { .. })
    }

    pub fn as_str(self) -> Option<&'t str> {
        match self.node() {
            Node::Str(s) => Some(self.tree.str(s)),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.node() {
            Node::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A number as `f64`.
    pub fn as_f64(self) -> Option<f64> {
        match self.node() {
            Node::Int(i) => Some(i as f64),
            Node::UInt(u) => Some(u as f64),
            Node::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Number of elements or entries (0 for scalars).
    pub fn len(self) -> usize {
        match self.node() {
            Node::Seq { len, .. } | Node::Map { len, .. } => len as usize,
            _ => 0,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    fn children(self) -> std::ops::Range<u32> {
        match self.node() {
            Node::Seq { start, len } | Node::Map { start, len } => start..start + len,
            _ => 0..0,
        }
    }

    /// Elements of a sequence, or values of a map in key order.
    pub fn iter(self) -> impl Iterator<Item = NodeRef<'t>> + 't {
        let tree = self.tree;
        self.children().map(move |idx| NodeRef { tree, idx })
    }

    /// Entries of a map in key order (nothing for anything else).
    pub fn entries(self) -> impl Iterator<Item = (&'t str, NodeRef<'t>)> + 't {
        let tree = self.tree;
        let range = if self.is_map() { self.children() } else { 0..0 };
        range.map(move |idx| (tree.str(tree.key_span(tree.keys[idx as usize])), NodeRef { tree, idx }))
    }

    /// The value of a map's key.
    pub fn get(self, key: &str) -> Option<NodeRef<'t>> {
        let Node::Map { start, len } = self.node() else { return None };
        let tree = self.tree;
        let keys = tree.keys.get(start as usize..(start + len) as usize)?;
        let text = tree.text.as_bytes();
        let bytes = |k: u32| key_at(text, key_span_at(text, k));
        let want = key.as_bytes();
        let at = if keys.len() <= 16 {
            // Maps of up to 16 keys (nearly all of a manifest): a scan that compares lengths
            // and first bytes beats a binary search's string comparisons. A file's keys share
            // their text (`Builder::key`), so the bytes compared are few and in cache; a short
            // key's length is the byte before it.
            let short = want.len() < usize::from(LONG_KEY);
            let first = want.first().copied();
            keys.iter().position(|&k| {
                let at = k as usize;
                if short {
                    at > 0
                        && text.get(at - 1).copied() == Some(want.len() as u8)
                        && (first.is_none() || text.get(at).copied() == first)
                        && same_bytes(text.get(at..at + want.len()).unwrap_or(&[]), want)
                } else {
                    bytes(k) == want
                }
            })?
        } else {
            keys.binary_search_by(|&k| bytes(k).cmp(want)).ok()?
        };
        Some(NodeRef { tree, idx: start + at as u32 })
    }

    /// An element of a sequence.
    pub fn at(self, i: usize) -> Option<NodeRef<'t>> {
        match self.node() {
            Node::Seq { start, len } if i < len as usize => Some(NodeRef { tree: self.tree, idx: start + i as u32 }),
            _ => None,
        }
    }

    /// A string field of a map.
    pub fn str_field(self, key: &str) -> Option<&'t str> {
        self.get(key).and_then(NodeRef::as_str)
    }

    /// The node as a `serde_json::Value` (a deep copy).
    pub fn to_json(self) -> Json {
        self.tree.node_json(self.node())
    }
}

/// Serialises exactly as [`NodeRef::to_json`]'s value would, without
/// building it (sets of maps order and compare by this text).
impl serde::Serialize for NodeRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.node() {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(b),
            Node::Int(i) => s.serialize_i64(i),
            Node::UInt(u) => s.serialize_u64(u),
            Node::Float(f) if f.is_finite() => s.serialize_f64(f),
            Node::Float(_) => s.serialize_unit(),
            Node::Str(_) => s.serialize_str(self.as_str().unwrap_or("")),
            Node::Seq { .. } => s.collect_seq(self.iter()),
            Node::Map { .. } => s.collect_map(self.entries()),
        }
    }
}

/// A serde_json number as a node.
pub fn number(n: &serde_json::Number) -> Node {
    if let Some(i) = n.as_i64() {
        Node::Int(i)
    } else if let Some(u) = n.as_u64() {
        Node::UInt(u)
    } else {
        Node::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
