//! Block structure on the fast path: block nodes, mappings, entries and
//! sequences by indentation.

use super::*;

impl<'a> Fast<'a> {
    #[inline]
    pub(super) fn is_dash(&self, l: Line) -> bool {
        self.b[l.content] == b'-' && self.b.get(l.content + 1).is_none_or(|&c| c == b' ' || c == b'\n')
    }

    /// A block node starting on line `l`: a sequence or a mapping.
    pub(super) fn block(&mut self, l: Line, root: bool) -> R<Node> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            return Err(Bail);
        }
        let node = if self.is_dash(l) {
            self.seq(l.col, false)
        } else if self.key_end(l).is_some() {
            self.map(l.col, root)
        } else {
            Err(Bail)
        };
        self.depth -= 1;
        node
    }

    /// Where the key on line `l` ends (the `:`), if the line starts with a
    /// plain or quoted key followed by `: ` or `:` at the end of the line,
    /// and whether a quoted key may hold an escape. Asked twice for the
    /// first key of most mappings (to tell a mapping, then to read it):
    /// found once.
    #[inline]
    pub(super) fn key_end(&mut self, l: Line) -> Option<(usize, bool)> {
        if self.key_seen.0 != l.content {
            self.key_seen = (l.content, self.find_key_end(l));
        }
        self.key_seen.1
    }

    fn find_key_end(&self, l: Line) -> Option<(usize, bool)> {
        let s = &self.b[l.content..l.end];
        if matches!(s[0], b'"' | b'\'') {
            // A quoted key: `"app.kubernetes.io/name": x`.
            let (close, escaped) = styles::quoted_end(s)?;
            let colon = close + 1;
            return (s.get(colon) == Some(&b':') && s.get(colon + 1).is_none_or(|&c| c == b' '))
                .then_some((l.content + colon, escaped));
        }
        if is_indicator(s[0]) {
            return None;
        }
        for i in 0..s.len() {
            match s[i] {
                b':' if s.get(i + 1).is_none_or(|&c| c == b' ') => return Some((l.content + i, false)),
                b'#' if i > 0 && s[i - 1] == b' ' => return None,
                _ => {}
            }
        }
        None
    }

    pub(super) fn map(&mut self, col: usize, root: bool) -> R<Node> {
        let mark = self.tree.mark();
        let mut count = 0;
        while let Some(l) = self.peek()? {
            if l.col != col {
                if l.col > col {
                    return Err(Bail);
                }
                break;
            }
            if self.is_doc_start(l) {
                break;
            }
            if self.is_dash(l) {
                // A sequence at a mapping's own column is only the value of
                // the key before it (taken there); anything else is an error.
                return Err(Bail);
            }
            let (colon, escaped) = self.key_end(l).ok_or(Bail)?;
            let raw = &self.b[l.content..colon];
            if matches!(raw[0], b'"' | b'\'') {
                let key = styles::unquote(self.str_of(raw)?, escaped)?;
                if key.len() > 256 {
                    return Err(Bail);
                }
                let key_span = self.quoted_key(&key);
                let track = root && matches!(&*key, "items" | "objects");
                self.entry(l, col, colon, key_span, track)?;
                count += 1;
                if count > MAX_KEYS {
                    return Err(Bail);
                }
                continue;
            }
            let key = self.str_of(raw)?.trim_end_matches(' ');
            // Ordinary keys only (`app.kubernetes.io/name`, `LOG_LEVEL`,
            // `nvidia.com/gpu`): YAML limits implicit keys to 1024
            // characters and has rules for the rest.
            // A key this file used before passed these checks then.
            let key_span = match self.tree.known_key(key) {
                Some(span) => span,
                None => {
                    if !is_ordinary_key(key) {
                        return Err(Bail);
                    }
                    self.tree.key(key)
                }
            };
            count += 1;
            if count > MAX_KEYS {
                return Err(Bail);
            }
            let track = root && matches!(key, "items" | "objects");
            self.entry(l, col, colon, key_span, track)?;
        }
        // A repeated key: the general parser reports it.
        self.tree.close_unique_map(mark).map_err(|_| Bail)
    }

    /// The span of a quoted key's text. Only a key that passes the checks
    /// a plain key does goes in the table of recent keys: a plain key found
    /// there skips them.
    #[inline]
    pub(super) fn quoted_key(&mut self, key: &str) -> Span {
        // Found in the table: stored by the line above for an earlier use.
        if let Some(span) = self.tree.known_key(key) {
            return span;
        }
        if is_ordinary_key(key) { self.tree.key(key) } else { self.tree.key_text(key) }
    }

    /// The value of the key on line `l` (a mapping at column `col`) whose
    /// `:` is at `colon`, pushed as the entry of `key_span`.
    pub(super) fn entry(&mut self, l: Line, col: usize, colon: usize, key_span: Span, track: bool) -> R<()> {
        let key_line = self.line;
        let mut v = colon + 1;
        while v < l.end && is_blank(self.b[v]) {
            v += 1;
        }
        // The value and the line it starts on (an empty value's line is
        // left unknown: the general parser places it at the next token).
        let (value, line) = if v == l.end || self.b[v] == b'#' {
            self.advance();
            match self.peek()? {
                // Deeper, or a sequence at the key's own column.
                Some(n) if n.col > col || n.col == col && self.is_dash(n) => {
                    let line = self.line;
                    (self.nested(n, track)?, line)
                }
                _ => (Node::Null, 0),
            }
        } else {
            let value = self.inline(v, l.end, col, track)?;
            (value, self.block_line.take().unwrap_or(key_line))
        };
        self.tree.push_at(key_span, value, line);
        Ok(())
    }

    /// The value of a key that starts on a later line.
    pub(super) fn nested(&mut self, n: Line, track: bool) -> R<Node> {
        if self.is_dash(n) {
            self.depth += 1;
            let seq = self.seq(n.col, track);
            self.depth -= 1;
            seq
        } else {
            self.block(n, false)
        }
    }

    pub(super) fn seq(&mut self, col: usize, track: bool) -> R<Node> {
        if self.depth >= self.max_depth {
            return Err(Bail);
        }
        if track {
            self.items.clear();
        }
        let mark = self.tree.mark();
        while let Some(l) = self.peek()? {
            if l.col != col {
                if l.col > col {
                    return Err(Bail);
                }
                break;
            }
            if !self.is_dash(l) || self.is_doc_start(l) {
                break;
            }
            let line = self.line;
            // After the dash: the item, on this line or the next ones.
            self.at = l.content + 1;
            let rest = self.peek()?.ok_or(Bail)?;
            let (node, start) = if rest.content == rest.end || self.b[rest.content] == b'#' {
                self.advance();
                match self.peek()? {
                    Some(n) if n.col > col && !self.is_doc_start(n) => {
                        let start = Pos { line: self.line, offset: n.content as u32 };
                        (self.block(n, false)?, start)
                    }
                    _ => return Err(Bail),
                }
            } else {
                let start = Pos { line, offset: rest.content as u32 };
                if self.is_dash(rest) || track && matches!(self.b[rest.content], b'|' | b'>') {
                    return Err(Bail);
                }
                let node = if self.key_end(rest).is_some() {
                    self.depth += 1;
                    let map = self.map(rest.col, false);
                    self.depth -= 1;
                    map?
                } else {
                    let node = self.inline(rest.content, rest.end, col, false)?;
                    if let Some(line) = self.block_line.take() {
                        self.tree.push_at(Span::default(), node, line);
                        continue;
                    }
                    node
                };
                (node, start)
            };
            if track {
                self.items.push(start);
            }
            self.tree.push_at(Span::default(), node, start.line);
        }
        Ok(self.tree.close_seq(mark))
    }
}
