//! The general YAML reader: builds the tree straight from saphyr's parser
//! events, with anchors, merge keys, duplicate-key checks and the alias budget.

use super::*;

pub(super) enum Frame {
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
pub(super) const MAX_COMPLEX_KEY: usize = 1024;

/// Mappings with more keys than this get a hash index for duplicate checks.
pub(super) const SCAN_KEYS: usize = 16;

pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
    pub(super) limits: Limits,
    pub(super) bytes: ByteIndex<'a>,
    pub(super) stack: Vec<Frame>,
    pub(super) tree: TreeBuilder,
    pub(super) anchors: HashMap<usize, (Node, usize)>,
    pub(super) alias_nodes: usize,
    pub(super) root: Option<(Node, Marker)>,
    pub(super) items: Vec<Pos>,
    pub(super) docs: Vec<Doc>,
    pub(super) warnings: Vec<Notice>,
    pub(super) text: &'a str,
    /// Whether `check_alias_budget` already ran over the whole file.
    pub(super) budget_checked: bool,
}

impl Reader<'_> {
    pub(super) fn error(&self, error: LoadError, at: Marker) -> RunError {
        error.at_pos(self.file, at.line() as u32, at.col() as u32 + 1)
    }

    pub(super) fn event(&mut self, event: Event<'_>, at: Marker) -> Result<(), RunError> {
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
                    return Err(self.error(LoadError::Yaml("unknown anchor".into()), at));
                };
                self.alias_nodes = self.alias_nodes.saturating_add(nodes);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    let message = budget_message(&self.limits);
                    return Err(self.error(LoadError::AliasBudget(message), at));
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
    pub(super) fn merge(&mut self, source: Node) {
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

    pub(super) fn check_depth(&self, at: Marker) -> Result<(), RunError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(
                self.error(LoadError::Depth(format!("nesting deeper than {} levels", self.limits.max_depth)), at)
            );
        }
        Ok(())
    }

    /// Records the position of an element of the top-level `items` list.
    pub(super) fn node_starts(&mut self, at: Marker) {
        if let Some(Frame::Seq { track: true, .. }) = self.stack.last() {
            let offset = self.bytes.byte(at.index()) as u32;
            self.items.push(Pos { line: at.line() as u32, offset });
        }
    }

    /// A scalar as kubectl reads it (`scalar`): a `!!` tag decides, any
    /// other tag or quoting makes a string, a plain scalar is resolved.
    pub(super) fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: Marker,
    ) -> Result<Node, RunError> {
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
                    LoadError::YamlTag(format!("kubectl rejects `!!{} {}`: {}", tag.suffix, short(text), reason)),
                    at,
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
    pub(super) fn key_span(&mut self, node: Node, at: Marker) -> Result<Span, RunError> {
        match node {
            Node::Str(s) => Ok(self.tree.key_of(s)),
            Node::Null => Ok(self.tree.key_text("null")),
            other => {
                // A key that is itself a mapping or sequence becomes its JSON
                // text. Nested ones would escape each other's quotes, doubling
                // in length at every level: keep them short.
                let text = self.tree.node_json(other).to_string();
                if text.len() > MAX_COMPLEX_KEY {
                    let message = format!("mapping key is a collection longer than {MAX_COMPLEX_KEY} characters");
                    return Err(self.error(LoadError::Yaml(message), at));
                }
                Ok(self.tree.key_text(&text))
            }
        }
    }

    /// Hands a finished node to its parent (or makes it the document root).
    pub(super) fn complete(
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
                    return Err(self.error(LoadError::YamlMerge(message), start));
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
                    return Err(self.error(LoadError::DuplicateKey(message), at));
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
    pub(super) fn first_line_of(&mut self, k: Span) -> Option<u32> {
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
