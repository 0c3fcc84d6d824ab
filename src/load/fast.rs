//! A fast path for the YAML that manifests are written in: block mappings
//! and sequences, one-line plain scalars, quoted scalars with escapes (keys
//! and values), block scalars (`|`, `>`, with `-`/`+`), flow collections
//! on one line or over several (JSON saved as `.yaml`), comments and `---`
//! separators. It reads a file straight into the tree, several times
//! faster than the general parser (the styles beyond plain block YAML are
//! in `fast_styles.rs`).
//!
//! It gives up on anything else one document at a time: a document it does
//! not take (anchors, aliases, tags, multi-line plain or quoted scalars,
//! complex or non-string keys, merge keys, duplicate keys, `.inf`/`.nan`,
//! every kind of error) is rolled back and parsed by the general parser
//! (`yaml::parse_into`) into the same tree, and the fast path goes on with
//! the next document. If the general parser finds an error there, or the
//! file has tabs, CR line ends, a byte order mark, directives or `...`
//! markers, `parse` returns `None` and the caller parses the whole file with
//! the general parser, so errors are always its own. So the fast path never
//! decides what a file means on its own; where it answers, the answer must
//! be exactly the general parser's (nodes, document and item positions,
//! warnings), which `fast_tests.rs` and the `manifests` fuzz target check.

use super::scalar::{self, Plain};
use super::yaml::{self, Doc, Limits, Parsed, Pos, plain_node};
use crate::report::Notice;
use crate::world::tree::{Builder as TreeBuilder, Node, Span};

/// The fast path does not handle this input.
struct Bail;

type R<T> = Result<T, Bail>;

/// Maps with more keys than this go to the general parser.
const MAX_KEYS: usize = 128;

#[path = "fast_blocks.rs"]
mod blocks;
#[path = "fast_styles.rs"]
mod styles;

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
    let b = text.as_bytes();
    let tree = if starts_with_flow(b) {
        // JSON saved as YAML, or dense flow YAML: sized from a count of its
        // values (a value is followed by a comma or closes its collection),
        // like the JSON path, and without lines (20 bytes a value, and 20
        // while its collection is open); findings find their lines in the
        // text, as for JSON.
        let count = |c: u8| memchr::memchr_iter(c, b).count();
        let values = count(b',') + count(b'[') + count(b'{') + 1;
        let mut tree = TreeBuilder::with_capacity(values, text.len() / 2, false);
        tree.reserve_pending(values);
        tree
    } else {
        // Manifests run about 20 bytes a node, half of it keys and strings.
        TreeBuilder::with_capacity(text.len() / 16, text.len() / 2, true)
    };
    let mut f = Fast {
        text,
        b,
        file,
        max_depth: limits.max_depth,
        limits: *limits,
        alias_nodes: 0,
        tree,
        warnings: Vec::new(),
        pos: 0,
        at: 0,
        line: 1,
        end_of: (usize::MAX, 0),
        depth: 0,
        items: Vec::new(),
        block_line: None,
        peeked: None,
        key_seen: (usize::MAX, None),
    };
    let docs = f.stream().ok()?;
    Some(Parsed { tree: f.tree.finish(), docs, warnings: f.warnings })
}

/// Whether the first thing in `b` (after blank lines, comments and a `---`)
/// is a flow collection.
fn starts_with_flow(b: &[u8]) -> bool {
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|&c| c == b' ' || c == b'\n') {
            i += 1;
        }
        match b.get(i) {
            Some(b'{' | b'[') => return true,
            Some(b'#') => {}
            Some(b'-') if b[i..].starts_with(b"---") => i += 3,
            _ => return false,
        }
        i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
    }
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

/// The high bit of each byte of `w` equal to `c` (exact up to the first
/// such byte, which is all that is used: a borrow may mark bytes above it).
#[inline]
fn equal_bytes(w: u64, c: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let x = w ^ (ONES * u64::from(c));
    x.wrapping_sub(ONES) & !x & HIGHS
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
    limits: Limits,
    /// Nodes alias expansion produced in the documents the general parser
    /// read so far (one budget per file).
    alias_nodes: usize,
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
    /// The line a block scalar read by `inline` starts on, as the general
    /// parser places it (its first content line; 0 for none).
    block_line: Option<u32>,
    /// The last answer of `peek`, and the line start and cursor it was for.
    peeked: Option<(usize, usize, Option<Line>)>,
    /// The last answer of `key_end`, and the byte it was for.
    key_seen: (usize, Option<(usize, bool)>),
}

fn is_blank(c: u8) -> bool {
    c == b' '
}

impl<'a> Fast<'a> {
    /// A piece of the text as `&str`: slices here always start and end next
    /// to ASCII bytes, so this is a bounds check, not UTF-8 validation.
    #[inline]
    fn str_of(&self, sub: &[u8]) -> R<&'a str> {
        let off = (sub.as_ptr() as usize).wrapping_sub(self.b.as_ptr() as usize);
        self.text.get(off..off + sub.len()).ok_or(Bail)
    }

    /// Where the current line ends (found once per line: `peek` asks often).
    #[inline]
    fn line_end(&mut self) -> usize {
        if self.end_of.0 != self.pos {
            let from = self.pos;
            let end = memchr::memchr(b'\n', &self.b[from..]).map_or(self.b.len(), |i| from + i);
            self.end_of = (from, end);
        }
        self.end_of.1
    }

    /// Moves to the start of the next line.
    #[inline]
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
    #[inline(always)]
    fn peek(&mut self) -> R<Option<Line>> {
        // Asked again and again at the same place (each enclosing block
        // looks at the line that ends it): measure it once.
        // Keyed by the line start and the cursor both: at the end of the
        // text, moving to the next line leaves the cursor where it was.
        // The check is inlined in every caller; the measuring is not (a
        // call that saves registers for a check this small costs more than
        // the check).
        if let Some((pos, at, line)) = self.peeked
            && (pos, at) == (self.pos, self.at)
        {
            return Ok(line);
        }
        self.peek_new()
    }

    #[inline(never)]
    fn peek_new(&mut self) -> R<Option<Line>> {
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
            // Indentation, eight bytes at a time in a `u64` (a space is
            // never a line break, so this stays on the line), then the rest.
            while let Some(w) = self.b.get(content..content + 8) {
                let other = u64::from_le_bytes(w.try_into().map_err(|_| Bail)?) ^ u64::from_le_bytes([b' '; 8]);
                if other != 0 {
                    content += other.trailing_zeros() as usize / 8;
                    break;
                }
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

    #[inline]
    fn is_doc_start(&self, l: Line) -> bool {
        l.col == 0
            && self.b[l.content..l.end].starts_with(b"---")
            && self.b.get(l.content + 3).is_none_or(|&c| c == b' ' || c == b'\n')
    }

    fn stream(&mut self) -> R<Vec<Doc>> {
        let mut docs = Vec::new();
        // Where the current document's text starts (its `---` line, or the
        // end of the one before) and that line's number.
        let mut from = (self.pos, self.line);
        while let Some(l) = self.peek()? {
            if self.is_doc_start(l) {
                from = (self.pos, self.line);
                let rest = trim_comment(&self.b[l.content + 3..l.end]);
                if rest.is_empty() {
                    self.advance();
                } else {
                    // `--- |`, `--- !tag`, `--- {a: 1}`.
                    self.general_document(from, &mut docs)?;
                    from = (self.pos, self.line);
                }
                continue;
            }
            if l.col == 0 && (self.b[l.content] == b'%' || self.b[l.content..l.end].starts_with(b"...")) {
                return Err(Bail);
            }
            let cp = (self.tree.checkpoint(), self.warnings.len());
            match self.document(l) {
                Ok(Some(doc)) => docs.push(doc),
                Ok(None) => {}
                Err(Bail) => {
                    self.tree.rollback(cp.0);
                    self.warnings.truncate(cp.1);
                    self.depth = 0;
                    self.block_line = None;
                    self.general_document(from, &mut docs)?;
                }
            }
            from = (self.pos, self.line);
        }
        Ok(docs)
    }

    /// One document, from its first line with content `l`.
    fn document(&mut self, l: Line) -> R<Option<Doc>> {
        self.items.clear();
        let start = Pos { line: self.line, offset: l.content as u32 };
        let node = if matches!(self.b[l.content], b'{' | b'[') {
            self.flow(l.content, None, false, true)?
        } else {
            self.block(l, true)?
        };
        // The document must end here: at the end or at a `---`.
        if let Some(next) = self.peek()?
            && !self.is_doc_start(next)
        {
            return Err(Bail);
        }
        if node == Node::Null {
            return Ok(None);
        }
        let root = self.tree.root_at(node, start.line);
        let items = std::mem::take(&mut self.items);
        Ok(Some(Doc { root, line: start.line, offset: start.offset, items }))
    }

    /// Parses the document whose text starts at `from` (a line start, and
    /// its line number) with the general parser, into the same tree, and
    /// moves past it. A document ends at the next `---` line: document
    /// markers end every scalar and collection. `...` and directives are
    /// left to the general parser, and so is a document it finds an error
    /// in: then the whole file goes to it.
    fn general_document(&mut self, (from, from_line): (usize, u32), docs: &mut Vec<Doc>) -> R<()> {
        let marker =
            |rest: &[u8], m: &[u8]| rest.starts_with(m) && rest.get(3).is_none_or(|&c| c == b' ' || c == b'\n');
        let mut end = from;
        let mut newlines = 0u32;
        loop {
            if end >= self.b.len() {
                end = self.b.len();
                break;
            }
            let rest = &self.b[end..];
            if end != from && marker(rest, b"---") {
                break;
            }
            if marker(rest, b"...") || rest[0] == b'%' {
                return Err(Bail);
            }
            match memchr::memchr(b'\n', rest) {
                Some(k) => {
                    end += k + 1;
                    newlines += 1;
                }
                None => end = self.b.len(),
            }
        }
        let chunk = &self.text[from..end];
        let (mut found, warnings) =
            yaml::parse_into(&mut self.tree, chunk, self.file, &self.limits, &mut self.alias_nodes)
                .map_err(|_| Bail)?;
        let (lines, bytes) = (from_line - 1, from as u32);
        for d in &mut found {
            d.line += lines;
            d.offset += bytes;
            for p in &mut d.items {
                p.line += lines;
                p.offset += bytes;
            }
        }
        docs.extend(found);
        self.warnings.extend(warnings.into_iter().map(|w| Notice { line: w.line + lines, ..w }));
        self.tree.set_lines_incomplete();
        self.items.clear();
        self.pos = end;
        self.at = end;
        self.line = from_line + newlines;
        self.peeked = None;
        self.end_of = (usize::MAX, 0);
        Ok(())
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

    /// A scalar, block scalar or flow collection from byte `v` of its
    /// line (which ends at `end`), the value of a node in a block
    /// collection at column `col`; moves past it, to the next line.
    /// `track`: the value of the root's `items`, whose element positions a
    /// flow sequence here records.
    fn inline(&mut self, v: usize, end: usize, col: usize, track: bool) -> R<Node> {
        let s = &self.b[v..end];
        let node = match s[0] {
            b'"' | b'\'' => {
                let (close, escaped) = styles::quoted_end(s).ok_or(Bail)?;
                let after = &s[close + 1..];
                if !after.is_empty() && (after[0] != b' ' || !trim_comment(after).is_empty()) {
                    return Err(Bail);
                }
                let text = styles::unquote(self.str_of(&s[..=close])?, escaped)?;
                self.tree.string(&text)
            }
            b'{' | b'[' => return self.flow(v, Some(col), track, false),
            b'|' | b'>' => return self.block_scalar(v, end, col),
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

/// Whether a plain key is one the fast path takes: ordinary characters, at
/// most 256 of them (YAML limits implicit keys to 1024 and has rules for
/// the rest), read as a string.
fn is_ordinary_key(key: &str) -> bool {
    let ordinary =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/' | b' ' | b'@' | b'+' | b'~');
    !key.is_empty() && key.len() <= 256 && key.bytes().all(ordinary) && scalar::classify_plain(key) == Plain::Str
}

/// Characters a plain scalar cannot start with, or that start something the
/// fast path leaves alone (a value starting with `-`, like `-1`, included).
fn is_indicator(c: u8) -> bool {
    matches!(c, b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>')
        || matches!(c, b'\'' | b'"' | b'%' | b'@' | b'`' | b'\t')
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
