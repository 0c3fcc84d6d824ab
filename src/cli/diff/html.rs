//! `parity diff --format html`: one self-contained page (inline style and
//! script, no external asset, a Content-Security-Policy that forbids any)
//! with the drift matrix, objects × envs, each cell `missing`, `equal`,
//! `baseline` or `N fields differ`. A cell links to `#d-N`, the object's
//! differences, which the page opens (class `open`) for the URL's fragment,
//! on load and on every click.
//!
//! Every text from a manifest, a file name or an env name is escaped for
//! HTML (after the control characters are made visible); element ids are
//! numbers, never manifest text.

use std::fmt::Write;

use super::matrix::{Cell, Matrix, Row};
use super::render::cut_value;

/// Longest value shown in the page, in characters.
const LONG: usize = 4000;

fn short(v: Option<&serde_json::Value>) -> String {
    cut_value(v, LONG)
}

/// Text escaped for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let visible = crate::escape::text(s);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 4px}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}td a{color:inherit;text-decoration:none;display:block}
td.missing{background:#ffebe9;color:#82071e}td.equal{background:#dafbe1;color:#116329}
td.differs{background:#fff8c5;color:#7d4e00;font-weight:600}td.baseline{background:#ddf4ff;color:#0969da}
section.diff{display:none;border:2px solid #0969da;border-radius:6px;padding:12px;margin-top:16px}
section.diff.open,section.diff:target{display:block}
code,.v{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.v.same{color:#8c959f}.v.base{color:#116329}.v.other{color:#82071e}.where{color:#57606a;font-size:12px}
"#;

/// Opens the section the URL's fragment names (and closes the others).
const SCRIPT: &str = r#"
function parityOpen(){var id=decodeURIComponent(location.hash.slice(1));
var s=document.querySelectorAll('section.diff');for(var i=0;i<s.length;i++){s[i].classList.toggle('open',s[i].id===id);}
document.body.setAttribute('data-open',id);}
window.addEventListener('hashchange',parityOpen);parityOpen();
"#;

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Missing => "missing".into(),
        Cell::Baseline { .. } => "baseline".into(),
        Cell::Equal { .. } => "equal".into(),
        Cell::Differs { diffs, .. } if diffs.len() == 1 => "1 field differs".into(),
        Cell::Differs { diffs, .. } => format!("{} fields differ", diffs.len()),
    }
}

fn cell_class(c: &Cell) -> &'static str {
    match c {
        Cell::Missing => "missing",
        Cell::Baseline { .. } => "baseline",
        Cell::Equal { .. } => "equal",
        Cell::Differs { .. } => "differs",
    }
}

/// The page.
pub fn page(m: &Matrix) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'\">\n",
    );
    out.push_str("<title>parity diff</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style></head>\n<body>\n<h1>parity diff</h1>\n");
    let envs: Vec<String> = m.envs.iter().map(|e| escape(e)).collect();
    let _ = writeln!(
        out,
        "<p id=\"summary\">{} of {} objects differ · envs: {}</p>",
        m.differing(),
        m.rows.len(),
        envs.join(", ")
    );
    out.push_str("<table id=\"matrix\"><thead><tr><th>object</th>");
    for e in &envs {
        let _ = write!(out, "<th>{e}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in m.rows.iter().enumerate() {
        let _ = write!(out, "<tr id=\"r-{i}\"><th scope=\"row\">{}</th>", escape(&row.label()));
        for (e, c) in envs.iter().zip(&row.cells) {
            let _ = write!(
                out,
                "<td class=\"{}\" data-env=\"{e}\"><a href=\"#d-{i}\">{}</a></td>",
                cell_class(c),
                cell_text(c)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    for (i, row) in m.rows.iter().enumerate() {
        section(&mut out, i, row, m);
    }
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body></html>\n");
    out
}

/// One object's differences: a table of fields × envs.
fn section(out: &mut String, i: usize, row: &Row, m: &Matrix) {
    let _ = writeln!(
        out,
        "<section class=\"diff\" id=\"d-{i}\"><h2>{}</h2><p>compared with <b>{}</b></p>",
        escape(&row.label()),
        escape(&row.baseline)
    );
    let paths = row.differing_paths();
    out.push_str("<table class=\"fields\"><thead><tr><th>field</th>");
    for e in &m.envs {
        let _ = write!(out, "<th>{}</th>", escape(e));
    }
    out.push_str("</tr></thead><tbody>\n");
    let _ = write!(out, "<tr><td>(object)</td>");
    for c in &row.cells {
        let where_ = match c {
            Cell::Missing => "missing".to_string(),
            Cell::Baseline { file, line } | Cell::Equal { file, line } | Cell::Differs { file, line, .. } => {
                format!("{}:{line}", escape(file))
            }
        };
        let _ = write!(out, "<td class=\"where\">{where_}</td>");
    }
    out.push_str("</tr>\n");
    for p in &paths {
        let _ = write!(out, "<tr class=\"field\"><td><code>{}</code></td>", escape(p));
        for c in &row.cells {
            let (class, text, line) = match c {
                Cell::Missing => ("same", "(missing)".to_string(), None),
                Cell::Equal { .. } => ("same", "=".to_string(), None),
                Cell::Differs { diffs, .. } => match diffs.iter().find(|d| d.path == *p) {
                    Some(d) => ("other", short(Some(&d.value).filter(|v| !v.is_null())), Some(d.line)),
                    None => ("same", "=".to_string(), None),
                },
                Cell::Baseline { .. } => {
                    let d = row.cells.iter().find_map(|c| match c {
                        Cell::Differs { diffs, .. } => diffs.iter().find(|d| d.path == *p),
                        _ => None,
                    });
                    match d {
                        Some(d) => {
                            ("base", short(Some(&d.baseline_value).filter(|v| !v.is_null())), Some(d.baseline_line))
                        }
                        None => ("base", String::new(), None),
                    }
                }
            };
            let line = line.map(|l| format!(" <span class=\"where\">line {l}</span>")).unwrap_or_default();
            let _ = write!(out, "<td><span class=\"v {class}\">{}</span>{line}</td>", escape(&text));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
}
