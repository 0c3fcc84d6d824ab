//! Finding and reading manifest files: which names are candidates, walking
//! folders in sorted order (symlinks only on request, with loop detection),
//! and reading a file under a size limit as UTF-8 text. Every failure is a
//! `RunError` naming the file; nothing here stops the other files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::LoadError;
use crate::report::{ErrorAt, Notice, RunError};

/// A file to load: where it is and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileRef {
    pub display: String,
    pub path: PathBuf,
}

impl FileRef {
    pub fn is_json(&self) -> bool {
        self.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
    }
}

/// Whether a file name is a manifest candidate: `.yaml`, `.yml`, `.json`,
/// not hidden. (`.parity` rule files never are.)
pub fn is_candidate(name: &str) -> bool {
    if name.starts_with('.') {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"].iter().any(|e| lower.ends_with(e))
}

pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// A display path for a path given by the user: as given, `/`-separated,
/// bytes that are not UTF-8 as `\xNN` (see [`name_text`]).
pub fn display(path: &Path) -> String {
    let s = name_text(path.as_os_str());
    // On Windows `\` separates folders; elsewhere it is part of a name.
    let s = if cfg!(windows) { s.replace('\\', "/") } else { s };
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

/// Joins a display path and a name.
pub fn join(display: &str, name: &str) -> String {
    if display.is_empty() || display == "." {
        name.to_string()
    } else if display.ends_with('/') {
        format!("{display}{name}")
    } else {
        format!("{display}/{name}")
    }
}

/// The non-hidden entries of a folder, sorted by name, split into folders and
/// candidate files. Symlinks are skipped unless `follow`.
pub fn entries(
    dir: &Path,
    shown: &str,
    follow: bool,
    errors: &mut Vec<RunError>,
    warnings: &mut Vec<Notice>,
) -> (Vec<(String, PathBuf)>, Vec<FileRef>) {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let read = match fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            errors.push(LoadError::Io(format!("cannot read folder: {e}")).at(shown));
            return (dirs, files);
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in read {
        match entry {
            Ok(e) => names.push((name_text(&e.file_name()), e.path())),
            Err(e) => errors.push(LoadError::Io(format!("cannot read folder: {e}")).at(shown)),
        }
    }
    names.retain(|(n, _)| !is_hidden(n));
    names.sort();
    for (name, path) in names {
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            // Listed a moment ago, gone now: say so rather than skip it.
            Err(e) => {
                errors.push(LoadError::Io(format!("cannot read file: {e}")).at(&join(shown, &name)));
                continue;
            }
        };
        let meta = if meta.file_type().is_symlink() {
            if !follow {
                warnings.extend(symlink_not_followed(&name, &path, &join(shown, &name)));
                continue;
            }
            match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let shown = join(shown, &name);
                    errors.push(LoadError::Io(format!("broken link: {e}")).at(&shown));
                    continue;
                }
            }
        } else {
            meta
        };
        if meta.is_dir() {
            dirs.push((name, path));
        } else {
            let display = join(shown, &name);
            files.extend(file_entry(&name, path, meta.is_file(), display, errors, warnings));
        }
    }
    (dirs, files)
}

/// The warning for a symbolic link that is not followed: not read, and
/// not in silence when it links to a folder or has a manifest name (a
/// committed link to a manifest, or a folder of them, is named).
fn symlink_not_followed(name: &str, path: &Path, display: &str) -> Option<Notice> {
    let to_folder = fs::metadata(path).is_ok_and(|m| m.is_dir());
    (to_folder || is_candidate(name)).then(|| Notice {
        code: "parity::load::symlink-not-followed".into(),
        file: display.to_string(),
        line: 0,
        message: "symbolic link not followed: not read (pass --follow-links to read it)".into(),
    })
}

/// A folder entry that is not a folder: a manifest to load when it is a
/// regular file with a candidate name; an error for a FIFO or device named
/// like one; a warning for a rule file; nothing otherwise.
fn file_entry(
    name: &str,
    path: PathBuf,
    regular: bool,
    display: String,
    errors: &mut Vec<RunError>,
    warnings: &mut Vec<Notice>,
) -> Option<FileRef> {
    if is_candidate(name) {
        if regular {
            return Some(FileRef { display, path });
        }
        // A FIFO or device named like a manifest (or a link to one):
        // never opened, and never passed over in silence.
        let message = "not a regular file (a FIFO, socket or device): not read".to_string();
        errors.push(LoadError::Io(message).at(&display));
    } else if name.ends_with(".parity") {
        // Content never decides what is a rule source: a rule file
        // inside a manifest tree is not loaded, and its manifests still are.
        warnings.push(Notice {
            code: "parity::load::rule-file-in-manifests".into(),
            file: display,
            line: 0,
            message: RULE_FILE_IN_MANIFESTS.into(),
        });
    }
    None
}

/// The warning for a `.parity` file met while walking a manifest folder.
pub const RULE_FILE_IN_MANIFESTS: &str = "rule file inside a manifest folder: not loaded as rules (the manifests \
     next to it are checked). Give rule files with `--rules PATH`, parity.toml `rules = [...]`, a folder named \
     `rules`, or a `.parity` file argument";

/// A file name as text: UTF-8 names as they are, any other byte as `\xNN`,
/// so that two different names never display the same.
pub fn name_text(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_bytes(name.as_bytes())
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// Bytes as text, invalid UTF-8 (and a backslash before `x`) escaped as `\xNN`.
pub fn escape_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len()).max(1);
                for b in &rest[..bad] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

/// Every candidate file under `dir`: a folder's files first, then its
/// sub-folders' in turn, each by name; hidden entries skipped; symbolic
/// links followed only when `follow` (then a link back to a folder being
/// walked is a `parity::load::symlink-loop` error, and the same folder
/// reached twice by different links is read twice).
pub fn walk(
    dir: &Path,
    shown: &str,
    follow: bool,
    errors: &mut Vec<RunError>,
    warnings: &mut Vec<Notice>,
) -> Vec<FileRef> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(follow)
        .sort_by(|a, b| {
            let key = |e: &walkdir::DirEntry| (e.file_type().is_dir(), name_text(e.file_name()));
            key(a).cmp(&key(b))
        })
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(&name_text(e.file_name())));
    for entry in walker {
        let e = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(walk_error(dir, shown, e));
                continue;
            }
        };
        if e.depth() == 0 || e.file_type().is_dir() {
            continue;
        }
        let name = name_text(e.file_name());
        let display = shown_path(dir, shown, e.path());
        if e.path_is_symlink() && !follow {
            warnings.extend(symlink_not_followed(&name, e.path(), &display));
            continue;
        }
        let regular = e.file_type().is_file();
        out.extend(file_entry(&name, e.into_path(), regular, display, errors, warnings));
    }
    out
}

/// How a path under the walked folder `dir` (shown as `shown`) is shown.
fn shown_path(dir: &Path, shown: &str, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components().fold(shown.to_string(), |acc, c| join(&acc, &name_text(c.as_os_str())))
}

/// A walk error as a run error naming the path: a symbolic link loop, a
/// broken link (when following), an entry gone since it was listed, or a
/// folder that cannot be read.
fn walk_error(dir: &Path, shown: &str, e: walkdir::Error) -> RunError {
    let path = e.path().unwrap_or(dir).to_path_buf();
    let at = shown_path(dir, shown, &path);
    if let Some(ancestor) = e.loop_ancestor() {
        let canonical = fs::canonicalize(ancestor).unwrap_or_else(|_| ancestor.to_path_buf());
        let message = format!("symbolic link loop: leads back to `{}`", canonical.display());
        return LoadError::SymlinkLoop(message).at(&at);
    }
    let io = e.into_io_error().unwrap_or_else(|| std::io::Error::other("cannot walk"));
    let link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    match fs::metadata(&path) {
        Err(_) if link => LoadError::Io(format!("broken link: {io}")).at(&at),
        Ok(m) if m.is_dir() => LoadError::Io(format!("cannot read folder: {io}")).at(&at),
        _ => LoadError::Io(format!("cannot read file: {io}")).at(&at),
    }
}

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// A FIFO, socket, device or folder: never read.
    NotRegular,
    /// Over the limit (the limit is the caller's).
    TooLarge,
}

/// The one bounded reader for every input file (manifests, rule files,
/// parity.toml, baselines): opened without blocking (a FIFO swapped in after
/// a check cannot stall the open), refused unless the opened file is a
/// regular file, and never read past `max_bytes`.
pub fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    // Checked on the open file itself, not on the path.
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > max_bytes {
        return Err(ReadError::TooLarge);
    }
    // Sized from the metadata (`take` hides the file's own size hint): the
    // buffer is not grown and copied several times over.
    let mut bytes = Vec::with_capacity(meta.len().saturating_add(1) as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Whether a path (links followed) is a FIFO or pipe: `<(cmd)` gives
/// `/dev/fd/N`, a link to a pipe.
pub fn is_pipe(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Reads a FIFO or pipe named explicitly as an env source (`--env
/// dev=<(helm template ...)`), with the same bounds as a file: opened without
/// blocking, refused unless the opened file is a FIFO (a link to `/dev/zero`
/// or any device stays refused), never read past `max_bytes`, and given up
/// after `timeout` without reaching the end. A FIFO no writer has opened
/// reads as empty.
pub fn read_pipe(path: &Path, max_bytes: u64, timeout: std::time::Duration) -> Result<Vec<u8>, ReadError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path).map_err(ReadError::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let meta = file.metadata().map_err(ReadError::Io)?;
        if !meta.file_type().is_fifo() {
            return Err(ReadError::NotRegular);
        }
    }
    let deadline = std::time::Instant::now() + timeout;
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(bytes),
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() as u64 > max_bytes {
                    return Err(ReadError::TooLarge);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() >= deadline {
                    return Err(ReadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("the pipe sent no end of input within {} s", timeout.as_secs()),
                    )));
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
}

/// Reads a stream (stdin) up to `max_bytes`; more is [`ReadError::TooLarge`].
pub fn read_stream(stream: impl Read, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    stream.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Reads a file as UTF-8 text with [`read_bytes`], refusing files over
/// `max_bytes`, non-regular files, binary files (NUL bytes) and invalid UTF-8.
pub fn read_text(path: &Path, shown: &str, max_bytes: u64) -> Result<String, RunError> {
    read_bytes(path, max_bytes).map_err(|e| read_error(e, shown, max_bytes)).and_then(|b| text_from_bytes(b, shown))
}

/// A failed read as the loader's run error.
pub fn read_error(e: ReadError, shown: &str, max_bytes: u64) -> RunError {
    match e {
        ReadError::Io(e) => LoadError::Io(format!("cannot read file: {e}")).at(shown),
        ReadError::NotRegular => LoadError::Io("not a regular file".into()).at(shown),
        ReadError::TooLarge => {
            let message =
                format!("file is larger than the limit of {max_bytes} bytes (change it with --max-file-size)");
            LoadError::TooLarge(message).at(shown)
        }
    }
}

/// A hash of a file's text, to know it again when it is read a second time
/// (for the lines of findings): the same in every run and on every machine.
pub fn text_hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7061_7269_7479).hash_one(text.as_bytes())
}

/// Reads a file again that was read as `len` bytes of text with hash
/// `hash` ([`text_hash`]), with the bounds of the first read; `None` when it
/// cannot be read or is not the same text any more.
pub fn read_again(path: &Path, len: u64, hash: u64) -> Option<String> {
    let bytes = read_bytes(path, len).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    (text.len() as u64 == len && text_hash(&text) == hash).then_some(text)
}

/// Checks that bytes are UTF-8 text.
pub fn text_from_bytes(bytes: Vec<u8>, shown: &str) -> Result<String, RunError> {
    let not_text = || LoadError::Encoding("file is not UTF-8 text".into()).at(shown);
    if memchr::memchr(0, &bytes).is_some() {
        return Err(not_text());
    }
    String::from_utf8(bytes).map_err(|_| not_text())
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
