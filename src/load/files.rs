//! Finding and reading manifest files: which names are candidates, walking
//! folders in sorted order (symlinks only on request, with loop detection),
//! and reading a file under a size limit as UTF-8 text. Every failure is a
//! `RunError` naming the file; nothing here stops the other files.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::report::RunError;

/// A file to load: where it is and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRef {
    pub display: String,
    pub path: PathBuf,
}

impl FileRef {
    pub fn is_json(&self) -> bool {
        self.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
    }
}

pub fn error(code: &str, file: &str, message: String) -> RunError {
    RunError { code: code.into(), file: file.into(), line: 0, column: 0, message }
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

/// A display path for a path given by the user: as given, `/`-separated.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
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
) -> (Vec<(String, PathBuf)>, Vec<FileRef>) {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let read = match fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            errors.push(error("parity::load::io", shown, format!("cannot read folder: {e}")));
            return (dirs, files);
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in read {
        match entry {
            Ok(e) => names.push((e.file_name().to_string_lossy().into_owned(), e.path())),
            Err(e) => errors.push(error("parity::load::io", shown, format!("cannot read folder: {e}"))),
        }
    }
    names.retain(|(n, _)| !is_hidden(n));
    names.sort();
    for (name, path) in names {
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            // Listed a moment ago, gone now: say so rather than skip it.
            Err(e) => {
                errors.push(error("parity::load::io", &join(shown, &name), format!("cannot read file: {e}")));
                continue;
            }
        };
        let meta = if meta.file_type().is_symlink() {
            if !follow {
                continue;
            }
            match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let shown = join(shown, &name);
                    errors.push(error("parity::load::io", &shown, format!("broken link: {e}")));
                    continue;
                }
            }
        } else {
            meta
        };
        if meta.is_dir() {
            dirs.push((name, path));
        } else if meta.is_file() && is_candidate(&name) {
            files.push(FileRef { display: join(shown, &name), path });
        }
    }
    (dirs, files)
}

/// Every candidate file under `dir`, in sorted order.
pub fn walk(dir: &Path, shown: &str, follow: bool, errors: &mut Vec<RunError>) -> Vec<FileRef> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    walk_into(dir, shown, follow, &mut visited, &mut out, errors);
    out
}

fn walk_into(
    dir: &Path,
    shown: &str,
    follow: bool,
    visited: &mut HashSet<PathBuf>,
    out: &mut Vec<FileRef>,
    errors: &mut Vec<RunError>,
) {
    if follow {
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !visited.insert(canonical.clone()) {
            errors.push(error(
                "parity::load::symlink-loop",
                shown,
                format!("symbolic link loop: leads back to `{}`", canonical.display()),
            ));
            return;
        }
    }
    let (dirs, files) = entries(dir, shown, follow, errors);
    out.extend(files);
    for (name, path) in dirs {
        walk_into(&path, &join(shown, &name), follow, visited, out, errors);
    }
    if follow {
        // Only ancestors count: the same folder reached twice by different
        // links is not a loop.
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        visited.remove(&canonical);
    }
}

/// Reads a file as UTF-8 text, refusing files over `max_bytes`, binary
/// files (NUL bytes) and invalid UTF-8.
pub fn read_text(path: &Path, shown: &str, max_bytes: u64) -> Result<String, RunError> {
    let io = |e: std::io::Error| error("parity::load::io", shown, format!("cannot read file: {e}"));
    let too_big = || {
        let message = format!("file is larger than the limit of {max_bytes} bytes (change it with --max-file-size)");
        error("parity::load::too-large", shown, message)
    };
    // Checked before opening: opening a FIFO blocks until a writer comes,
    // and a device may never end.
    if !fs::metadata(path).map_err(io)?.is_file() {
        return Err(error("parity::load::io", shown, "not a regular file".into()));
    }
    let file = fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > max_bytes {
        return Err(too_big());
    }
    // Sized from the metadata (`take` hides the file's own size hint): the
    // buffer is not grown and copied several times over.
    let mut bytes = Vec::with_capacity(len.saturating_add(1) as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big());
    }
    text_from_bytes(bytes, shown)
}

/// Checks that bytes are UTF-8 text.
pub fn text_from_bytes(bytes: Vec<u8>, shown: &str) -> Result<String, RunError> {
    let not_text = || error("parity::load::encoding", shown, "file is not UTF-8 text".into());
    if bytes.contains(&0) {
        return Err(not_text());
    }
    String::from_utf8(bytes).map_err(|_| not_text())
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
