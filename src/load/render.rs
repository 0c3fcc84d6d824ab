//! Rendered env sources: `render = ["kubectl", "kustomize", "overlays/prod"]`
//! in an `[[env]]` of parity.toml. The command runs without a shell, from
//! the configuration's folder, with stdin closed, a timeout and a bound on
//! its output; the renders of several envs run in parallel. Its standard
//! output is the env's manifests, loaded as the in-memory file
//! `<render ENV>`. A command that cannot start, fails, times out or prints
//! too much is a run error showing (escaped, bounded) standard error.
//!
//! Where the renderer records where a document came from, the document's
//! source file is known ([`origins`]): Helm's `# Source: chart/templates/x.yaml`
//! comments and kustomize's `config.kubernetes.io/origin` annotation (with
//! `buildMetadata: [originAnnotations]` in the kustomization).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::LoadError;
use crate::report::{ErrorAt, RunError};

/// The default time a render command may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// At most this much of a failed command's standard error is shown.
pub const MAX_STDERR_BYTES: u64 = 4096;

/// One env's render command.
#[derive(Debug, Clone)]
pub struct Spec {
    pub env: String,
    pub argv: Vec<String>,
    /// The folder it runs in (the configuration's).
    pub dir: PathBuf,
}

/// The display name of an env's rendered output.
pub fn display(env: &str) -> String {
    format!("<render {env}>")
}

/// Runs every render command in parallel; results in the order of `specs`.
pub fn render_all(
    specs: &[Spec],
    config_shown: &str,
    timeout: Duration,
    max_bytes: u64,
) -> Vec<Result<String, RunError>> {
    std::thread::scope(|s| {
        let handles: Vec<_> =
            specs.iter().map(|spec| s.spawn(move || render(spec, config_shown, timeout, max_bytes))).collect();
        handles
            .into_iter()
            .zip(specs)
            .map(|(h, spec)| {
                h.join().unwrap_or_else(|_| Err(failure(spec, config_shown, "the render thread panicked".into(), "")))
            })
            .collect()
    })
}

/// The command as shown in messages: its words, escaped, joined by spaces.
fn shown(argv: &[String]) -> String {
    argv.iter().map(|a| crate::escape::text(a).into_owned()).collect::<Vec<_>>().join(" ")
}

fn failure(spec: &Spec, config_shown: &str, what: String, stderr: &str) -> RunError {
    let mut message = format!("render of env `{}` (`{}`) {what}", spec.env, shown(&spec.argv));
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        message.push_str(&format!("; stderr: {}", crate::escape::text(stderr)));
    }
    LoadError::Render(message).at(config_shown)
}

/// Runs one command and returns its standard output as text.
pub fn render(spec: &Spec, config_shown: &str, timeout: Duration, max_bytes: u64) -> Result<String, RunError> {
    let Some((program, args)) = spec.argv.split_first() else {
        return Err(failure(spec, config_shown, "has no command".into(), ""));
    };
    let dir = if spec.dir.as_os_str().is_empty() { Path::new(".") } else { &spec.dir };
    // A program named by a relative path (`./render.sh`) is relative to the
    // configuration's folder, as the command's other paths are; a bare name
    // (`kubectl`) is looked up on PATH.
    let program = if program.contains('/') && Path::new(program).is_relative() {
        dir.join(program).into_os_string()
    } else {
        program.into()
    };
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failure(spec, config_shown, format!("could not start: {e}"), ""))?;
    // The pipes are drained on their own threads (a full stderr pipe must
    // not stall the command), each bounded; their results come back over
    // channels so a grandchild that keeps a pipe open cannot hang the run.
    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            let _ = out_tx.send(super::files::read_stream(out, max_bytes));
        });
    }
    if let Some(err) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut err = err;
            let _ = (&mut err).take(MAX_STDERR_BYTES).read_to_end(&mut kept);
            // Drain the rest unread, so the command never blocks on it.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            let _ = err_tx.send(String::from_utf8_lossy(&kept).into_owned());
        });
    }
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    // Standard output first: it ends when the command closes it (exits).
    let stdout = match out_rx.recv_timeout(left()) {
        Ok(r) => r,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failure(spec, config_shown, format!("did not finish within {} s", timeout.as_secs()), ""));
        }
    };
    let stdout = match stdout {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            let what = match e {
                super::files::ReadError::TooLarge => {
                    format!("printed more than the limit of {max_bytes} bytes (change it with --max-file-size)")
                }
                super::files::ReadError::Io(e) => format!("output could not be read: {e}"),
                super::files::ReadError::NotRegular => "output could not be read".into(),
            };
            return Err(failure(spec, config_shown, what, ""));
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if left().is_zero() => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failure(spec, config_shown, format!("did not finish within {} s", timeout.as_secs()), ""));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(failure(spec, config_shown, format!("could not be waited for: {e}"), "")),
        }
    };
    let stderr = err_rx.recv_timeout(left().max(Duration::from_millis(100))).unwrap_or_default();
    if !status.success() {
        let what = match status.code() {
            Some(c) => format!("failed with exit status {c}"),
            None => "was killed by a signal".into(),
        };
        return Err(failure(spec, config_shown, what, &stderr));
    }
    super::files::text_from_bytes(stdout, &display(&spec.env)).map_err(|e| RunError {
        message: format!("render of env `{}` printed {}", spec.env, e.message.trim_start_matches("file is ")),
        ..e
    })
}

/// The source file of each document of a rendered text, as (first line of
/// the document, source path): Helm's `# Source: PATH` comment, or
/// kustomize's `config.kubernetes.io/origin` annotation (`path: PATH`).
/// Documents without either have an empty path.
pub fn origins(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut doc_start = 1u32;
    let mut found: Option<String> = None;
    let mut in_origin = false;
    // Every document is recorded (an empty path when it names none), so a
    // document without a source never borrows the previous one's.
    let mut flush = |start: u32, found: &mut Option<String>| out.push((start, found.take().unwrap_or_default()));
    for (i, line) in text.lines().enumerate() {
        let n = i as u32 + 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            flush(doc_start, &mut found);
            doc_start = n + 1;
            in_origin = false;
            continue;
        }
        if found.is_none()
            && let Some(rest) = trimmed.trim_start().strip_prefix("# Source:")
        {
            found = Some(rest.trim().to_string());
            continue;
        }
        let t = trimmed.trim_start();
        if let Some(rest) = t.strip_prefix("config.kubernetes.io/origin:") {
            // `|` block (`path: ...` on the next lines) or an inline value.
            let rest = rest.trim();
            if let Some(p) = rest.split("path:").nth(1) {
                found.get_or_insert_with(|| clean_path(p));
            } else {
                in_origin = true;
            }
            continue;
        }
        if in_origin {
            if let Some(p) = t.strip_prefix("path:") {
                found.get_or_insert_with(|| clean_path(p));
                in_origin = false;
            } else if !t.is_empty() && !line.starts_with(' ') {
                in_origin = false;
            }
        }
    }
    flush(doc_start, &mut found);
    out
}

fn clean_path(p: &str) -> String {
    let p = p.trim();
    let p = p.split(['\n', '\\']).next().unwrap_or(p);
    p.trim_matches(|c| c == '"' || c == '\'' || c == ' ').to_string()
}

/// The source file of the document that holds `line` (1-based), if known.
pub fn origin_at(origins: &[(u32, String)], line: u32) -> Option<&str> {
    origins.iter().rev().find(|(start, _)| *start <= line).map(|(_, p)| p.as_str()).filter(|p| !p.is_empty())
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
