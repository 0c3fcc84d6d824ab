//! Locations: an object's file and line, the line of a field, code frames:
//! found after the rules ran, in the files that have findings, read again
//! one at a time.

use std::sync::OnceLock;

use crate::world::SourceText;

use super::*;

/// An object's location, at its own line.
pub(super) fn location(world: &World, o: &Object) -> Location {
    Location {
        env: world.envs.get(o.env as usize).map(|e| e.name.clone()).unwrap_or_default(),
        api_version: o.api_version().to_string(),
        kind: o.kind.to_string(),
        namespace: o.namespace.as_deref().unwrap_or("").to_string(),
        name: o.name.to_string(),
        file: world.files.get(o.file as usize).cloned().unwrap_or_default(),
        line: o.line,
    }
}

/// The texts of the run's files, for the lines and code frames of findings.
///
/// In a rule run nothing is read while the rules evaluate: a finding whose
/// lines need its file's text gets a ticket ([`FileCache::defer`]), and
/// [`settle`] reads each file with findings once, after the rules, and sets
/// their lines and frames. For reports made outside a rule run (`parity
/// diff`), [`FileCache::reading`] reads a file the first time a line in it
/// is asked for.
pub(super) struct FileCache<'a> {
    pub(super) world: &'a World,
    /// Per file, texts read again for a report outside a rule run; `None` in
    /// a rule run.
    read: Option<Vec<OnceLock<Option<Lines>>>>,
    /// What each ticket still needs (index: ticket - 1).
    pending: std::sync::Mutex<Vec<Unsettled>>,
    /// Whether findings get code frames (only the human report shows
    /// them): without, a file is read again only for lines.
    frames: bool,
}

/// Lines between two recorded line starts (see [`line_starts`]): the index
/// is a 64th of the lines, and a lookup scans at most 64 lines.
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

/// Lines below an object's first line that are found by scanning from it;
/// a line further away is found from the text's sparse index.
const NEAR_LINES: u32 = 4 * LINE_STEP as u32;

/// One text, and where its lines start: found by scanning from a nearby
/// line whose start is known (an object's first line: the line of its
/// `doc_offset`), or from a sparse index of the whole text ([`line_starts`]),
/// built only when a line is far from such a point. Most findings are near
/// their object's start, so most files are never indexed whole.
pub(super) struct Lines {
    text: Arc<String>,
    index: OnceLock<Vec<usize>>,
}

impl Lines {
    /// A carriage return not followed by a line feed ends a line in YAML
    /// (old Mac line ends): it becomes a line feed here, byte for byte, so
    /// that lines and frames count as the parsers do and offsets still hold.
    pub(super) fn new(text: Arc<String>) -> Lines {
        let bytes = text.as_bytes();
        let lone_cr = memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'));
        let text = if lone_cr {
            let mut lines = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(i) = rest.find('\r') {
                lines.push_str(&rest[..i]);
                lines.push(if rest[i + 1..].starts_with('\n') { '\r' } else { '\n' });
                rest = &rest[i + 1..];
            }
            lines.push_str(rest);
            Arc::new(lines)
        } else {
            text
        };
        Lines { text, index: OnceLock::new() }
    }

    /// The byte offset where line `line` (1-based, as `str::lines` counts
    /// them) starts; `near` is a byte offset on line `n` (an object's
    /// `doc_offset` and line).
    fn start(&self, line: u32, near: Option<(usize, u32)>) -> Option<usize> {
        let bytes = self.text.as_bytes();
        if line == 0 {
            return None;
        }
        if let Some((offset, n)) = near
            && let Some(before) = bytes.get(..offset)
        {
            let mut at = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
            if line >= n && line - n <= NEAR_LINES {
                for _ in n..line {
                    at += memchr::memchr(b'\n', bytes.get(at..)?)? + 1;
                }
                return Some(at);
            }
            if line < n && n - line <= 2 {
                for _ in line..n {
                    at = memchr::memrchr(b'\n', bytes.get(..at.checked_sub(1)?)?).map_or(0, |i| i + 1);
                }
                return Some(at);
            }
        }
        let starts = self.index.get_or_init(|| line_starts(&self.text));
        line_start(&self.text, starts, line)
    }

    /// The lines `line - 1` to `line + 1` (see [`cut_lines`]); `near` as
    /// for [`Lines::start`].
    fn frame(&self, line: u32, near: Option<(usize, u32)>) -> Vec<(u32, String)> {
        let first = line.saturating_sub(1).max(1);
        match self.start(first, near) {
            Some(at) if line > 0 => cut_lines(&self.text, at, first, line),
            _ => Vec::new(),
        }
    }
}

/// The lines `line - 1` to `line + 1` of `text` (1-based, as `str::lines`
/// counts them), each trimmed at the end and cut to `FRAME_WIDTH`
/// characters, scanning from the text's start; for tests of [`Lines`].
#[cfg(test)]
fn cut_frame(text: &str, line: u32) -> Vec<(u32, String)> {
    if line == 0 {
        return Vec::new();
    }
    cut_lines(text, 0, 1, line).into_iter().filter(|(n, _)| *n + 1 >= line).collect()
}

/// From byte `from`, the start of line `first`, the lines up to `line + 1`
/// (the frame: `first` is `line - 1`, or 1), each trimmed at the end and cut
/// to `FRAME_WIDTH` characters.
fn cut_lines(text: &str, from: usize, first: u32, line: u32) -> Vec<(u32, String)> {
    const FRAME_WIDTH: usize = 160;
    let Some(mut rest) = text.get(from..) else { return Vec::new() };
    // A byte order mark is not part of the first line as written.
    if from == 0 {
        rest = rest.strip_prefix('\u{feff}').unwrap_or(rest);
    }
    rest.lines()
        .take((line + 2).saturating_sub(first) as usize)
        .enumerate()
        .map(|(i, l)| {
            let l = l.trim_end();
            let cut: String = l.chars().take(FRAME_WIDTH).collect();
            let cut = if cut.len() < l.len() { format!("{cut}…") } else { cut };
            (first + i as u32, cut)
        })
        .collect()
}

/// The line of a field of an object: what its tree recorded, and what is
/// left to find in the file's text.
#[derive(Debug, Clone)]
pub(super) struct LineAsk {
    file: u32,
    doc_offset: u32,
    /// The object's own line.
    object_line: u32,
    segs: Vec<crate::load::PathSeg>,
    /// The line the tree recorded for the deepest node along `segs`, if it
    /// recorded lines.
    tree: Option<u32>,
    /// The key the finding points at when its value starts on a later line
    /// (see [`key_line_above`]): the last key followed, when its value is a
    /// non-empty map or list (the whole path, or the part that exists: a
    /// missing field points at its parent's key) or, for the whole path, a
    /// string (a block scalar's text starts below its `key: |`).
    key: Option<(String, Below)>,
}

/// What may start below a key: a map or list, or a block scalar's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Below {
    Collection,
    BlockScalar,
}

impl LineAsk {
    /// `None` for an empty path (the object's own line).
    fn new(o: &Object, segs: &[crate::load::PathSeg]) -> Option<LineAsk> {
        use crate::load::PathSeg as L;
        if segs.is_empty() {
            return None;
        }
        let mut node = o.value();
        let mut followed = 0;
        for seg in segs {
            let next = match seg {
                L::Key(k) => node.get(k),
                L::Index(i) => node.at(*i),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
            followed += 1;
        }
        let below = if (node.is_map() || node.is_seq()) && !node.is_empty() {
            Some(Below::Collection)
        } else if followed == segs.len() && node.as_str().is_some() {
            Some(Below::BlockScalar)
        } else {
            None
        };
        let key = match (followed.checked_sub(1).map(|i| &segs[i]), below) {
            (Some(L::Key(k)), Some(below)) => Some((k.clone(), below)),
            _ => None,
        };
        Some(LineAsk {
            file: o.file,
            doc_offset: o.doc_offset,
            object_line: o.line,
            segs: segs.to_vec(),
            tree: node.line(),
            key,
        })
    }

    /// The line as far as it is known without the file's text.
    fn now(&self) -> u32 {
        self.tree.unwrap_or(self.object_line)
    }

    /// Whether the file's text may change the line.
    fn needs_text(&self) -> bool {
        self.tree.is_none_or(|line| self.key.is_some() && line > self.object_line)
    }

    /// The line, found in the file's text where the tree did not record
    /// it; `None` when the text has no such node.
    fn answer(&self, lines: &Lines) -> Option<u32> {
        let text = lines.text.as_str();
        let line = match self.tree {
            Some(line) => line,
            None => crate::load::locate::field_line_at(text, self.doc_offset as usize, self.object_line, &self.segs)?,
        };
        let Some((key, below)) = self.key.as_ref().filter(|_| line > self.object_line) else {
            return Some(line);
        };
        let above =
            lines.start(line, Some(self.near())).and_then(|start| key_line_above(text, start, line, key, *below));
        Some(above.unwrap_or(line))
    }

    /// The object's start: a byte offset on its first line, and that line.
    fn near(&self) -> (usize, u32) {
        (self.doc_offset as usize, self.object_line)
    }
}

/// What a finding's ticket still needs: the line of its field (`main`), the
/// lines of fields of related objects (by index in `related`), and the code
/// frame around its line in `file`.
#[derive(Debug)]
pub(super) struct Unsettled {
    file: u32,
    line: u32,
    /// The object's start (see [`LineAsk::near`]).
    near: (usize, u32),
    main: Option<LineAsk>,
    related: Vec<(usize, LineAsk)>,
}

impl<'a> FileCache<'a> {
    /// For a rule run: files are read after the rules, by [`settle`].
    pub(super) fn new(world: &'a World, frames: bool) -> FileCache<'a> {
        FileCache { world, read: None, pending: std::sync::Mutex::new(Vec::new()), frames }
    }

    /// For a report outside a rule run: a file is read (once) the first
    /// time a line in it is asked for.
    pub(super) fn reading(world: &'a World) -> FileCache<'a> {
        let read = Some(world.files.iter().map(|_| OnceLock::new()).collect());
        FileCache { read, ..FileCache::new(world, false) }
    }

    /// The text of a file read from memory (stdin, a named stream,
    /// rendered output), kept by the loader.
    fn in_memory(&self, file: u32) -> Option<Arc<String>> {
        match self.world.sources.get(file as usize)? {
            SourceText::Memory(text) => Some(text.clone()),
            _ => None,
        }
    }

    /// The text of a file: kept in memory, or read again from disk when it
    /// is still the text the loader read (its length and hash); `None`
    /// otherwise.
    pub(super) fn text_again(&self, file: u32) -> Option<Arc<String>> {
        if let Some(text) = self.in_memory(file) {
            return Some(text);
        }
        match self.world.sources.get(file as usize)? {
            SourceText::Disk { path, len, hash } => crate::load::files::read_again(path, *len, *hash).map(Arc::new),
            _ => None,
        }
    }

    /// Whether a finding's own file is read again after the rules: for its
    /// code frame, or for a line its tree did not record (`main`).
    fn reads_for_own(&self, main: bool) -> bool {
        self.frames || main
    }

    /// Whether a file has a text to read again (see [`FileCache::text_again`]).
    fn has_text(&self, file: u32) -> bool {
        matches!(self.world.sources.get(file as usize), Some(SourceText::Disk { .. })) || self.in_memory(file).is_some()
    }

    /// The line of the deepest node along `segs` in `o`, now: from the
    /// tree, or from the file's text (a report outside a rule run reads the
    /// file). `None` for an empty path or a node not found.
    pub(super) fn concrete_line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> Option<u32> {
        let ask = LineAsk::new(o, segs)?;
        if !ask.needs_text() {
            return ask.tree;
        }
        let cell = self.read.as_ref().and_then(|read| read.get(o.file as usize));
        match cell.and_then(|c| c.get_or_init(|| self.text_again(o.file).map(Lines::new)).as_ref()) {
            Some(lines) => ask.answer(lines),
            None => ask.tree,
        }
    }

    /// The line of `segs` in `o` as far as it is known now, and what is left
    /// to find in the file's text (for [`FileCache::defer`]).
    pub(super) fn line(&self, o: &Object, segs: &[crate::load::PathSeg]) -> (u32, Option<LineAsk>) {
        match LineAsk::new(o, segs) {
            Some(ask) if ask.needs_text() && self.has_text(o.file) => (ask.now(), Some(ask)),
            Some(ask) => (ask.now(), None),
            None => (o.line, None),
        }
    }

    /// A ticket for a finding on an object in `file` at `line`, which
    /// [`settle`] redeems after the rules ran: the lines still to find
    /// (`main`, and those of related objects by index) and the code frame.
    pub(super) fn defer(&self, o: &Object, line: u32, main: Option<LineAsk>, related: Vec<(usize, LineAsk)>) -> u32 {
        if !(self.has_text(o.file) && self.reads_for_own(main.is_some())) && related.is_empty() {
            return 0;
        }
        let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let near = (o.doc_offset as usize, o.line);
        pending.push(Unsettled { file: o.file, line, near, main, related });
        pending.len() as u32
    }
}

/// Redeems the tickets of `findings` (and of the waived ones): reads each
/// file they need once, in parallel, one file per thread at a time, and
/// sets their lines (fields' lines where the tree recorded none, keys of
/// block values) and code frames. A file on disk that is no longer the text
/// the loader read gives no frame and leaves the lines as the tree knew
/// them, with a warning.
pub(super) fn settle(files: &FileCache, findings: &mut [Finding], waived: &mut [Waived], warnings: &mut Vec<Notice>) {
    let pending = std::mem::take(&mut *files.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if pending.is_empty() {
        return;
    }
    // The tickets in use, and per file what to do there: a ticket's own
    // line and frame (`None`), or a related object's line (`Some(k)`).
    let mut used = vec![false; pending.len()];
    for f in findings.iter().chain(waived.iter().map(|w| &w.finding)) {
        if let Some(u) = (f.unsettled as usize).checked_sub(1).and_then(|t| used.get_mut(t)) {
            *u = true;
        }
    }
    let mut by_file: BTreeMap<u32, Vec<Part>> = BTreeMap::new();
    for (t, u) in pending.iter().enumerate().filter(|(t, _)| used[*t]) {
        if files.reads_for_own(u.main.is_some()) {
            by_file.entry(u.file).or_default().push(Part::Own(t));
        }
        for (k, (_, ask)) in u.related.iter().enumerate() {
            by_file.entry(ask.file).or_default().push(Part::Related(t, k));
        }
    }
    let by_file: Vec<(u32, Vec<Part>)> = by_file.into_iter().collect();
    // Per file: its text could be had, and the answers found in it.
    let answers: Vec<(u32, bool, Vec<Answer>)> = by_file
        .into_par_iter()
        .with_max_len(1)
        .map(|(file, parts)| {
            let Some(text) = files.text_again(file) else {
                return (file, false, Vec::new());
            };
            let lines = Lines::new(text);
            let answers = parts
                .into_iter()
                .map(|part| match part {
                    Part::Own(t) => {
                        let u = &pending[t];
                        let line = u.main.as_ref().and_then(|a| a.answer(&lines)).unwrap_or(u.line);
                        let frame = if files.frames { lines.frame(line, Some(u.near)) } else { Vec::new() };
                        Answer { part, line, frame }
                    }
                    Part::Related(t, k) => {
                        let ask = &pending[t].related[k].1;
                        Answer { part, line: ask.answer(&lines).unwrap_or(ask.now()), frame: Vec::new() }
                    }
                })
                .collect();
            (file, true, answers)
        })
        .collect();
    // Per ticket: its line, frame and related objects' lines.
    let mut settled: Vec<Settled> =
        pending.iter().map(|u| Settled { line: u.line, frame: Vec::new(), related: Vec::new() }).collect();
    for (file, read, answers) in answers {
        if !read && files.has_text(file) {
            let shown = files.world.files.get(file as usize).cloned().unwrap_or_default();
            warnings.push(Notice {
                code: FILE_CHANGED.into(),
                file: shown,
                line: 0,
                message: "the file changed or went away while parity ran: its findings keep their verdicts but \
                          show the lines parity recorded while loading, without the source lines"
                    .into(),
            });
        }
        for a in answers {
            match a.part {
                Part::Own(t) => (settled[t].line, settled[t].frame) = (a.line, a.frame),
                Part::Related(t, k) => settled[t].related.push((pending[t].related[k].0, a.line)),
            }
        }
    }
    for f in findings.iter_mut().chain(waived.iter_mut().map(|w| &mut w.finding)) {
        let Some(s) = (f.unsettled as usize).checked_sub(1).and_then(|t| settled.get(t)) else { continue };
        f.unsettled = 0;
        f.line = s.line;
        f.frame = s.frame.clone();
        for &(k, line) in &s.related {
            if let Some(r) = f.related.get_mut(k) {
                r.line = line;
            }
        }
    }
}

/// What [`settle`] does in one file: a ticket's own line and frame, or the
/// line of its `k`th related object.
#[derive(Clone, Copy)]
enum Part {
    Own(usize),
    Related(usize, usize),
}

/// A line found by [`settle`], with the frame around it for [`Part::Own`].
struct Answer {
    part: Part,
    line: u32,
    frame: Vec<(u32, String)>,
}

/// A ticket redeemed: its finding's line and frame, and the lines of its
/// related objects (by index in `related`).
struct Settled {
    line: u32,
    frame: Vec<(u32, String)>,
    related: Vec<(usize, u32)>,
}

/// The warning for a file that changed while parity ran.
pub const FILE_CHANGED: &str = "parity::load::changed";

/// The line above `line` (1-based, starting at byte `start`) that holds
/// `key:` (plain or quoted, maybe after a list's `- `), looking past blank
/// and comment lines only: the key a block value on `line` belongs to. For
/// a block scalar, the key's value must be a block indicator (`|`, `>-`):
/// the text of any other string starts on its key's line.
fn key_line_above(text: &str, start: usize, line: u32, key: &str, below: Below) -> Option<u32> {
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
        let value = written.iter().find_map(|w| l.strip_prefix(w.as_str())?.trim_start().strip_prefix(':'));
        let holds = match (value, below) {
            (Some(_), Below::Collection) => true,
            // `key: |`, `key: >-`, after an anchor or tag (`key: &a |`).
            (Some(value), Below::BlockScalar) => {
                value.split_whitespace().find(|t| !t.starts_with(['&', '!'])).is_some_and(|t| t.starts_with(['|', '>']))
            }
            (None, _) => false,
        };
        return holds.then_some(n);
    }
    None
}

/// The byte offset where line `line` (1-based) starts, from the text's
/// sparse line index ([`line_starts`]).
fn line_start(text: &str, starts: &[usize], line: u32) -> Option<usize> {
    let k = ((line.checked_sub(1)? as usize) / LINE_STEP).min(starts.len().checked_sub(1)?);
    let mut at = starts[k];
    for _ in k * LINE_STEP + 1..line as usize {
        at += memchr::memchr(b'\n', text.as_bytes().get(at..)?)? + 1;
    }
    Some(at)
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
