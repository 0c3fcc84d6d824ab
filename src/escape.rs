//! The one escaping of user content for text read by people and by log
//! scanners: the human report, `--format github`, and errors and notices on
//! stderr.
//!
//! Object names, label values, file names and messages quoting them come
//! from manifests, rule files, parity.toml or an API server. Printed raw, a
//! newline inside one starts a new line of output (where GitHub's runner
//! executes `::error`, `::add-mask::`, `::stop-commands::` at the start of a
//! line, after leading spaces), ESC starts a terminal or OSC sequence, and a
//! bidi override reorders what the reader sees. So every such character is
//! written as visible text instead:
//!
//! - `\n`, `\r`, `\t` for line feed, carriage return and tab;
//! - `\u{XX}` for every other C0 control (U+0000–U+001F), DEL (U+007F) and
//!   every C1 control (U+0080–U+009F), ESC included (`\u{1b}`);
//! - `\u{XXXX}` for the bidi embeddings and overrides U+202A–U+202E, the
//!   bidi isolates U+2066–U+2069, and the line and paragraph separators
//!   U+2028 and U+2029.
//!
//! Everything else, backslashes included, passes through. JSON, SARIF and
//! JUnit have escaping of their own and do not use this.

use std::borrow::Cow;

/// Whether `c` is written escaped.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `text` with every unsafe character (see the module documentation)
/// written as an escape; borrowed when there is none.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The stderr line for a run error: `error[CODE]: FILE: MESSAGE`, escaped.
pub fn error_line(e: &crate::report::RunError) -> String {
    format!("error[{}]: {}: {}", text(&e.code), text(&e.file), text(&e.message))
}

/// Escapes every unsafe character except line feeds, for text whose lines
/// are parity's own (rendered rule diagnostics) but whose content quotes
/// user input. ESC is escaped too, so call it on text rendered without
/// colour.
pub fn keep_lines(rendered: &str) -> String {
    rendered.split('\n').map(|l| text(l)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
#[path = "escape_tests.rs"]
mod tests;
