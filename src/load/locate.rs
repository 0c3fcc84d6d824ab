//! Finds the line of one field of an already-loaded object, on demand.
//!
//! Trees built by the fast YAML path record each node's line, and findings
//! read it there. Other trees (JSON, the general YAML parser) keep only
//! their objects' start offsets: when a finding is reported, the engine
//! re-reads the file and asks for the line of the field it is about. JSON
//! is YAML flow syntax, so one saphyr pass serves both. The fast path's
//! recorded lines are checked against this locator (`fast_tests`, the
//! `manifests` fuzz target).

use saphyr_parser::{Event, Marker, Parser, StrInput};

use super::yaml::ByteIndex;

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// The 1-based line of the deepest node along `path`, starting from the node
/// that begins at byte `doc_offset` (an object's `doc_offset`: a document
/// root or a list item). A missing field yields its nearest existing parent.
/// `None` when no node starts at `doc_offset`.
pub fn field_line(text: &str, doc_offset: usize, path: &[PathSeg]) -> Option<u32> {
    let doc_line = newlines(text, 0, doc_offset) + 1;
    field_line_at(text, doc_offset, doc_line, path)
}

/// [`field_line`] for a node whose line is known (an object's `line`), so
/// that the lines before it need not be counted again for every finding.
pub fn field_line_at(text: &str, doc_offset: usize, doc_line: u32, path: &[PathSeg]) -> Option<u32> {
    if !text.is_char_boundary(doc_offset) || doc_offset >= text.len() {
        return None;
    }
    let window = window_start(text, doc_offset);
    let lines_before = doc_line.saturating_sub(1).saturating_sub(newlines(text, window, doc_offset));
    locate_from(text, window, lines_before, doc_offset, path).or_else(|| {
        // A `---` inside a scalar may have misled the window; try the whole file.
        if window == 0 { None } else { locate_from(text, 0, 0, doc_offset, path) }
    })
}

/// Line breaks in `text[from..to]`.
fn newlines(text: &str, from: usize, to: usize) -> u32 {
    text.as_bytes().get(from..to).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u32)
}

/// Where to start parsing: at the node itself for flow (JSON) nodes, which
/// parse on their own; otherwise at the start of its YAML document.
fn window_start(text: &str, doc_offset: usize) -> usize {
    if matches!(text.as_bytes()[doc_offset], b'{' | b'[') {
        return doc_offset;
    }
    let mut line_start = text[..doc_offset].rfind('\n').map_or(0, |i| i + 1);
    loop {
        let line = &text[line_start..];
        let marker = line.starts_with("---") || line.starts_with("...");
        let after = line.as_bytes().get(3);
        if marker && after.is_none_or(|b| b.is_ascii_whitespace()) {
            return line_start;
        }
        if line_start == 0 {
            return 0;
        }
        line_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
}

fn locate_from(text: &str, window: usize, lines_before: u32, doc_offset: usize, path: &[PathSeg]) -> Option<u32> {
    let slice = &text[window..];
    let mut w = Walker { events: Parser::new_from_str(slice), bytes: ByteIndex::new(slice), lines_before };
    let target = doc_offset - window;
    while let Some((event, at)) = w.next() {
        match event {
            Event::Scalar(..) | Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                let offset = w.bytes.byte(at.index());
                if offset == target {
                    return Some(w.descend(event, at, path));
                }
                if offset > target {
                    return None;
                }
            }
            Event::StreamEnd => return None,
            _ => {}
        }
    }
    None
}

struct Walker<'a> {
    events: Parser<'a, StrInput<'a>>,
    bytes: ByteIndex<'a>,
    lines_before: u32,
}

impl<'a> Walker<'a> {
    fn next(&mut self) -> Option<(Event<'a>, Marker)> {
        match self.events.next()? {
            Ok((event, span)) => Some((event, span.start)),
            Err(_) => None,
        }
    }

    /// Line of the deepest node along `path` below the node `first` opens.
    fn descend(&mut self, first: Event<'a>, at: Marker, path: &[PathSeg]) -> u32 {
        let line = self.lines_before + at.line() as u32;
        let Some((seg, rest)) = path.split_first() else {
            return line;
        };
        match (first, seg) {
            (Event::MappingStart(..), PathSeg::Key(want)) => loop {
                let Some((key, _)) = self.next() else {
                    return line;
                };
                let matched = match &key {
                    Event::MappingEnd => return line,
                    Event::Scalar(text, ..) => text.as_ref() == want.as_str(),
                    _ => false,
                };
                self.skip(key);
                let Some((value, value_at)) = self.next() else {
                    return line;
                };
                if matched {
                    return self.descend(value, value_at, rest);
                }
                self.skip(value);
            },
            (Event::SequenceStart(..), PathSeg::Index(want)) => {
                let mut index = 0;
                loop {
                    let Some((item, item_at)) = self.next() else {
                        return line;
                    };
                    if matches!(item, Event::SequenceEnd) {
                        return line;
                    }
                    if index == *want {
                        return self.descend(item, item_at, rest);
                    }
                    self.skip(item);
                    index += 1;
                }
            }
            _ => line,
        }
    }

    /// Consumes the rest of a node whose first event is `first`.
    fn skip(&mut self, first: Event<'a>) {
        if !matches!(first, Event::MappingStart(..) | Event::SequenceStart(..)) {
            return;
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.next() {
                Some((Event::MappingStart(..) | Event::SequenceStart(..), _)) => depth += 1,
                Some((Event::MappingEnd | Event::SequenceEnd, _)) => depth -= 1,
                Some(_) => {}
                None => return,
            }
        }
    }
}

#[cfg(test)]
#[path = "locate_tests.rs"]
mod tests;
