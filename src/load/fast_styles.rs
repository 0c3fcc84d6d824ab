//! The fast path's readers for the YAML styles beyond plain block YAML:
//! quoted scalars with escapes (keys and values), block scalars (`|`, `>`,
//! with a chomping indicator) and flow collections with content, on one
//! line or over several (JSON saved as `.yaml`, `{a: 1, b: [x, y]}`).
//! Each reads exactly what the general parser reads, or gives up (`Bail`)
//! on the forms it leaves to it; `fast_tests.rs` and the `manifests` fuzz
//! target compare the two on every style.

use std::borrow::Cow;

use super::yaml::Pos;
use super::{Bail, Fast, MAX_KEYS, R, equal_bytes, is_indicator, trim_comment};
use crate::world::tree::{Node, Span};

/// The deepest flow nesting taken here, whatever `--max-depth` says:
/// saphyr's scanner stops at 255 levels with an error of its own.
const MAX_FLOW_DEPTH: usize = 250;

/// Where the closing quote of the quoted scalar at the start of `s` (one
/// line) is, if it is on that line, and whether the scalar may hold an
/// escape (a backslash in double quotes, `''` in single quotes): without
/// one, its text is its body as written.
#[inline(always)]
pub(super) fn quoted_end(s: &[u8]) -> Option<(usize, bool)> {
    let quote = s[0];
    let mut i = 1;
    let mut escaped = false;
    loop {
        let j = i + find_quote_or_backslash(quote, &s[i..])?;
        match (quote, s[j]) {
            (b'"', b'\\') => i = j + 2,
            (b'\'', b'\\') => i = j + 1,
            (b'\'', _) if s.get(j + 1) == Some(&b'\'') => i = j + 2,
            _ => return Some((j, escaped)),
        }
        escaped |= s[j] == quote || quote == b'"';
        if i > s.len() {
            return None;
        }
    }
}

/// The first `quote` or backslash in `s`: most quoted scalars are short,
/// so the first 32 bytes are searched eight at a time in a `u64` (no set-up
/// as `memchr2` has), the rest with `memchr2`.
#[inline(always)]
fn find_quote_or_backslash(quote: u8, s: &[u8]) -> Option<usize> {
    let head = s.len().min(32);
    let mut i = 0;
    while i + 8 <= head {
        let w = u64::from_le_bytes(s[i..i + 8].try_into().ok()?);
        let found = equal_bytes(w, quote) | equal_bytes(w, b'\\');
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    if let Some(k) = s[i..head].iter().position(|&c| c == quote || c == b'\\') {
        return Some(i + k);
    }
    memchr::memchr2(quote, b'\\', &s[head..]).map(|k| head + k)
}

/// The text of a one-line quoted scalar `s` (quotes included: a slice of
/// the file's text, so its body is UTF-8 without checking it again),
/// escapes resolved as saphyr resolves them; `Bail` on an escape it
/// rejects. `escaped`: whether it may hold an escape (`quoted_end` says);
/// when not, its text is its body.
#[inline]
pub(super) fn unquote(s: &str, escaped: bool) -> R<Cow<'_, str>> {
    let text = s.get(1..s.len() - 1).ok_or(Bail)?;
    if !escaped {
        return Ok(Cow::Borrowed(text));
    }
    unescape(s, text)
}

/// [`unquote`] for a scalar that may hold an escape: `text` is `s` without
/// its quotes.
fn unescape<'s>(s: &str, text: &'s str) -> R<Cow<'s, str>> {
    let body = text.as_bytes();
    if s.starts_with('\'') {
        return Ok(if text.contains('\'') { Cow::Owned(text.replace("''", "'")) } else { Cow::Borrowed(text) });
    }
    if !body.contains(&b'\\') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or(Bail)?;
        let digits = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if digits > 0 {
            let mut value = 0u32;
            for _ in 0..digits {
                value = (value << 4) + chars.next().and_then(|d| d.to_digit(16)).ok_or(Bail)?;
            }
            out.push(char::from_u32(value).ok_or(Bail)?);
            continue;
        }
        out.push(match e {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            _ => return Err(Bail),
        });
    }
    Ok(Cow::Owned(out))
}

/// Chomping of a block scalar's final line breaks.
#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// A cursor in a flow collection: the byte, the start of its line, and the
/// column continuation lines must be indented past (none at a document's
/// root).
struct Cur {
    i: usize,
    line_start: usize,
    parent_col: Option<usize>,
}

impl<'a> Fast<'a> {
    /// A block scalar whose header (`|`, `>-`, `|+ # c`) is `self.b[v..end]`,
    /// the value of a node in a block collection at column `parent_col`.
    /// Reads its lines and leaves the cursor on the first line after them.
    /// Explicit indentation indicators, more-indented lines of a folded
    /// scalar, blank lines with more spaces than the content's indentation
    /// and a last line without a line break are left to the general parser.
    pub(super) fn block_scalar(&mut self, v: usize, end: usize, parent_col: usize) -> R<Node> {
        let s = &self.b[v..end];
        let folded = s[0] == b'>';
        let (chomp, mut i) = match s.get(1) {
            Some(b'-') => (Chomp::Strip, 2),
            Some(b'+') => (Chomp::Keep, 2),
            _ => (Chomp::Clip, 1),
        };
        if s.get(i).is_some_and(u8::is_ascii_digit) {
            return Err(Bail);
        }
        let rest = &s[i..];
        if !rest.is_empty() && (rest[0] != b' ' || !trim_comment(rest).is_empty()) {
            return Err(Bail);
        }
        self.advance();
        self.block_line = Some(0);
        let min = parent_col + 1;
        let mut indent: Option<usize> = None;
        let mut leading_spaces = 0;
        let mut out = String::new();
        let mut breaks = 0usize;
        let mut content = false;
        while self.pos < self.b.len() {
            let end = self.line_end();
            if end == self.b.len() {
                // The last line has no line break.
                return Err(Bail);
            }
            let line = &self.b[self.pos..end];
            let spaces = line.iter().take_while(|&&c| c == b' ').count();
            if spaces == line.len() {
                match indent {
                    Some(n) if spaces > n => return Err(Bail),
                    Some(_) => {}
                    None => leading_spaces = leading_spaces.max(spaces),
                }
                breaks += 1;
                self.advance();
                continue;
            }
            let n = match indent {
                Some(n) => n,
                None if spaces < min => break,
                None => {
                    if leading_spaces > spaces {
                        return Err(Bail);
                    }
                    indent = Some(spaces);
                    // saphyr starts the scalar at its first content line.
                    self.block_line = Some(self.line);
                    spaces
                }
            };
            if spaces < n {
                break;
            }
            let text = &line[n..];
            if folded && text[0] == b' ' {
                return Err(Bail);
            }
            if !content || folded && breaks > 0 {
                out.extend(std::iter::repeat_n('\n', breaks));
            } else if folded {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', breaks + 1));
            }
            out.push_str(self.str_of(text)?);
            content = true;
            breaks = 0;
            self.advance();
        }
        i = 0;
        if content && chomp != Chomp::Strip {
            i = 1;
        }
        if chomp == Chomp::Keep {
            i += breaks;
        }
        out.extend(std::iter::repeat_n('\n', i));
        Ok(self.tree.string(&out))
    }

    /// A flow collection starting at `self.b[i]` (`{` or `[`), on one line
    /// or over several, in a block collection at column `parent_col` (none
    /// for a document root). `track`: record the positions of a sequence's
    /// elements (the root's `items`); `root`: the collection is the
    /// document's root. Leaves the cursor on the line after the one it
    /// closes on, which must hold nothing else but a comment.
    pub(super) fn flow(&mut self, i: usize, parent_col: Option<usize>, track: bool, root: bool) -> R<Node> {
        let mut c = Cur { i, line_start: self.pos, parent_col };
        let node = self.flow_node(&mut c, track, root)?;
        let end = memchr::memchr(b'\n', &self.b[c.i..]).map_or(self.b.len(), |k| c.i + k);
        let rest = &self.b[c.i..end];
        if !rest.is_empty() && (rest[0] != b' ' || !trim_comment(rest).is_empty()) {
            return Err(Bail);
        }
        self.pos = c.line_start;
        self.at = c.i;
        self.peeked = None;
        self.advance();
        Ok(node)
    }

    /// Skips spaces, line breaks and comments inside a flow collection.
    fn flow_ws(&mut self, c: &mut Cur) -> R<()> {
        loop {
            match self.b.get(c.i) {
                Some(b' ') => c.i += 1,
                Some(b'\n') => {
                    c.i += 1;
                    self.line += 1;
                    c.line_start = c.i;
                    let mut j = c.i;
                    while self.b.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    let rest = &self.b[c.i..];
                    if j == c.i && (rest.starts_with(b"---") || rest.starts_with(b"...")) {
                        return Err(Bail);
                    }
                    // In a block collection, continuation lines deeper
                    // than it (saphyr takes some at its column, not all).
                    if let Some(p) = c.parent_col
                        && j - c.i <= p
                        && self.b.get(j).is_some_and(|&b| b != b'\n')
                    {
                        return Err(Bail);
                    }
                    c.i = j;
                }
                Some(b'#') => {
                    // A comment only after a space or at the start of a line.
                    if !matches!(self.b[c.i - 1], b' ' | b'\n') {
                        return Err(Bail);
                    }
                    c.i = memchr::memchr(b'\n', &self.b[c.i..]).map_or(self.b.len(), |k| c.i + k);
                }
                // An unclosed collection: the general parser reports it.
                None => return Err(Bail),
                Some(_) => return Ok(()),
            }
        }
    }

    /// The end of the line `c.i` is on.
    fn flow_line_end(&self, c: &Cur) -> usize {
        memchr::memchr(b'\n', &self.b[c.i..]).map_or(self.b.len(), |k| c.i + k)
    }

    /// A quoted scalar at the cursor (on one line), resolved.
    fn flow_quoted(&mut self, c: &mut Cur) -> R<Cow<'a, str>> {
        let b = self.b;
        let s = &b[c.i..self.flow_line_end(c)];
        let (close, escaped) = quoted_end(s).ok_or(Bail)?;
        c.i += close + 1;
        unquote(self.str_of(&s[..=close])?, escaped)
    }

    fn flow_node(&mut self, c: &mut Cur, track: bool, root: bool) -> R<Node> {
        match self.b[c.i] {
            b'{' => self.flow_map(c, root),
            b'[' => self.flow_seq(c, track),
            b'"' | b'\'' => {
                let text = self.flow_quoted(c)?;
                Ok(self.tree.string(&text))
            }
            _ => self.flow_plain(c),
        }
    }

    /// A plain scalar in a flow collection, on one line.
    fn flow_plain(&mut self, c: &mut Cur) -> R<Node> {
        let start = c.i;
        let first = self.b[start];
        let next = self.b.get(start + 1).copied().unwrap_or(b' ');
        if is_indicator(first) && !(first == b'-' && (next.is_ascii_alphanumeric() || next == b'.')) {
            return Err(Bail);
        }
        let mut j = start;
        loop {
            match self.b.get(j) {
                None | Some(b'\n' | b',' | b']' | b'}') => break,
                Some(b'[' | b'{') => return Err(Bail),
                Some(b':') => match self.b.get(j + 1) {
                    None | Some(b' ' | b'\n' | b',' | b']' | b'}' | b'[' | b'{') => break,
                    _ => j += 1,
                },
                Some(b'#') if self.b[j - 1] == b' ' => break,
                _ => j += 1,
            }
        }
        let mut e = j;
        while e > start && self.b[e - 1] == b' ' {
            e -= 1;
        }
        // One word: a flow scalar continues across spaces with rules of its
        // own (`a -]` is an error), left to the general parser.
        if self.b[start..e].contains(&b' ') || self.b[e - 1] == b'-' {
            return Err(Bail);
        }
        c.i = j;
        let text = self.str_of(&self.b[start..e])?;
        self.resolve(text)
    }

    fn flow_enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth >= self.max_depth || self.depth > MAX_FLOW_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    fn flow_map(&mut self, c: &mut Cur, root: bool) -> R<Node> {
        self.flow_enter()?;
        c.i += 1;
        let mark = self.tree.mark();
        let mut count = 0;
        loop {
            self.flow_ws(c)?;
            if self.b[c.i] == b'}' {
                c.i += 1;
                break;
            }
            let key = match self.b[c.i] {
                b'"' | b'\'' => {
                    // A JSON-like key: its `:` may be followed by the value
                    // right away.
                    let text = self.flow_quoted(c)?;
                    if text.len() > 256 || self.b.get(c.i) != Some(&b':') {
                        return Err(Bail);
                    }
                    self.quoted_key(&text)
                }
                _ => {
                    let start = c.i;
                    let ordinary = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/');
                    let len = self.b[start..].iter().take_while(|&&b| ordinary(b)).count();
                    c.i += len;
                    let after = self.b.get(c.i + 1).copied();
                    if len == 0 || len > 256 || self.b.get(c.i) != Some(&b':') || !matches!(after, Some(b' ' | b'\n')) {
                        return Err(Bail);
                    }
                    let key = self.str_of(&self.b[start..start + len])?;
                    match self.tree.known_key(key) {
                        Some(span) => span,
                        None => {
                            if self.b[start] == b'-' || super::scalar::classify_plain(key) != super::Plain::Str {
                                return Err(Bail);
                            }
                            self.tree.key(key)
                        }
                    }
                }
            };
            c.i += 1;
            count += 1;
            if count > MAX_KEYS {
                return Err(Bail);
            }
            self.flow_ws(c)?;
            if matches!(self.b[c.i], b',' | b'}') {
                return Err(Bail);
            }
            let track = root && matches!(self.tree.text_of(key), "items" | "objects");
            let line = self.line;
            let value = self.flow_node(c, track, false)?;
            self.tree.push_at(key, value, line);
            self.flow_ws(c)?;
            match self.b[c.i] {
                b',' => c.i += 1,
                b'}' => {
                    c.i += 1;
                    break;
                }
                _ => return Err(Bail),
            }
        }
        self.depth -= 1;
        self.tree.close_unique_map(mark).map_err(|_| Bail)
    }

    fn flow_seq(&mut self, c: &mut Cur, track: bool) -> R<Node> {
        self.flow_enter()?;
        c.i += 1;
        if track {
            self.items.clear();
        }
        let mark = self.tree.mark();
        loop {
            self.flow_ws(c)?;
            match self.b[c.i] {
                b']' => {
                    c.i += 1;
                    break;
                }
                b',' => return Err(Bail),
                _ => {}
            }
            let line = self.line;
            let start = c.i;
            let node = self.flow_node(c, false, false)?;
            self.flow_ws(c)?;
            if track {
                self.items.push(Pos { line, offset: start as u32 });
            }
            self.tree.push_at(Span::default(), node, line);
            match self.b[c.i] {
                b',' => c.i += 1,
                b']' => {
                    c.i += 1;
                    break;
                }
                _ => return Err(Bail),
            }
        }
        self.depth -= 1;
        Ok(self.tree.close_seq(mark))
    }
}
