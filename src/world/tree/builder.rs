//! Building a tree: interned keys, pending children, checkpoints for a
//! document the fast path hands back to the general parser.

use super::*;

/// Which of two equal keys a closing map keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepKey {
    /// The first (YAML merge keys: explicit keys, then earlier merges, win).
    First,
    /// The last (JSON, as serde_json does).
    Last,
}

/// Size of [`Builder::key`]'s table of recent keys.
pub(super) const KEY_SLOTS: usize = 256;

/// A key's slot in that table: a hash of its length and its first and last
/// bytes.
#[inline]
pub(super) fn key_slot(s: &str) -> usize {
    let b = s.as_bytes();
    ((prefix(b) ^ b.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % KEY_SLOTS
}

/// A state of a [`Builder`] to roll back to.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    nodes: usize,
    text: usize,
    pending: usize,
}

/// Builds a [`Tree`] bottom-up; see the module documentation.
#[derive(Default)]
pub struct Builder {
    tree: Tree,
    /// Children of the open containers, innermost last, with their keys
    /// and lines: 20 bytes per waiting child, which is most of the peak on
    /// dense input (a long array of small numbers).
    pending: Vec<(Span, Stored)>,
    /// Keys stored lately, by a hash of their length and end bytes: the
    /// same few dozen keys repeat through a file (a third of a manifest's
    /// bytes), and are stored once each rather than once per use.
    recent_keys: Vec<Span>,
}

impl Builder {
    /// A builder with room for about `nodes` nodes and `text` bytes of text
    /// (the vectors are not grown and copied again and again; `finish`
    /// gives back what was not used), recording node lines when `lines`.
    pub fn with_capacity(nodes: usize, text: usize, lines: bool) -> Builder {
        let tree = Tree {
            nodes: Vec::with_capacity(nodes),
            keys: Vec::with_capacity(nodes),
            text: String::with_capacity(text),
            lines,
            lines_incomplete: false,
        };
        Builder { tree, pending: Vec::with_capacity(64), recent_keys: Vec::new() }
    }

    /// Makes room for `n` children waiting at once (an upper bound, from a
    /// count of the text's values): the pending stack then never grows by
    /// copying, and pages not used are never touched.
    pub fn reserve_pending(&mut self, n: usize) {
        self.pending.reserve(n);
    }

    /// Where the builder is now, to roll back to (a document the fast YAML
    /// path started and gave up on).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { nodes: self.tree.nodes.len(), text: self.tree.text.len(), pending: self.pending.len() }
    }

    /// Forgets everything built since `cp` (the table of recent keys too,
    /// which may point at text given back).
    pub fn rollback(&mut self, cp: Checkpoint) {
        self.tree.nodes.truncate(cp.nodes);
        self.tree.keys.truncate(cp.nodes);
        self.tree.text.truncate(cp.text);
        self.pending.truncate(cp.pending);
        self.recent_keys = Vec::new();
    }

    /// Marks the tree as holding nodes without lines although it records
    /// lines: `Tree::records_lines` is then false.
    pub fn set_lines_incomplete(&mut self) {
        self.tree.lines_incomplete = true;
    }

    /// Stores a string in the text buffer.
    #[inline]
    pub fn text(&mut self, s: &str) -> Span {
        push_text(&mut self.tree.text, s)
    }

    /// Stores a map key in the text buffer, or finds it stored already.
    pub fn key(&mut self, s: &str) -> Span {
        if let Some(span) = self.known_key(s) {
            return span;
        }
        if self.recent_keys.is_empty() {
            self.recent_keys = vec![Span::default(); KEY_SLOTS];
        }
        let span = push_key(&mut self.tree.text, s);
        self.recent_keys[key_slot(s)] = span;
        span
    }

    /// Stores a map key in the text buffer, not looked up or remembered
    /// (a key no other is likely to share). Map entries take only keys
    /// from here or [`Builder::key`]: a key's length is stored before it.
    pub fn key_text(&mut self, s: &str) -> Span {
        push_key(&mut self.tree.text, s)
    }

    /// Stores the text of `span` (a string stored earlier) again as a key.
    pub fn key_of(&mut self, span: Span) -> Span {
        let text = &mut self.tree.text;
        let from = span.off as usize..(span.off + span.len) as usize;
        if text.get(from.clone()).is_none() {
            return push_key(text, "");
        }
        push_key_length(text, span.len as usize);
        let off = text.len() as u32;
        text.extend_from_within(from);
        Span { off, len: span.len }
    }

    /// The span of a key stored lately by [`Builder::key`], if it was.
    #[inline]
    pub fn known_key(&self, s: &str) -> Option<Span> {
        let seen = *self.recent_keys.get(key_slot(s))?;
        (!s.is_empty() && same_bytes(key_at(self.tree.text.as_bytes(), seen), s.as_bytes())).then_some(seen)
    }

    /// A node built so far as a `serde_json::Value`.
    pub fn node_json(&self, node: Node) -> Json {
        self.tree.node_json(node)
    }

    /// The text of a span stored earlier.
    pub fn text_of(&self, s: Span) -> &str {
        self.tree.str(s)
    }

    #[inline]
    pub fn string(&mut self, s: &str) -> Node {
        Node::Str(self.text(s))
    }

    /// Where the children of a container opened now begin on the pending
    /// stack; pass it to `close_seq`/`close_map`.
    pub fn mark(&self) -> usize {
        self.pending.len()
    }

    /// Adds a child to the innermost open container.
    pub fn push(&mut self, key: Span, node: Node) {
        self.push_at(key, node, 0);
    }

    /// [`Builder::push`] for a node known to start on `line` (1-based; 0
    /// for not known).
    #[inline]
    pub fn push_at(&mut self, key: Span, node: Node, line: u32) {
        debug_assert!(
            key == Span::default() || key_span_at(self.tree.text.as_bytes(), key.off) == key,
            "a map key must come from Builder::key, key_text or key_of"
        );
        let stored = self.stored(node, line);
        self.pending.push((key, stored));
    }

    /// `node` as stored, with `line` when the tree records lines
    /// (`Tree::lines`, given to `with_capacity`).
    #[inline]
    fn stored(&self, node: Node, line: u32) -> Stored {
        Stored::new(node, if self.tree.lines { line } else { 0 })
    }

    /// The keys pushed since `mark`, for duplicate checks.
    pub fn pending_keys(&self, mark: usize) -> impl Iterator<Item = &str> {
        self.pending.get(mark..).unwrap_or(&[]).iter().map(|(k, _)| self.tree.str(*k))
    }

    /// The entries of a map node, to merge into another map.
    pub fn map_entries(&self, node: Node) -> Vec<(Span, Node)> {
        match node {
            Node::Map { start, len } => (start..start + len)
                .map(|i| (self.tree.key_span(self.tree.keys[i as usize]), self.tree.nodes[i as usize].node()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The elements of a sequence node.
    pub fn seq_elements(&self, node: Node) -> Vec<Node> {
        match node {
            Node::Seq { start, len } => {
                self.tree.nodes[start as usize..(start + len) as usize].iter().map(|n| n.node()).collect()
            }
            _ => Vec::new(),
        }
    }

    fn place(&mut self, mark: usize) -> (u32, u32) {
        let start = self.tree.nodes.len() as u32;
        let len = self.pending.len().saturating_sub(mark) as u32;
        let moved = self.pending.drain(mark.min(self.pending.len())..);
        self.tree.keys.extend(moved.as_slice().iter().map(|(k, _)| k.off));
        self.tree.nodes.extend(moved.as_slice().iter().map(|(_, n)| *n));
        (start, len)
    }

    /// Closes a sequence whose elements were pushed since `mark`.
    pub fn close_seq(&mut self, mark: usize) -> Node {
        let (start, len) = self.place(mark);
        Node::Seq { start, len }
    }

    /// Sorts the entries pushed since `mark` by key, stably (equal keys stay
    /// in push order); whether they were not in strictly ascending order
    /// already (only then can a key repeat).
    fn sort_pending(&mut self, mark: usize) -> bool {
        let text = self.tree.text.as_bytes();
        let entries = &mut self.pending[mark..];
        if entries.len() < 2 {
            return false;
        }
        if entries.len() <= SMALL_MAP {
            return sort_small(text, entries);
        }
        // Most keys differ in their first eight bytes: compared as one word.
        let order = |a: Span, b: Span| {
            order_word(text, a).cmp(&order_word(text, b)).then_with(|| key_at(text, a).cmp(key_at(text, b)))
        };
        if entries.is_sorted_by(|a, b| order(a.0, b.0).is_lt()) {
            return false;
        }
        entries.sort_by(|a, b| order(a.0, b.0));
        true
    }

    /// Closes a map whose entries were pushed since `mark`: sorts them by
    /// key and keeps one entry per key.
    pub fn close_map(&mut self, mark: usize, keep: KeepKey) -> Node {
        let mark = mark.min(self.pending.len());
        if self.sort_pending(mark) {
            let text = self.tree.text.as_bytes();
            let mut kept = mark;
            for i in mark..self.pending.len() {
                let same = kept > mark && key_at(text, self.pending[kept - 1].0) == key_at(text, self.pending[i].0);
                let to = match (same, keep) {
                    (true, KeepKey::First) => continue,
                    (true, KeepKey::Last) => kept - 1,
                    (false, _) => {
                        kept += 1;
                        kept - 1
                    }
                };
                self.pending[to] = self.pending[i];
            }
            self.pending.truncate(kept);
        }
        let (start, len) = self.place(mark);
        Node::Map { start, len }
    }

    /// Closes a map like `close_map`, unless two of its keys are equal:
    /// then `Err` with that key, and the entries stay pending.
    pub fn close_unique_map(&mut self, mark: usize) -> Result<Node, Span> {
        let mark = mark.min(self.pending.len());
        if self.sort_pending(mark) {
            let text = self.tree.text.as_bytes();
            if let Some(w) = self.pending[mark..].windows(2).find(|w| key_at(text, w[0].0) == key_at(text, w[1].0)) {
                return Err(w[0].0);
            }
        }
        let (start, len) = self.place(mark);
        Ok(Node::Map { start, len })
    }

    /// Stores a document root; returns its index.
    pub fn root(&mut self, node: Node) -> u32 {
        self.root_at(node, 0)
    }

    /// [`Builder::root`] for a root known to start on `line` (1-based).
    pub fn root_at(&mut self, node: Node, line: u32) -> u32 {
        self.tree.keys.push(0);
        let stored = self.stored(node, line);
        self.tree.nodes.push(stored);
        (self.tree.nodes.len() - 1) as u32
    }

    /// Copies a JSON value in.
    pub fn json(&mut self, value: &Json) -> Node {
        match value {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => number(n),
            Json::String(s) => self.string(s),
            Json::Array(a) => {
                let mark = self.mark();
                for v in a {
                    let node = self.json(v);
                    self.push(Span::default(), node);
                }
                self.close_seq(mark)
            }
            Json::Object(o) => {
                let mark = self.mark();
                for (k, v) in o {
                    let key = self.key_text(k);
                    let node = self.json(v);
                    self.push(key, node);
                }
                self.close_map(mark, KeepKey::Last)
            }
        }
    }

    pub fn finish(mut self) -> Tree {
        self.tree.nodes.shrink_to_fit();
        self.tree.keys.shrink_to_fit();
        self.tree.text.shrink_to_fit();
        self.tree
    }
}

/// Maps up to this many entries (nearly all of a manifest's) are sorted by
/// `sort_small`.
const SMALL_MAP: usize = 16;

/// [`Builder::sort_pending`] for at most `SMALL_MAP` entries: each key's
/// order word is read once (where the general comparator read both words
/// again for every comparison), then a stable insertion sort moves the
/// entries and their words together. Whether they were not in strictly
/// ascending order already.
fn sort_small(text: &[u8], entries: &mut [(Span, Stored)]) -> bool {
    let n = entries.len().min(SMALL_MAP);
    let mut words = [0u64; SMALL_MAP];
    for (w, e) in words.iter_mut().zip(entries.iter()) {
        *w = order_word(text, e.0);
    }
    let cmp = |words: &[u64; SMALL_MAP], entries: &[(Span, Stored)], i: usize, j: usize| {
        words[i].cmp(&words[j]).then_with(|| key_at(text, entries[i].0).cmp(key_at(text, entries[j].0)))
    };
    if (1..n).all(|i| cmp(&words, entries, i - 1, i).is_lt()) {
        return false;
    }
    for i in 1..n {
        let mut j = i;
        while j > 0 && cmp(&words, entries, j - 1, j).is_gt() {
            words.swap(j - 1, j);
            entries.swap(j - 1, j);
            j -= 1;
        }
    }
    true
}
