//! A fast path for the YAML that manifests are almost always written in:
//! block mappings and sequences, one-line plain and quoted scalars, `{}` and
//! `[]`, comments and `---` separators. It reads a file line by line
//! straight into the tree, several times faster than the general parser.
//!
//! It gives up (returns `None`) on anything else, and the caller parses the
//! whole file with `yaml::parse` instead: anchors, aliases, tags, block and
//! multi-line scalars, escapes, flow collections with content, complex or
//! non-string keys, merge keys, duplicate keys, tabs, CR line ends,
//! directives, `.inf`/`.nan` values, and every kind of error. So the fast
//! path never decides what a file means on its own; where it answers, the
//! answer must be exactly the general parser's (nodes, document and item positions, warnings), which
//! `fast_tests.rs` and the `manifests` fuzz target check.

use super::scalar::{self, Plain};
use super::yaml::{Doc, Limits, Parsed, Pos, plain_node};
use crate::report::Notice;
use crate::world::tree::{Builder as TreeBuilder, KeepKey, Node, Span};

/// The fast path does not handle this input.
struct Bail;

type R<T> = Result<T, Bail>;

/// Maps with more keys than this go to the general parser (the duplicate
/// check here is a scan).
const MAX_KEYS: usize = 128;

/// Parses `text` if it is in the subset described above.
pub fn parse(text: &str, file: &str, limits: &Limits) -> Option<Parsed> {
    if text.starts_with('\u{feff}') {
        return None;
    }
    // Control characters (and tabs, which YAML treats specially): the
    // general parser decides.
    if has_control(text.as_bytes()) {
        return None;
    }
    let mut f = Fast {
        text,
        b: text.as_bytes(),
        file,
        max_depth: limits.max_depth,
        // Manifests run about 20 bytes a node, half of it keys and strings.
        tree: TreeBuilder::with_capacity(text.len() / 16, text.len() / 2, true),
        warnings: Vec::new(),
        pos: 0,
        at: 0,
        line: 1,
        end_of: (usize::MAX, 0),
        depth: 0,
        items: Vec::new(),
        peeked: None,
    };
    let docs = f.stream().ok()?;
    Some(Parsed { tree: f.tree.finish(), docs, warnings: f.warnings })
}

/// Whether `b` holds a control character other than a line feed (tabs
/// included) or DEL: 64 bytes at a time, without branches, so that it
/// vectorises.
fn has_control(b: &[u8]) -> bool {
    let bad = |c: u8| u8::from((c < 0x20 && c != b'\n') || c == 0x7f);
    let mut chunks = b.chunks_exact(64);
    for chunk in &mut chunks {
        if chunk.iter().fold(0u8, |acc, &c| acc | bad(c)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&c| bad(c) != 0)
}

/// A line with content: where it starts, the column and byte where its
/// content (from the cursor) starts, and where it ends.
#[derive(Clone, Copy)]
struct Line {
    col: usize,
    content: usize,
    end: usize,
}

struct Fast<'a> {
    text: &'a str,
    b: &'a [u8],
    file: &'a str,
    max_depth: usize,
    tree: TreeBuilder,
    warnings: Vec<Notice>,
    /// Start of the current line.
    pos: usize,
    /// The cursor: `pos`, or further on the line after `- `.
    at: usize,
    /// 1-based number of the current line.
    line: u32,
    /// (line start, line end) of the last line measured.
    end_of: (usize, usize),
    depth: usize,
    /// Element starts of the root mapping's `items`/`objects` sequence.
    items: Vec<Pos>,
    /// The last answer of `peek`, and the line start and cursor it was for.
    peeked: Option<(usize, usize, Option<Line>)>,
}

fn is_blank(c: u8) -> bool {
    c == b' '
}

impl<'a> Fast<'a> {
    /// A piece of the text as `&str`: slices here always start and end next
    /// to ASCII bytes, so this is a bounds check, not UTF-8 validation.
    fn str_of(&self, sub: &[u8]) -> R<&'a str> {
        let off = (sub.as_ptr() as usize).wrapping_sub(self.b.as_ptr() as usize);
        self.text.get(off..off + sub.len()).ok_or(Bail)
    }

    /// Where the current line ends (found once per line: `peek` asks often).
    fn line_end(&mut self) -> usize {
        if self.end_of.0 != self.pos {
            let from = self.pos;
            let end = memchr::memchr(b'\n', &self.b[from..]).map_or(self.b.len(), |i| from + i);
            self.end_of = (from, end);
        }
        self.end_of.1
    }

    /// Moves to the start of the next line.
    fn advance(&mut self) {
        let end = self.line_end();
        self.pos = (end + 1).min(self.b.len());
        if end < self.b.len() {
            self.line += 1;
        }
        self.at = self.pos;
    }

    /// The next line with content from the cursor, skipping blank and
    /// comment-only lines.
    fn peek(&mut self) -> R<Option<Line>> {
        // Asked again and again at the same place (each enclosing block
        // looks at the line that ends it): measure it once.
        // Keyed by the line start and the cursor both: at the end of the
        // text, moving to the next line leaves the cursor where it was.
        if let Some((pos, at, line)) = self.peeked
            && (pos, at) == (self.pos, self.at)
        {
            return Ok(line);
        }
        let line = self.measure()?;
        self.peeked = Some((self.pos, self.at, line));
        Ok(line)
    }

    fn measure(&mut self) -> R<Option<Line>> {
        loop {
            if self.pos >= self.b.len() {
                return Ok(None);
            }
            let end = self.line_end();
            let mut content = self.at;
            // Indentation, eight spaces at a time first.
            while self.b.get(content..content + 8).is_some_and(|w| w == b"        ") && content + 8 <= end {
                content += 8;
            }
            while content < end && is_blank(self.b[content]) {
                content += 1;
            }
            if content < end && self.b[content] == b'\t' {
                return Err(Bail);
            }
            if content == end || self.b[content] == b'#' {
                if self.at != self.pos {
                    // The rest of a `- ` line is empty: the caller decides.
                    return Ok(Some(Line { col: content - self.pos, content, end }));
                }
                self.advance();
                continue;
            }
            return Ok(Some(Line { col: content - self.pos, content, end }));
        }
    }

    fn is_doc_start(&self, l: Line) -> bool {
        l.col == 0
            && self.b[l.content..l.end].starts_with(b"---")
            && self.b.get(l.content + 3).is_none_or(|&c| c == b' ' || c == b'\n')
    }

    fn stream(&mut self) -> R<Vec<Doc>> {
        let mut docs = Vec::new();
        while let Some(l) = self.peek()? {
            if self.is_doc_start(l) {
                let rest = trim_comment(&self.b[l.content + 3..l.end]);
                if !rest.is_empty() {
                    return Err(Bail);
                }
                self.advance();
                continue;
            }
            if l.col == 0 && (self.b[l.content] == b'%' || self.b[l.content..l.end].starts_with(b"...")) {
                return Err(Bail);
            }
            self.items.clear();
            let start = Pos { line: self.line, offset: l.content as u32 };
            let node = self.block(l, true)?;
            // The document must end here: at the end or at a `---`.
            if let Some(next) = self.peek()?
                && !self.is_doc_start(next)
            {
                return Err(Bail);
            }
            if node != Node::Null {
                let root = self.tree.root_at(node, start.line);
                let items = std::mem::take(&mut self.items);
                docs.push(Doc { root, line: start.line, offset: start.offset, items });
            }
        }
        Ok(docs)
    }

    fn is_dash(&self, l: Line) -> bool {
        self.b[l.content] == b'-' && self.b.get(l.content + 1).is_none_or(|&c| c == b' ' || c == b'\n')
    }

    /// A block node starting on line `l`: a sequence or a mapping.
    fn block(&mut self, l: Line, root: bool) -> R<Node> {
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
    /// plain key followed by `: ` or `:` at the end of the line.
    fn key_end(&self, l: Line) -> Option<usize> {
        let s = &self.b[l.content..l.end];
        if is_indicator(s[0]) {
            return None;
        }
        for i in 0..s.len() {
            match s[i] {
                b':' if s.get(i + 1).is_none_or(|&c| c == b' ') => return Some(l.content + i),
                b'#' if i > 0 && s[i - 1] == b' ' => return None,
                _ => {}
            }
        }
        None
    }

    fn map(&mut self, col: usize, root: bool) -> R<Node> {
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
            let colon = self.key_end(l).ok_or(Bail)?;
            let key = self.str_of(&self.b[l.content..colon])?.trim_end_matches(' ');
            // Ordinary keys only (`app.kubernetes.io/name`, `LOG_LEVEL`,
            // `nvidia.com/gpu`): YAML limits implicit keys to 1024
            // characters and has rules for the rest.
            // A key this file used before passed these checks then.
            let key_span = match self.tree.known_key(key) {
                Some(span) => span,
                None => {
                    let ordinary = |c: u8| {
                        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/' | b' ' | b'@' | b'+' | b'~')
                    };
                    if key.is_empty()
                        || key.len() > 256
                        || !key.bytes().all(ordinary)
                        || scalar::classify_plain(key) != Plain::Str
                    {
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
                (self.inline(v, l.end, track)?, key_line)
            };
            self.tree.push_at(key_span, value, line);
        }
        // A repeated key: the general parser reports it.
        self.tree.close_unique_map(mark).ok_or(Bail)
    }

    /// The value of a key that starts on a later line.
    fn nested(&mut self, n: Line, track: bool) -> R<Node> {
        if self.is_dash(n) {
            self.depth += 1;
            let seq = self.seq(n.col, track);
            self.depth -= 1;
            seq
        } else {
            self.block(n, false)
        }
    }

    fn seq(&mut self, col: usize, track: bool) -> R<Node> {
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
                if self.is_dash(rest) {
                    return Err(Bail);
                }
                let node = if self.key_end(rest).is_some() {
                    self.depth += 1;
                    let map = self.map(rest.col, false);
                    self.depth -= 1;
                    map?
                } else {
                    self.inline(rest.content, rest.end, false)?
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

    /// A plain scalar in block context.
    fn plain(&mut self, body: &[u8]) -> R<Node> {
        if body.contains(&b'\t') || body.ends_with(b":") || body.windows(2).any(|w| w == b": ") {
            return Err(Bail);
        }
        let text = self.str_of(body)?;
        self.resolve(text)
    }

    /// `.inf` and `.nan` are errors: the general parser reports them.
    fn resolve(&mut self, text: &str) -> R<Node> {
        plain_node(&mut self.tree, &mut self.warnings, self.file, self.line, text).ok_or(Bail)
    }

    /// The inside of a one-line flow sequence of scalars: `a, "b", 'c'`.
    fn flow_seq(&mut self, inner: &[u8]) -> R<Node> {
        let mark = self.tree.mark();
        for item in inner.split(|&c| c == b',') {
            let item = trim_spaces(item);
            let node = match item.first() {
                None => return Err(Bail),
                Some(&q @ (b'"' | b'\'')) => {
                    let body = item.get(1..item.len() - 1).filter(|_| item.len() >= 2 && item.ends_with(&[q]));
                    let body = body.ok_or(Bail)?;
                    if body.contains(&q) || body.contains(&b'\\') {
                        return Err(Bail);
                    }
                    self.tree.string(self.str_of(body)?)
                }
                Some(&c) if !c.is_ascii_alphanumeric() && !matches!(c, b'.' | b'/' | b'_') => return Err(Bail),
                Some(_) => {
                    // One word of ordinary characters: no spaces (a flow
                    // scalar continues across them, with rules of its own).
                    let ordinary = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'/' | b'_' | b'-' | b'=');
                    if !item.iter().all(ordinary) || item.ends_with(b"-") {
                        return Err(Bail);
                    }
                    let text = self.str_of(item)?;
                    self.resolve(text)?
                }
            };
            self.tree.push_at(Span::default(), node, self.line);
        }
        Ok(self.tree.close_seq(mark))
    }

    /// A scalar (or `{}`/`[]`) from byte `v` to the end of its line; moves
    /// to the next line. `track`: the value of the root's `items`, whose
    /// element positions a flow sequence here would have to give.
    fn inline(&mut self, v: usize, end: usize, track: bool) -> R<Node> {
        let s = &self.b[v..end];
        let node = match s[0] {
            b'"' | b'\'' => {
                let quote = s[0];
                let close = s[1..].iter().position(|&c| c == quote).ok_or(Bail)? + 1;
                let body = &s[1..close];
                let after = &s[close + 1..];
                if quote == b'"' && body.contains(&b'\\') {
                    return Err(Bail);
                }
                if quote == b'\'' && after.first() == Some(&b'\'') {
                    // `''` is an escaped quote: leave it to the general parser.
                    return Err(Bail);
                }
                if !after.is_empty() && (after[0] != b' ' || !trim_comment(after).is_empty()) {
                    return Err(Bail);
                }
                let text = self.str_of(body)?;
                self.tree.string(text)
            }
            b'{' | b'[' => match trim_comment(s) {
                b"{}" => self.tree.close_map(self.tree.mark(), KeepKey::First),
                b"[]" => self.tree.close_seq(self.tree.mark()),
                flow if flow[0] == b'[' && flow.ends_with(b"]") && !track => self.flow_seq(&flow[1..flow.len() - 1])?,
                _ => return Err(Bail),
            },
            // `-foo` and `--flag` are plain; `- ` would be a nested item.
            b'-' if s.get(1).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.') => {
                self.plain(trim_comment(s))?
            }
            c if is_indicator(c) => return Err(Bail),
            _ => self.plain(trim_comment(s))?,
        };
        self.advance();
        Ok(node)
    }
}

/// Characters a plain scalar cannot start with, or that start something the
/// fast path leaves alone (a value starting with `-`, like `-1`, included).
fn is_indicator(c: u8) -> bool {
    matches!(c, b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>')
        || matches!(c, b'\'' | b'"' | b'%' | b'@' | b'`' | b'\t')
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    &s[start..end]
}

/// A value without its trailing comment (` #...`) and trailing spaces.
fn trim_comment(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    for i in 0..s.len() {
        if s[i] == b'#' && (i == 0 || s[i - 1] == b' ') {
            end = i;
            break;
        }
    }
    let mut e = end;
    while e > 0 && s[e - 1] == b' ' {
        e -= 1;
    }
    &s[..e]
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
