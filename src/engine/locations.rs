//! Locations: an object's file and line, the line of a field, code frames
//! from the texts the loader kept.

use std::sync::OnceLock;

use super::*;

/// An object's location; with a field path, the line of that field (or of
/// its nearest existing parent).
pub(super) fn location(world: &World, o: &Object, path: Option<&[PathSeg]>, files: &FileCache) -> Location {
    let line = path.and_then(|p| files.field_line(o, p)).unwrap_or(o.line);
    Location {
        env: world.envs.get(o.env as usize).map(|e| e.name.clone()).unwrap_or_default(),
        api_version: o.api_version().to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.as_deref().unwrap_or("").to_string(),
        name: o.name.to_string(),
        file: world.files.get(o.file as usize).cloned().unwrap_or_default(),
        line,
    }
}

/// Source texts, kept by the loader for files whose trees recorded no lines
/// (see `tree_line`), to find the line of a field in a finding. A file is
/// never opened again (by its display name or otherwise): a file without a
/// kept text gives its object's line.
pub(super) struct FileCache<'a> {
    pub(super) world: &'a World,
    pub(super) stdin: Option<Arc<String>>,
    /// Per file, built the first time a frame is cut from it: where every
    /// [`LINE_STEP`]th line starts, so that a frame is found by scanning at
    /// most that many lines rather than the file from its start (a run with
    /// many findings in one large file otherwise scans it once per finding).
    starts: Vec<OnceLock<Vec<usize>>>,
}

/// Lines between two recorded line starts (see `FileCache::starts`): the
/// index is a 64th of the lines, and a lookup scans at most 64 lines.
const LINE_STEP: usize = 64;

/// The byte offsets at which lines 1, 1 + LINE_STEP, 1 + 2 * LINE_STEP, ...
/// of `text` start (lines as `str::lines` counts them).
fn line_starts(text: &str) -> Vec<usize> {
    let mut out = vec![0];
    for (n, i) in memchr::memchr_iter(b'\n', text.as_bytes()).enumerate() {
        if (n + 1) % LINE_STEP == 0 {
            out.push(i + 1);
        }
    }
    out
}

/// The lines `line - 1` to `line + 1` of `text` (1-based, as `str::lines`
/// counts them), each trimmed at the end and cut to `FRAME_WIDTH`
/// characters; `starts` (from [`line_starts`]) saves scanning from the
/// start of the text.
fn cut_frame(text: &str, starts: Option<&[usize]>, line: u32) -> Vec<(u32, String)> {
    if line == 0 {
        return Vec::new();
    }
    let first = line.saturating_sub(1).max(1);
    // Start at the recorded line start at or before `first`.
    let (from, from_line) = match starts {
        Some(starts) if !starts.is_empty() => {
            let k = ((first as usize - 1) / LINE_STEP).min(starts.len() - 1);
            (starts[k], k * LINE_STEP + 1)
        }
        _ => (0, 1),
    };
    cut_frame_from(text, from, from_line, line)
}

/// As [`cut_frame`], scanning from byte `from`, the start of line
/// `from_line` (at or before the frame's first line).
fn cut_frame_from(text: &str, from: usize, from_line: usize, line: u32) -> Vec<(u32, String)> {
    const FRAME_WIDTH: usize = 160;
    let first = line.saturating_sub(1).max(1);
    let Some(rest) = text.get(from..) else { return Vec::new() };
    rest.lines()
        .enumerate()
        .skip(first as usize - from_line)
        .take((line - first + 2) as usize)
        .map(|(i, l)| {
            let l = l.trim_end();
            let cut: String = l.chars().take(FRAME_WIDTH).collect();
            let cut = if cut.len() < l.len() { format!("{cut}…") } else { cut };
            ((i + from_line) as u32, cut)
        })
        .collect()
}

impl<'a> FileCache<'a> {
    pub(super) fn new(world: &'a World, stdin: Option<&'a str>) -> FileCache<'a> {
        let starts = world.files.iter().map(|_| OnceLock::new()).collect();
        FileCache { world, stdin: stdin.map(|s| Arc::new(s.to_string())), starts }
    }

    pub(super) fn text(&self, file: u32) -> Option<Arc<String>> {
        if let Some(Some(text)) = self.world.texts.get(file as usize) {
            return Some(text.clone());
        }
        let name = self.world.files.get(file as usize)?;
        if name == crate::load::STDIN { self.stdin.clone() } else { None }
    }

    /// The lines around `line` of a file whose text is in memory: the line
    /// before, the line, the line after (each cut to `FRAME_WIDTH`
    /// characters); nothing when the text was not kept.
    pub(super) fn frame(&self, file: u32, line: u32) -> Vec<(u32, String)> {
        let Some(text) = self.text(file) else { return Vec::new() };
        if line == 0 {
            return Vec::new();
        }
        let starts = self.starts.get(file as usize).map(|cell| cell.get_or_init(|| line_starts(&text)));
        cut_frame(&text, starts.map(Vec::as_slice), line)
    }

    /// [`FileCache::frame`] for a line of object `o`: when the frame starts
    /// at most [`LINE_STEP`] lines below the object's own first line, it is
    /// cut scanning from there (no index of the whole file is built for
    /// the findings of a file's objects, most of which sit near their
    /// object's start); otherwise from the file's line index.
    pub(super) fn frame_of(&self, o: &Object, line: u32) -> Vec<(u32, String)> {
        if line == 0 {
            return Vec::new();
        }
        let first = line.saturating_sub(1).max(1);
        let near = o.line >= 1 && first >= o.line && (first - o.line) as usize <= LINE_STEP;
        if near
            && let Some(text) = self.text(o.file)
            && let Some(before) = text.get(..o.doc_offset as usize)
        {
            // The object's first line starts after the last newline before it.
            let from = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
            return cut_frame_from(&text, from, o.line as usize, line);
        }
        self.frame(o.file, line)
    }

    pub(super) fn field_line(&self, o: &Object, path: &[PathSeg]) -> Option<u32> {
        let segs = concrete_path(o, path)?;
        self.concrete_line(o, &segs)
    }

    pub(super) fn concrete_line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> Option<u32> {
        if segs.is_empty() {
            return None;
        }
        let line = match tree_line(o.value(), segs) {
            Some(line) => line,
            None => {
                let text = self.text(o.file)?;
                crate::load::locate::field_line_at(&text, o.doc_offset as usize, o.line, segs)?
            }
        };
        Some(self.key_line(o, segs, line).unwrap_or(line))
    }

    /// The line of the key whose block value (a map or list on the lines
    /// below it) starts on `line`: a finding on a field points at the
    /// field's key, where the parsers record where its value starts
    /// (`affinityy:` on line 13, its `nodeAffinity:` on 14). `None` when
    /// the path does not end in such a key, or the key is not found on the
    /// lines above the value past blank and comment lines.
    fn key_line(&self, o: &Object, segs: &[crate::load::PathSeg], line: u32) -> Option<u32> {
        let Some(crate::load::PathSeg::Key(key)) = segs.last() else { return None };
        let mut node = o.value();
        for seg in segs {
            node = match seg {
                crate::load::PathSeg::Key(k) => node.get(k)?,
                crate::load::PathSeg::Index(i) => node.at(*i)?,
            };
        }
        if !(node.is_map() || node.is_seq()) || node.is_empty() || line <= o.line {
            return None;
        }
        let text = self.text(o.file)?;
        let starts = self.starts.get(o.file as usize)?.get_or_init(|| line_starts(&text));
        key_line_above(&text, line_start(&text, starts, line)?, line, key)
    }
}

/// The line above `line` (1-based, starting at byte `start`) that holds
/// `key:` (plain or quoted, maybe after a list's `- `), looking past blank
/// and comment lines only: the key a block value on `line` belongs to.
fn key_line_above(text: &str, start: usize, line: u32, key: &str) -> Option<u32> {
    let written = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    let mut end = start;
    let mut n = line;
    while n > 1 && end > 0 {
        // The line before: from after the newline before `end - 1`.
        let from = text.get(..end - 1)?.rfind('\n').map_or(0, |i| i + 1);
        n -= 1;
        let l = text.get(from..end - 1).unwrap_or("").trim();
        end = from;
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("- ").map_or(l, str::trim_start);
        let holds =
            written.iter().any(|w| l.strip_prefix(w.as_str()).is_some_and(|rest| rest.trim_start().starts_with(':')));
        return holds.then_some(n);
    }
    None
}

/// The byte offset where line `line` (1-based) starts, from the file's
/// sparse line index (`FileCache::starts`).
fn line_start(text: &str, starts: &[usize], line: u32) -> Option<usize> {
    let k = ((line.checked_sub(1)? as usize) / LINE_STEP).min(starts.len().checked_sub(1)?);
    let mut at = starts[k];
    for _ in k * LINE_STEP + 1..line as usize {
        at += memchr::memchr(b'\n', text.as_bytes().get(at..)?)? + 1;
    }
    Some(at)
}

/// The line of the deepest node along `segs` from `root`, from the lines
/// the tree recorded while loading; `None` where one is not known (a tree
/// the general YAML parser or the JSON parser built, an empty value), and
/// the file is parsed again instead.
pub(super) fn tree_line(root: NodeRef, segs: &[crate::load::PathSeg]) -> Option<u32> {
    use crate::load::PathSeg as L;
    let mut node = root;
    for seg in segs {
        let next = match seg {
            L::Key(k) => node.get(k),
            L::Index(i) => node.at(*i),
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node.line()
}

/// The path from `root` to the node `target` (found by identity: elements
/// of nested collections are nodes of their object's tree).
pub(super) fn path_to(root: NodeRef, target: NodeRef) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    if root == target {
        return Some(Vec::new());
    }
    // Depth first, in key (or element) order; only the keys on the path
    // found are copied.
    let (seg, mut rest) = if root.is_map() {
        root.entries().find_map(|(k, v)| path_to(v, target).map(|rest| (L::Key(k.to_string()), rest)))
    } else {
        root.iter().enumerate().find_map(|(i, v)| path_to(v, target).map(|rest| (L::Index(i), rest)))
    }?;
    rest.insert(0, seg);
    Some(rest)
}

/// An interned path as concrete keys in the object's source, as far as it
/// can be followed (the pod spec is expanded per kind).
pub(super) fn concrete_path(o: &Object, path: &[PathSeg]) -> Option<Vec<crate::load::PathSeg>> {
    use crate::load::PathSeg as L;
    let mut out = Vec::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => out.push(L::Key(k.clone())),
            PathSeg::Index(i) if *i >= 0 => out.push(L::Index(*i as usize)),
            PathSeg::PodSpec => out.extend(pod_spec_path(&o.kind)?.iter().map(|k| L::Key(k.to_string()))),
            _ => break,
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "locations_tests.rs"]
mod tests;
