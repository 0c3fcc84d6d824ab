//! Values of differences as text.

use anstyle::{AnsiColor, Style};

pub use crate::diff::{cut_value, short};

use super::matrix::{Cell, Matrix};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();

/// Longest value shown in a column of the human report, in characters.
const COLUMN: usize = 40;

fn cut(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// The human report: each object that differs, with a side-by-side table
/// of its differing fields (one column per env: the value, `=` where it
/// equals the baseline's, `absent`, or `(missing)` where the env lacks the
/// object), then where each env's object is. Every manifest text is
/// escaped; colour only when `color`.
pub fn human(m: &Matrix, color: bool) -> String {
    use std::fmt::Write;
    let paint = |style: Style, s: &str| if color { format!("{style}{s}{style:#}") } else { s.to_string() };
    let esc = |s: &str| crate::escape::text(s).into_owned();
    let mut out = String::new();
    for row in m.rows.iter().filter(|r| r.differs()) {
        let _ = writeln!(out, "{}  (compared with {})", paint(BOLD, &esc(&row.label())), esc(&row.baseline));
        // Every path that differs in some env, in first-seen order.
        let paths = row.differing_paths();
        let base_col = m.envs.iter().position(|e| *e == row.baseline);
        let mut table: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["field".to_string()];
        header.extend(m.envs.iter().map(|e| esc(e)));
        table.push(header);
        if row.cells.iter().any(|c| matches!(c, Cell::Missing)) {
            let mut line = vec!["(object)".to_string()];
            line.extend(
                row.cells.iter().map(|c| if matches!(c, Cell::Missing) { "(missing)" } else { "present" }.into()),
            );
            table.push(line);
        }
        for p in &paths {
            let mut line = vec![esc(p)];
            for (col, c) in row.cells.iter().enumerate() {
                let v = match c {
                    Cell::Missing => "(missing)".to_string(),
                    Cell::Differs { diffs, .. } => match diffs.iter().find(|d| d.path == *p) {
                        Some(d) => cut(esc(&short(Some(&d.value).filter(|v| !v.is_null()))), COLUMN),
                        None => "=".into(),
                    },
                    Cell::Baseline { .. } if Some(col) == base_col => {
                        // The baseline's own value, from any env that differs.
                        let v = row.cells.iter().find_map(|c| match c {
                            Cell::Differs { diffs, .. } => {
                                diffs.iter().find(|d| d.path == *p).map(|d| &d.baseline_value)
                            }
                            _ => None,
                        });
                        cut(esc(&short(v.filter(|v| !v.is_null()))), COLUMN)
                    }
                    _ => "=".into(),
                };
                line.push(v);
            }
            table.push(line);
        }
        let widths: Vec<usize> =
            (0..table[0].len()).map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
        for (n, line) in table.iter().enumerate() {
            let mut text = String::from("  ");
            for (i, cell) in line.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let shown = match (n, i) {
                    (0, _) => paint(DIM, cell),
                    (_, 0) => cell.clone(),
                    _ if cell == "=" => paint(DIM, cell),
                    _ if Some(i - 1) == base_col => paint(GREEN, cell),
                    _ => paint(RED, cell),
                };
                text.push_str(&shown);
                if i + 1 < line.len() {
                    text.push_str(&" ".repeat(pad + 2));
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
        let places: Vec<String> = m
            .envs
            .iter()
            .zip(&row.cells)
            .filter_map(|(e, c)| match c {
                Cell::Baseline { file, line } | Cell::Equal { file, line } | Cell::Differs { file, line, .. } => {
                    Some(format!("{}: {}:{line}", esc(e), esc(file)))
                }
                Cell::Missing => None,
            })
            .collect();
        let _ = writeln!(out, "  {}\n", paint(DIM, &places.join(" · ")));
    }
    let _ = writeln!(
        out,
        "{} of {} objects differ · {} envs ({})",
        m.differing(),
        m.rows.len(),
        m.envs.len(),
        m.envs.iter().map(|e| esc(e)).collect::<Vec<_>>().join(", ")
    );
    out
}

/// The JSON report: the envs, every object with its cells, a summary and
/// the errors met.
pub fn json(m: &Matrix, errors: &[crate::report::RunError]) -> String {
    let v = serde_json::json!({
        "envs": m.envs,
        "objects": m.rows,
        "summary": {"objects": m.rows.len(), "differing": m.differing()},
        "errors": errors,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
