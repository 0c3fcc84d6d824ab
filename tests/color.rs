//! `--color auto|always|never` through the real binary (issue 13): the flag
//! wins over the environment, `auto` follows `NO_COLOR` and
//! `CLICOLOR_FORCE`, and with colour off no ESC byte in any output is
//! parity's own (reports, compile diagnostics, clap's errors).

mod common;

use common::{parity_in, parity_with};

const ESC: char = '\x1b';

/// A tree with findings (`parity check` exits 1 on it).
const TREE: &str = "examples/manifests";

#[test]
fn always_colours_a_pipe_and_never_does_not() {
    // The helper sets NO_COLOR=1: `always` wins over it.
    let always = parity_with(&["check", "--color", "always", TREE], None, &[]);
    assert_eq!(always.code, 1, "{}", always.stderr);
    assert!(always.stdout.contains("\x1b[33mwarning["), "{}", always.stdout);
    assert!(always.stdout.contains("\x1b[0m"), "{}", always.stdout);

    let force = [("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")];
    let never = parity_with(&["check", "--color=never", TREE], None, &force);
    assert_eq!(never.code, 1);
    assert!(!never.stdout.contains(ESC), "{}", never.stdout);
    // The same report, only without the styles.
    let plain = parity_with(&["check", TREE], None, &[]);
    assert_eq!(body(&never.stdout), body(&plain.stdout));
    assert_eq!(body(&strip(&always.stdout)), body(&plain.stdout));

    // `--no-color` (check, audit, diff) is `--color never`.
    let no_color = parity_with(&["check", "--no-color", TREE], None, &force);
    assert!(!no_color.stdout.contains(ESC), "{}", no_color.stdout);
}

#[test]
fn auto_follows_no_color_and_clicolor_force() {
    // Piped output: no colour unless CLICOLOR_FORCE, and NO_COLOR wins.
    let piped = parity_with(&["check", TREE], None, &[("NO_COLOR", "")]);
    assert!(!piped.stdout.contains(ESC), "{}", piped.stdout);
    let forced = parity_with(&["check", TREE], None, &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains(ESC), "{}", forced.stdout);
    let both = parity_with(&["check", "--color", "auto", TREE], None, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!both.stdout.contains(ESC), "{}", both.stdout);
    assert_eq!(body(&both.stdout), body(&strip(&forced.stdout)));
}

#[test]
fn diagnostics_of_a_broken_rule_file_follow_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The rule text itself carries an ESC sequence (in a comment on the
    // line the diagnostic shows).
    std::fs::write(dir.path().join("bad.parity"), "rule x {\n  bogus # \x1b[2Jwipe\n}\n").expect("write");
    let tree = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TREE);
    let tree = tree.to_str().expect("utf-8 path");
    let run = |args: &[&str]| {
        let mut all = vec!["check", "--rules", "bad.parity", tree];
        all.extend_from_slice(args);
        parity_in(dir.path(), &all, None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")])
    };

    let never = run(&["--color", "never"]);
    assert_eq!(never.code, 2);
    assert!(never.stderr.contains("unknown noun `bogus`"), "{}", never.stderr);
    assert!(!never.stderr.contains(ESC), "{}", never.stderr);
    // The rule file's own ESC is shown escaped, not sent to the terminal.
    assert!(never.stderr.contains("\\u{1b}[2Jwipe"), "{}", never.stderr);
    assert!(!never.stdout.contains(ESC), "{}", never.stdout);

    let always = run(&["--color", "always"]);
    assert_eq!(always.code, 2);
    assert!(always.stderr.contains(ESC), "{}", always.stderr);
    assert!(strip(&always.stderr).contains("unknown noun `bogus`"), "{}", always.stderr);

    // `parity compile` reports the same way.
    let compile = parity_in(dir.path(), &["--color=never", "compile", "bad.parity"], None, &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(compile.code, 2);
    assert!(compile.stderr.contains("unknown noun `bogus`"), "{}", compile.stderr);
    assert!(!compile.stderr.contains(ESC), "{}", compile.stderr);
}

#[test]
fn clap_errors_and_help_follow_the_flag() {
    let force = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")];
    let never = parity_with(&["--color", "never", "chek"], None, &force);
    assert_eq!(never.code, 2);
    assert!(never.stderr.contains("unrecognized subcommand"), "{}", never.stderr);
    assert!(!never.stderr.contains(ESC), "{}", never.stderr);

    let always = parity_with(&["chek", "--color=always"], None, &[]);
    assert_eq!(always.code, 2);
    assert!(always.stderr.contains(ESC), "{}", always.stderr);

    let help = parity_with(&["check", "--help", "--color", "never"], None, &force);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--color <WHEN>"), "{}", help.stdout);
    assert!(!help.stdout.contains(ESC), "{}", help.stdout);

    let bad = parity_with(&["check", "--color", "sometimes", TREE], None, &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("sometimes"), "{}", bad.stderr);
}

#[test]
fn diff_follows_the_flag() {
    let args = |when: &'static str| {
        ["diff", "--color", when, "--env", "dev=examples/manifests/dev", "--env", "prod=examples/manifests/prod"]
    };
    let always = parity_with(&args("always"), None, &[]);
    assert_eq!(always.code, 1, "{}", always.stderr);
    assert!(always.stdout.contains("\x1b[1m"), "{}", always.stdout);
    let never = parity_with(&args("never"), None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]);
    assert_eq!(never.code, 1);
    assert!(!never.stdout.contains(ESC), "{}", never.stdout);
    assert_eq!(strip(&always.stdout), never.stdout);
}

#[test]
fn manifest_text_stays_escaped_with_colour_off() {
    let run =
        parity_with(&["check", "--color", "never", "tests/fixtures/hostile-text"], None, &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains(ESC), "{}", run.stdout);
    assert!(run.stdout.contains("\\u{1b}]8;;"), "{}", run.stdout);
}

/// The report without its last line (the summary ends with the run time).
fn body(out: &str) -> String {
    out.rsplit_once(" · ").map(|(head, _)| head.to_string()).unwrap_or_else(|| out.to_string())
}

/// `out` without SGR sequences (`ESC [ ... m`).
fn strip(out: &str) -> String {
    let mut res = String::new();
    let mut chars = out.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            res.push(c);
        }
    }
    res
}
