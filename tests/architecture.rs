//! The module graph of docs/architecture.md, enforced: every module imports
//! only the modules the table allows, and no two modules depend on each
//! other (directly or through others). Test code (`*_tests.rs`, inline
//! `mod tests`) and comments are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// module → the modules it may import (docs/architecture.md).
const ALLOWED: &[(&str, &[&str])] = &[
    ("syntax", &["diag"]),
    ("diag", &["report"]),
    ("compile", &["syntax", "diag", "bytecode", "world", "glob", "report", "schema", "diff", "timing"]),
    ("bytecode", &["world", "report", "diff"]),
    ("vm", &["bytecode", "world", "schema", "diff"]),
    ("schema", &["bytecode", "world", "diag", "report"]),
    ("world", &[]),
    ("diff", &["world", "load"]),
    ("load", &["world", "diag", "glob", "escape", "report", "timing"]),
    ("cluster", &[]),
    ("engine", &["bytecode", "vm", "world", "load", "waive", "diag", "report", "timing", "diff"]),
    ("waive", &["world", "load", "glob", "report"]),
    ("report", &[]),
    ("render", &["report", "escape"]),
    (
        "pipeline",
        &[
            "syntax", "diag", "compile", "bytecode", "vm", "world", "load", "engine", "waive", "report", "stdlib",
            "timing", "select", "escape", "schema",
        ],
    ),
    ("select", &["bytecode", "glob", "compile", "diag"]),
    ("glob", &[]),
    ("escape", &["report"]),
    ("timing", &[]),
    ("stdlib", &[]),
    ("testing", &["compile", "pipeline", "load", "world", "diag", "report"]),
];

fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    let name = name.strip_suffix("_tests").unwrap_or(name);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_string())
}

/// The code of a file without comments and without its inline test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code = code(text);
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out
}

/// Every `.rs` file under `src/`, with its path relative to `src/`.
fn sources() -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).expect("under src").to_path_buf();
                out.push((path, rel));
            }
        }
    }
    out.sort();
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, rel) in sources() {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if file.ends_with("_tests.rs") || file == "test_fixtures.rs" || file == "tests.rs" {
            continue;
        }
        let Some(module) = module_of(&rel) else { continue };
        let text = std::fs::read_to_string(&path).expect("read source");
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

#[test]
fn modules_import_only_what_the_architecture_allows() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, deps) in graph() {
        if module == "cli" {
            continue;
        }
        let Some(ok) = allowed.get(module.as_str()) else {
            wrong.push(format!("module `{module}` is not in docs/architecture.md"));
            continue;
        };
        for d in deps {
            if !ok.contains(&d.as_str()) {
                wrong.push(format!("`{module}` imports `{d}`"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports docs/architecture.md does not allow:\n{}", wrong.join("\n"));
}

#[test]
fn the_module_graph_has_no_cycles() {
    let graph = graph();
    // Depth-first search for a back edge.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("modules depend on each other: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut long = Vec::new();
    for (path, rel) in sources() {
        if path.to_string_lossy().ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        // Inline test modules do not count.
        let lines = code(&text).lines().count();
        if lines > 600 {
            long.push(format!("{} ({lines} lines)", rel.display()));
        }
    }
    long.sort();
    assert!(long.is_empty(), "source files over 600 lines (split them along their seams):\n{}", long.join("\n"));
}

/// Every `"parity::…"` string literal in a text.
fn code_literals(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"parity::") {
        rest = &rest[i + 1..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.insert(rest[..end].to_string());
    }
    out
}

/// Error codes are spelt in one place per phase — the error types
/// (`#[diagnostic(code(…))]`, `DiagCode::as_str`) — and warnings where they
/// are made; docs/errors.md lists exactly the codes the code has, and no
/// `RunError` is built from a code string outside `report`.
#[test]
fn every_error_code_is_documented_and_spelt_only_in_its_error_type() {
    let mut in_code = BTreeSet::new();
    let mut misplaced = Vec::new();
    for (path, rel) in sources() {
        let name = rel.to_string_lossy();
        if name.ends_with("_tests.rs") || name.ends_with("test_fixtures.rs") || rel.starts_with("bin") {
            continue;
        }
        let text = code(&std::fs::read_to_string(&path).expect("read source"));
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("code(parity::") {
                let start = line.find("code(").unwrap() + "code(".len();
                let end = line[start..].find(')').unwrap() + start;
                in_code.insert(line[start..end].to_string());
            }
            let spelt = line.contains("code: \"parity::") && !line.contains("Notice");
            let error_literal = spelt && lines[i.saturating_sub(3)..=i].iter().any(|l| l.contains("RunError {"));
            if error_literal && !rel.starts_with("report") {
                misplaced.push(format!("{}:{}", rel.display(), i + 1));
            }
        }
        in_code.extend(code_literals(&text));
    }
    in_code.remove("parity::internal");
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md")).expect("docs");
    let mut in_docs = BTreeSet::new();
    let mut rest = docs.as_str();
    while let Some(i) = rest.find("`parity::") {
        rest = &rest[i + 1..];
        let end = rest.find('`').unwrap_or(rest.len());
        in_docs.insert(rest[..end].to_string());
    }
    let undocumented: Vec<_> = in_code.difference(&in_docs).collect();
    let stale: Vec<_> = in_docs.difference(&in_code).collect();
    assert!(undocumented.is_empty(), "codes missing from docs/errors.md: {undocumented:?}");
    assert!(stale.is_empty(), "docs/errors.md lists codes the code no longer has: {stale:?}");
    assert!(misplaced.is_empty(), "RunError built from a code string (use the phase's error type): {misplaced:?}");
}
