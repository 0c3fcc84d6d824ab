//! The rule text in docs/language.md compiles, and the readings it shows are
//! what `parity compile --explain` prints.
//!
//! - Every untagged fenced block that holds a rule file (it starts with
//!   `rule`, `noun`, `qualifier`, `value` or a comment) is compiled as a file.
//! - Every other untagged fenced block that is not a folder listing holds one
//!   rule body per line; each is compiled with `--explain`.
//! - Every table row of "How a sentence is read" whose reading is backticked
//!   is checked against `--explain`, and reads back as itself; a row whose
//!   reading says "rejected" must fail with `parity::compile::ambiguous`.

mod common;

use common::parity;

fn language_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md");
    std::fs::read_to_string(path).expect("docs/language.md is readable")
}

/// The untagged fenced blocks (```` ``` ```` with no language), with the
/// line each starts on.
fn untagged_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = vec![];
    let mut open: Option<(usize, bool, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let untagged = line.trim() == "```";
                open = Some((n + 1, untagged, String::new()));
            }
            (Some(_), true) => {
                let (start, untagged, body) = open.take().expect("a block is open");
                if untagged {
                    blocks.push((start, body));
                }
            }
            (Some((_, _, body)), false) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, false) => {}
        }
    }
    assert!(open.is_none(), "docs/language.md has an unclosed fenced block");
    blocks
}

fn is_rule_file(block: &str) -> bool {
    let first = block.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    ["rule ", "noun ", "qualifier ", "value ", "#"].iter().any(|p| first.starts_with(p))
}

fn is_folder_listing(block: &str) -> bool {
    block.lines().any(|l| l.trim_end().ends_with('/') || l.trim().ends_with(".yaml"))
}

#[test]
fn every_rule_example_in_language_md_compiles() {
    let text = language_md();
    let dir = tempfile::tempdir().expect("a temp dir");
    let (mut files, mut bodies) = (0, 0);
    for (line, block) in untagged_blocks(&text) {
        if is_rule_file(&block) {
            let path = dir.path().join(format!("line-{line}.parity"));
            std::fs::write(&path, &block).expect("the block is written");
            let run = parity(&["compile", path.to_str().expect("a UTF-8 path")]);
            assert_eq!(run.code, 0, "the rule file at docs/language.md:{line} compiles:\n{block}\n{}", run.stderr);
            files += 1;
        } else if !is_folder_listing(&block) {
            for body in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let run = parity(&["compile", "--explain", body]);
                assert_eq!(run.code, 0, "`{body}` (docs/language.md:{line}) compiles:\n{}", run.stderr);
                bodies += 1;
            }
        }
    }
    // The page teaches with a rule file, definitions, a message template and
    // a block of sentences: if the extraction finds none, it is broken.
    assert!(files >= 3 && bodies >= 5, "found {files} rule files and {bodies} bodies");
}

/// The first backticked text of a table cell.
fn code_of(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

#[test]
fn readings_in_how_a_sentence_is_read_are_what_explain_prints() {
    let text = language_md();
    let section = text.split("\n## How a sentence is read").nth(1).expect("the section exists");
    let section = section.split("\n## ").next().expect("the section ends");
    let mut checked = 0;
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
        if cells.len() != 2 {
            continue; // the scope table has three columns and no sentences
        }
        let Some(sentence) = code_of(cells[0]) else { continue };
        let run = parity(&["compile", "--explain", sentence]);
        if cells[1].trim_start().starts_with("rejected") {
            assert_eq!(run.code, 2, "`{sentence}` is rejected:\n{}", run.stdout);
            assert!(run.stderr.contains("parity::compile::ambiguous"), "`{sentence}`:\n{}", run.stderr);
            let reading = code_of(cells[1]).expect("a rejected row shows the reading");
            assert!(run.stdout.contains(reading), "`{sentence}` shows `{reading}`:\n{}", run.stdout);
        } else {
            let reading = code_of(cells[1]).expect("a row shows its reading");
            assert_eq!(run.code, 0, "`{sentence}` compiles:\n{}", run.stderr);
            assert_eq!(run.stdout.trim(), reading, "the reading of `{sentence}`");
            // "The reading is itself a valid rule that means the same."
            let again = parity(&["compile", "--explain", reading]);
            assert_eq!(again.code, 0, "the reading `{reading}` compiles:\n{}", again.stderr);
            assert_eq!(again.stdout.trim(), reading, "the reading of the reading `{reading}`");
        }
        checked += 1;
    }
    assert!(checked >= 10, "checked {checked} rows");
}

/// `# comments` after a `key: value` entry are comments, as everywhere else
/// in a rule file (the docs' own example writes `severity: error  # ...`).
#[test]
fn a_comment_after_a_metadata_value_is_not_part_of_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("r.parity");
    let rule = "rule r {\n  every node has spec.unschedulable   # c\n  severity: warning   # error (default), warning or info\n  \
                tags: [a]  # c\n  except: metadata.name = \"x#y\"  # c\n}\n";
    std::fs::write(&path, rule).expect("written");
    let path = path.to_str().expect("a UTF-8 path");
    let run = parity(&["compile", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = parity(&["explain", "r", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("r (warning)"), "{}", run.stdout);
}
