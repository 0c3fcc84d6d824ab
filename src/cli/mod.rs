//! The command line: one file per subcommand. This is the only layer that
//! renders: it picks the output format, the colours and the exit code.

mod audit;
mod check;
pub mod color;
mod compile;
mod completions;
mod diff;
pub mod error;
mod explain;
mod explain_field;
mod init;
pub mod progress;
pub mod rules;
mod snapshot;
mod test;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::bytecode::Program;
use crate::diag::Sources;
use crate::report::{ErrorAt, RuleDoc, RunError, Severity};
pub use error::CliError;

/// parity: keep Kubernetes environments consistent.
#[derive(Debug, Parser)]
#[command(name = "parity", version = env!("PARITY_VERSION"), about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour the output: `auto` on a terminal unless `NO_COLOR`
    /// is set (or when `CLICOLOR_FORCE` is), `always`, or `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = color::ColorWhen::Auto)]
    pub color: color::ColorWhen,
}

// Parsed once per process: the size of `check`'s arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests, List files and snapshots against rules.
    Check(check::CheckArgs),
    /// Compile rule files and report errors; `--dump` prints bytecode.
    Compile(compile::CompileArgs),
    /// Show a rule's documentation: what it checks, why, how to fix it.
    Explain(explain::ExplainArgs),
    /// Show a Kubernetes field's type, allowed values, description and
    /// sub-fields from the bundled schemas: `parity explain-field deployment.spec.replicas`.
    ExplainField(explain_field::ExplainFieldArgs),
    /// List the rules (the standard library unless rule files are given).
    Rules(rules::RulesArgs),
    /// Run rule test cases: folders of manifests per env with expected findings.
    Test(test::TestArgs),
    /// Scaffold parity.toml, an example rule with its test, and a pre-commit snippet.
    Init(init::InitArgs),
    /// Read live clusters into snapshot files (one per context).
    Snapshot(snapshot::SnapshotArgs),
    /// Snapshot clusters concurrently and check them together.
    Audit(audit::AuditArgs),
    /// Compare every object across envs, field by field: a side-by-side
    /// report, JSON, or an HTML page with the drift matrix.
    Diff(diff::DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page, generated from this command line's definition
    /// (`--out DIR` writes one page per subcommand).
    Man(completions::ManArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// wgpolicyk8s.io PolicyReports and ClusterPolicyReports, as a List.
    Policyreport,
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> i32 {
    // `--no-color` (check, audit, diff) is `--color never`.
    let no_color = match &cli.command {
        Command::Check(a) => a.no_color,
        Command::Audit(a) => a.no_color,
        Command::Diff(a) => a.no_color,
        _ => false,
    };
    color::set(if no_color { color::ColorWhen::Never } else { cli.color });
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Explain(a) => explain::run(a),
        Command::ExplainField(a) => explain_field::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Test(a) => test::run(a),
        Command::Init(a) => init::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => completions::man(a),
    }
}

/// Rule files found under the given paths (`*.parity`, folders walked in
/// sorted order), read into (display name, text). Unreadable files are
/// errors.
pub fn read_rule_files(paths: &[PathBuf]) -> (Vec<(String, String)>, Vec<RunError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    // A file named twice (`rules/` on the command line and `rules = ["rules"]`
    // in parity.toml) is read once.
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        let mut found = Vec::new();
        collect_rule_files(p, &mut found, &mut errors);
        found.sort();
        found.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
        for f in found {
            match read_rule_file(&f) {
                // The prelude is always loaded; a copy of it among the rule
                // files (this repository's rules/) is not loaded twice.
                Ok(text) if text == crate::compile::PRELUDE => {}
                Ok(text) => files.push((display(&f), text)),
                Err(e) => errors.push(e),
            }
        }
    }
    (files, errors)
}

/// Reads one rule file with the bounded reader: a FIFO or device is
/// refused (never waited on) and nothing past the rule source limit is read.
fn read_rule_file(p: &Path) -> Result<String, RunError> {
    use crate::load::files::{self, ReadError};
    let max = crate::syntax::MAX_SOURCE_BYTES as u64;
    let shown = display(p);
    match files::read_bytes(p, max) {
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| CliError::Io("rule file is not UTF-8 text".into()).at(&shown))
        }
        Err(ReadError::Io(e)) => Err(io_error(p, &e)),
        Err(ReadError::NotRegular) => {
            Err(CliError::Io("not a regular file (a FIFO, socket or device): not read".into()).at(&shown))
        }
        Err(ReadError::TooLarge) => {
            Err(CliError::RuleFileTooLarge(format!("rule file is larger than the limit of {max} bytes")).at(&shown))
        }
    }
}

/// The rule files under `p`: `p` itself when it is a file, else every
/// `*.parity` file in its folder tree (hidden entries and symbolic links
/// skipped, at most 32 folders deep), sorted by path.
fn collect_rule_files(p: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<RunError>) {
    if p.is_dir() {
        let walk = walkdir::WalkDir::new(p).max_depth(33).sort_by_file_name().into_iter().filter_entry(|e| {
            let hidden = e.file_name().to_str().is_some_and(|n| n.starts_with('.'));
            e.depth() == 0 || !(hidden || e.path_is_symlink())
        });
        for entry in walk {
            match entry {
                Ok(e) if !e.file_type().is_dir() && is_rule_file(e.path()) => out.push(e.into_path()),
                Ok(_) => {}
                Err(e) => {
                    let folder = e.path().unwrap_or(p).to_path_buf();
                    match e.into_io_error() {
                        Some(io) => errors.push(io_error(&folder, &io)),
                        None => errors.push(io_error(&folder, &std::io::Error::other("symbolic link loop"))),
                    }
                }
            }
        }
    } else if p.exists() {
        out.push(p.to_path_buf());
    } else {
        errors.push(CliError::Io("no such file or folder".into()).at(&display(p)));
    }
}

pub fn is_rule_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "parity")
}

/// Whether a path argument is a folder named `rules`: then it is a rule
/// source, whatever it holds. (What a folder holds never decides it: a
/// `.parity` file dropped into a manifest folder must not turn it into a
/// rules folder.)
pub fn is_rules_folder(p: &Path) -> bool {
    p.is_dir() && p.file_name().is_some_and(|n| n == "rules")
}

/// Whether a folder holds rule files directly (`parity test`'s notion of a
/// rule folder among test-case folders).
pub fn is_rule_dir(p: &Path) -> bool {
    if !p.is_dir() {
        return false;
    }
    let Ok(rd) = std::fs::read_dir(p) else { return false };
    rd.filter_map(|e| e.ok()).any(|e| is_rule_file(&e.path()))
}

pub use crate::load::files::display;

fn io_error(p: &Path, e: &std::io::Error) -> RunError {
    CliError::Io(format!("cannot read: {e}")).at(&display(p))
}

pub use crate::diag::diag_error;

/// Compiles the rule set of a run: the given files and bodies, or the
/// standard library when there are none. Diagnostics are rendered to
/// stderr; the errors are returned for the report.
pub fn build_program(
    files: &[(String, String)],
    bodies: &[String],
    use_library: bool,
) -> Result<(Program, Sources), (Vec<RunError>, String)> {
    let mut sources = Sources::default();
    let mut all = files.to_vec();
    if use_library {
        all.extend(crate::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())));
    }
    match crate::compile::build(&mut sources, &all, bodies) {
        Ok(p) => Ok((p, sources)),
        Err(diags) => {
            let color = color::stderr();
            let rendered = sources.render(&diags, color);
            // Without colour (logs, CI) no ESC is parity's own: escape every
            // control character and bidi override the rule text brought in,
            // keeping the report's own line breaks.
            let rendered = if color { rendered } else { crate::escape::keep_lines(&rendered) };
            Err((diags.iter().map(|d| diag_error(&sources, d)).collect(), rendered))
        }
    }
}

/// The documentation of every compiled rule, for the renderers that list
/// rules without findings too (SARIF, JUnit).
pub fn rule_docs(program: Option<&Program>) -> Vec<RuleDoc> {
    program
        .map(|p| {
            p.rules
                .iter()
                .map(|r| RuleDoc {
                    id: r.id.clone(),
                    severity: r.severity,
                    title: r.title.clone(),
                    why: r.why.clone(),
                    fix: r.fix.clone(),
                    example: r.example.clone(),
                    tags: r.tags.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The program of `explain` and `rules`: the given rule files, or the
/// standard library when there are none. Unreadable paths and rules that do
/// not compile are reported on stderr, and the exit code (2) is returned.
pub fn rules_program(paths: &[PathBuf]) -> Result<Program, i32> {
    let (files, errors) = read_rule_files(paths);
    for e in &errors {
        eprintln!("{}", crate::escape::error_line(e));
    }
    if !errors.is_empty() {
        return Err(2);
    }
    match build_program(&files, &[], paths.is_empty()) {
        Ok((p, _)) => Ok(p),
        Err((_, rendered)) => {
            eprint!("{rendered}");
            Err(2)
        }
    }
}

pub fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("unknown severity `{s}`: use error, warning or info"))
}
