//! `parity diff [ENV...]`: every object compared across envs, field by
//! field (`crate::diff`), with the tolerances of the rule sources: a human
//! side-by-side report, JSON, or a self-contained HTML page with the drift
//! matrix. Exit 0 when nothing differs, 1 when something does, 2 on errors.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, ValueEnum};

use super::{build_program_partial, color_for, read_rule_files};
use crate::load::{Input, LoadOptions, Loaded};
use crate::report::RunError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    /// One self-contained HTML page with the drift matrix.
    Html,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The envs to compare (default: all), by name; the last in promotion
    /// order that has an object is what the others are compared with.
    #[arg(value_name = "ENV")]
    pub envs: Vec<String>,
    /// A manifest source, as `check` takes it: a folder (each sub-folder an
    /// env), a file, a snapshot (repeatable). Without it, the envs of
    /// parity.toml.
    #[arg(long, value_name = "PATH")]
    pub tree: Vec<PathBuf>,
    /// Name an env explicitly: `--env prod=manifests/production`.
    #[arg(long = "env", value_name = "NAME=PATH", value_parser = super::check::parse_env_arg)]
    pub named: Vec<(String, PathBuf)>,
    /// The configuration file (default: `parity.toml` in the current folder).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Rule files whose `tolerate` declarations apply (repeatable); without
    /// them, the standard library's default tolerance set.
    #[arg(long = "rules", value_name = "PATH")]
    pub rule_paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
    /// Skipped files and documents do not fail the run.
    #[arg(long)]
    pub allow_skipped: bool,
}

pub fn run(args: DiffArgs) -> i32 {
    let mut errors: Vec<RunError> = Vec::new();
    // Load as `check` does, from the same arguments.
    let Ok(super::Cli { command: super::Command::Check(mut check) }) = super::Cli::try_parse_from(["parity", "check"])
    else {
        return 2;
    };
    check.envs = args.named.clone();
    check.config = args.config.clone();
    let config_given = super::check::config_path(&check).is_some();
    let config = match super::check::config_path(&check).map(|p| crate::load::read_config(&p)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    let mut rule_paths = args.rule_paths.clone();
    if let Some(c) = &config {
        rule_paths.extend(c.rules.iter().map(|r| c.base.join(r)));
    }
    let (rule_files, rule_errors) = read_rule_files(&rule_paths);
    errors.extend(rule_errors);
    let (prog, compile_errors, rendered) = build_program_partial(&rule_files, &[], rule_paths.is_empty());
    eprint!("{rendered}");
    errors.extend(compile_errors);
    let inputs: Vec<Input> = args.tree.iter().cloned().map(Input::Path).collect();
    let opts = LoadOptions::default();
    let Loaded { world, errors: load_errors, skipped, warnings, stdin_text } =
        super::check::load(&check, &inputs, config.as_ref(), config_given, &opts, &mut errors);
    errors.extend(load_errors);
    for w in &warnings {
        eprintln!("warning[{}]: {}", crate::escape::text(&w.code), crate::escape::text(&w.message));
    }
    if !args.allow_skipped && !(config.as_ref().is_some_and(|c| c.allow_skipped)) {
        errors.extend(skipped.iter().map(|s| RunError {
            code: s.code.clone(),
            file: s.file.clone(),
            line: s.line,
            column: 0,
            message: format!("skipped: {} (pass --allow-skipped to accept this)", s.message),
        }));
    }
    if world.object_count() == 0 && errors.is_empty() {
        errors.push(RunError {
            code: "parity::load::empty".into(),
            file: String::new(),
            line: 0,
            column: 0,
            message: "no objects loaded, so nothing was compared".into(),
        });
    }
    // The envs named, in promotion order.
    let mut ids = Vec::new();
    for name in &args.envs {
        match world.env_by_name(name) {
            Some(e) => ids.push(e),
            None => {
                let names: Vec<&str> = world.envs.iter().map(|e| e.name.as_str()).collect();
                let hint = crate::diag::did_you_mean(name, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                errors.push(RunError {
                    code: "parity::rule::unknown-env".into(),
                    file: String::new(),
                    line: 0,
                    column: 0,
                    message: format!("no loaded env is named `{name}`; {hint}loaded envs: {}", names.join(", ")),
                });
            }
        }
    }
    if args.envs.is_empty() {
        ids = (0..world.envs.len() as u32).collect();
    }
    let lines = crate::engine::FieldLines::new(&world, stdin_text.as_deref());
    let (matrix, eval_errors) = crate::diff::matrix::build(&world, &prog, &ids, &lines);
    errors.extend(eval_errors.into_iter().map(|m| RunError {
        code: "parity::eval::tolerance".into(),
        file: String::new(),
        line: 0,
        column: 0,
        message: m,
    }));
    for e in &errors {
        eprintln!("{}", crate::escape::error_line(e));
    }
    let stdout = std::io::stdout();
    let text = match args.format {
        DiffFormat::Human => crate::diff::render::human(&matrix, !args.no_color && color_for(stdout.is_terminal())),
        DiffFormat::Json => crate::diff::render::json(&matrix, &errors),
        DiffFormat::Html => crate::diff::html::page(&matrix),
    };
    let mut lock = stdout.lock();
    if lock.write_all(text.as_bytes()).and_then(|_| lock.flush()).is_err() {
        return 2;
    }
    if !errors.is_empty() {
        2
    } else if matrix.differing() > 0 {
        1
    } else {
        0
    }
}
