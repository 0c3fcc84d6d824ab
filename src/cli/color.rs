//! Whether parity colours what it prints: `--color auto|always|never`.
//!
//! The choice is made once per process (`run` sets it from the global flag)
//! and read by every subcommand through [`stdout`] and [`stderr`]; the
//! renderers below `cli` only get a yes/no. `auto` is a terminal with
//! `NO_COLOR` unset or empty, or else `CLICOLOR_FORCE` set (not empty, not
//! `0`). `NO_COLOR` wins over `CLICOLOR_FORCE`; the flag wins over both.
//! Text goes out through an `anstream` writer with the same decision, so
//! with colour off no ESC byte in the output is parity's own.

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};

use clap::ValueEnum;

/// When to colour the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set; also when `CLICOLOR_FORCE` is.
    #[default]
    Auto,
    /// Always, even when the output is a file or a pipe.
    Always,
    /// Never.
    Never,
}

static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Records the process's choice (called once, before any output).
pub fn set(when: ColorWhen) {
    let v = match when {
        ColorWhen::Auto => 0,
        ColorWhen::Always => 1,
        ColorWhen::Never => 2,
    };
    CHOICE.store(v, Ordering::Relaxed);
}

fn get() -> ColorWhen {
    match CHOICE.load(Ordering::Relaxed) {
        1 => ColorWhen::Always,
        2 => ColorWhen::Never,
        _ => ColorWhen::Auto,
    }
}

/// The `auto` rule for one stream, from its terminal-ness and the values
/// of `NO_COLOR` and `CLICOLOR_FORCE`.
pub fn auto(is_tty: bool, no_color: Option<&OsStr>, clicolor_force: Option<&OsStr>) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    is_tty || clicolor_force.is_some_and(|v| !v.is_empty() && v != "0")
}

fn decide(is_tty: bool) -> bool {
    match get() {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            auto(is_tty, std::env::var_os("NO_COLOR").as_deref(), std::env::var_os("CLICOLOR_FORCE").as_deref())
        }
    }
}

/// Whether to colour standard output.
pub fn stdout() -> bool {
    decide(std::io::stdout().is_terminal())
}

/// Whether to colour standard error (diagnostics).
pub fn stderr() -> bool {
    decide(std::io::stderr().is_terminal())
}

/// Writes `text` to standard output through a writer that strips ANSI
/// styling unless `color`, then flushes.
pub fn write_stdout(text: &str, color: bool) -> std::io::Result<()> {
    let choice = if color { anstream::ColorChoice::Always } else { anstream::ColorChoice::Never };
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` to standard error the same way (errors ignored: there is
/// nowhere left to report them).
pub fn write_stderr(text: &str, color: bool) {
    let choice = if color { anstream::ColorChoice::Always } else { anstream::ColorChoice::Never };
    let mut out = anstream::AutoStream::new(std::io::stderr().lock(), choice);
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints compile diagnostics to standard error: miette's colour theme
/// when standard error is coloured; otherwise plain, with every control
/// character and bidi override the rule text brought in escaped (the
/// report's own line breaks kept).
pub fn eprint_diagnostics(sources: &crate::diag::Sources, diags: &[crate::diag::Diag]) {
    if diags.is_empty() {
        return;
    }
    let color = stderr();
    let rendered = sources.render(diags, color);
    let rendered = if color { rendered } else { crate::escape::keep_lines(&rendered) };
    write_stderr(&rendered, color);
}

/// The `--color` value on a command line, read before clap parses it so
/// clap's own help and errors follow it: the last `--color WHEN` or
/// `--color=WHEN` before `--` (`--no-color` counts as `never`); `auto` when
/// there is none or it is not a valid value (clap then reports it).
pub fn prescan<I, S>(args: I) -> ColorWhen
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut when = ColorWhen::Auto;
    let mut take_next = false;
    for a in args {
        let Some(a) = a.as_ref().to_str() else {
            take_next = false;
            continue;
        };
        if take_next {
            when = ColorWhen::from_str(a, false).unwrap_or(when);
            take_next = false;
        } else if a == "--" {
            break;
        } else if a == "--color" {
            take_next = true;
        } else if let Some(v) = a.strip_prefix("--color=") {
            when = ColorWhen::from_str(v, false).unwrap_or(when);
        } else if a == "--no-color" {
            when = ColorWhen::Never;
        }
    }
    when
}

/// clap's colour setting for its own help and errors.
pub fn clap_choice(when: ColorWhen) -> clap::ColorChoice {
    match when {
        ColorWhen::Auto => clap::ColorChoice::Auto,
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
    }
}

#[cfg(test)]
#[path = "color_tests.rs"]
mod tests;
