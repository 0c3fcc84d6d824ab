//! `parity diff [ENV...]`: every object compared across envs, field by
//! field (`crate::diff`), with the tolerances of the rule sources: a human
//! side-by-side report, JSON, or a self-contained HTML page with the drift
//! matrix. Exit 0 when nothing differs, 1 when something does, 2 on errors.

mod html;
mod matrix;
mod render;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, ValueEnum};

use crate::load::Loaded;
use crate::report::{ErrorAt, RunError};

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
    // Load as `check` does, from the same arguments.
    let Ok(super::Cli { command: super::Command::Check(mut check), .. }) =
        super::Cli::try_parse_from(["parity", "check"])
    else {
        return 2;
    };
    check.envs = args.named.clone();
    check.config = args.config.clone();
    check.tree = args.tree.clone();
    check.rule_paths = args.rule_paths.clone();
    check.allow_skipped = args.allow_skipped;
    let plan = super::check::plan(&mut check, Vec::new());
    let mut errors: Vec<RunError> = plan.earlier.clone();
    let mut sources = crate::diag::Sources::default();
    let mut all = plan.rule_files.clone();
    if plan.use_library {
        all.extend(crate::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())));
    }
    let (prog, diagnostics) = crate::compile::build_partial(&mut sources, &all, &[]);
    super::color::eprint_diagnostics(&sources, &diagnostics);
    // Shown above already: counted, not printed again.
    let compile_errors: Vec<RunError> = diagnostics.iter().map(|d| crate::diag::diag_error(&sources, d)).collect();
    let Loaded { world, errors: load_errors, skipped, warnings, .. } = crate::pipeline::load(&plan);
    errors.extend(load_errors);
    for w in &warnings {
        eprintln!("warning[{}]: {}", crate::escape::text(&w.code), crate::escape::text(&w.message));
    }
    if !plan.allow_skipped {
        errors.extend(skipped.iter().map(|s| RunError {
            code: s.code.clone(),
            file: s.file.clone(),
            line: s.line,
            column: 0,
            message: format!("skipped: {} (pass --allow-skipped to accept this)", s.message),
        }));
    }
    if world.object_count() == 0 && errors.is_empty() && compile_errors.is_empty() {
        errors.push(crate::load::LoadError::Empty("no objects loaded, so nothing was compared".into()).whole_run());
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
                errors.push(
                    crate::engine::EngineError::UnknownEnv(format!(
                        "no loaded env is named `{name}`; {hint}loaded envs: {}",
                        names.join(", ")
                    ))
                    .whole_run(),
                );
            }
        }
    }
    if args.envs.is_empty() {
        ids = (0..world.envs.len() as u32).collect();
    }
    let lines = crate::engine::FieldLines::new(&world);
    let (matrix, eval_errors) = matrix::build(&world, &prog, &ids, &lines);
    errors.extend(eval_errors.into_iter().map(|m| crate::engine::EngineError::Tolerance(m).whole_run()));
    for e in &errors {
        eprintln!("{}", crate::escape::error_line(e));
    }
    errors.extend(compile_errors);
    let stdout = std::io::stdout();
    let text = match args.format {
        DiffFormat::Human => render::human(&matrix, super::color::stdout()),
        DiffFormat::Json => render::json(&matrix, &errors),
        DiffFormat::Html => html::page(&matrix),
    };
    let written = if args.format == DiffFormat::Human {
        super::color::write_stdout(&text, super::color::stdout())
    } else {
        let mut lock = stdout.lock();
        lock.write_all(text.as_bytes()).and_then(|_| lock.flush())
    };
    if written.is_err() {
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
