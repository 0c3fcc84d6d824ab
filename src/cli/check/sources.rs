//! Where `check`'s envs come from beyond plain paths: the discovered
//! parity.toml, paths that pick configured envs, named stdin and pipes,
//! rendered sources (`--show-render`, and the source files their findings
//! came from).

use std::path::{Path, PathBuf};

use crate::cli::CliError;
use crate::load::Config;
use crate::report::{ErrorAt, RunError};

pub(super) fn usage(message: impl Into<String>) -> RunError {
    CliError::Usage(message.into()).whole_run()
}

/// Stdin, bounded like every file (`--max-file-size`); a failed read is
/// pushed to `errors`.
pub(super) fn read_stdin(max: u64, errors: &mut Vec<RunError>) -> Option<String> {
    use crate::load::files;
    let read = files::read_stream(std::io::stdin().lock(), max)
        .map_err(|e| match e {
            files::ReadError::Io(e) => CliError::Io(format!("cannot read stdin: {e}")).at(crate::load::STDIN),
            e => files::read_error(e, crate::load::STDIN, max),
        })
        .and_then(|bytes| files::text_from_bytes(bytes, crate::load::STDIN));
    read.map_err(|e| errors.push(e)).ok()
}

/// The nearest `parity.toml`: in the current folder, else in each parent
/// up to and including the repository root (the first folder holding
/// `.git`). Outside a repository only the current folder is looked at.
/// Returned relative to the current folder (`../parity.toml`).
pub fn discover_config() -> Option<PathBuf> {
    let here = PathBuf::from("parity.toml");
    if here.is_file() {
        return Some(here);
    }
    if Path::new(".git").exists() {
        return None;
    }
    let cwd = std::env::current_dir().ok()?;
    let mut rel = PathBuf::new();
    for dir in cwd.ancestors().skip(1) {
        rel.push("..");
        if dir.join("parity.toml").is_file() {
            // Only inside a repository: the walk must stop at its root.
            let in_repo = dir.ancestors().any(|d| d.join(".git").exists());
            return in_repo.then(|| rel.join("parity.toml"));
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// `--env NAME=-` (stdin) and `--env NAME=PIPE` (a FIFO, `<(cmd)`): read
/// here, through the bounded readers, and returned as (env, display, text);
/// the other `--env` pairs are returned to be planned as files. Stdin may be
/// read once per run.
#[allow(clippy::type_complexity)]
pub fn read_named_streams(
    envs: &[(String, PathBuf)],
    unnamed_stdin: bool,
    max_bytes: u64,
    timeout: std::time::Duration,
    errors: &mut Vec<RunError>,
) -> (Vec<(String, PathBuf)>, Vec<crate::load::envs::Memory>) {
    use crate::load::files;
    let mut plain = Vec::new();
    let mut texts = Vec::new();
    let mut stdin_used = unnamed_stdin;
    for (name, path) in envs {
        if path.as_os_str() == "-" {
            if stdin_used {
                errors.push(usage(format!(
                    "stdin is given twice (`--env {name}=-` and another `-`): it can be read once"
                )));
                continue;
            }
            stdin_used = true;
            if let Some(t) = read_stdin(max_bytes, errors) {
                texts.push((name.clone(), crate::load::STDIN.to_string(), t));
            }
        } else if files::is_pipe(path) {
            let shown = files::display(path);
            let read = files::read_pipe(path, max_bytes, timeout)
                .map_err(|e| files::read_error(e, &shown, max_bytes))
                .and_then(|b| files::text_from_bytes(b, &shown));
            match read {
                Ok(t) => texts.push((name.clone(), shown, t)),
                Err(e) => errors.push(e),
            }
        } else {
            plain.push((name.clone(), path.clone()));
        }
    }
    (plain, texts)
}

/// Paths given with a parity.toml that declares envs pick the configured
/// envs they hold or lie in: an env is kept when one of its sources is the
/// path, inside it, or holds it. A rendered env's sources are the words of
/// its command that name existing paths (`overlays/prod`, `values-prod.yaml`),
/// else the configuration's folder. A path that picks no env is an error with a
/// hint. Returns the configuration narrowed to the picked envs.
pub fn narrow(config: &Config, paths: &[PathBuf], errors: &mut Vec<RunError>) -> Config {
    let canon = |p: &Path| std::fs::canonicalize(if p.as_os_str().is_empty() { Path::new(".") } else { p }).ok();
    let base = canon(&config.base);
    let mut keep = std::collections::BTreeSet::new();
    for p in paths {
        let Some(cp) = canon(p) else {
            errors.push(CliError::Io("no such file or folder".into()).at(&super::super::display(p)));
            continue;
        };
        let mut picked = false;
        for env in &config.envs {
            // A rendered env's sources are the paths among its command's
            // words (`overlays/prod`); with none, the configuration's folder.
            let mut sources: Vec<PathBuf> = env
                .all_sources()
                .into_iter()
                .chain(env.render.iter().skip(1).map(String::as_str).filter(|w| !w.starts_with('-')))
                .filter_map(|s| canon(&config.base.join(s)))
                .collect();
            if !env.render.is_empty() && sources.is_empty() {
                sources.extend(base.clone());
            }
            let hit = sources.iter().any(|s| s.starts_with(&cp) || cp.starts_with(s));
            if hit {
                keep.insert(env.name.clone());
                picked = true;
            }
        }
        if !picked {
            let shown = super::super::display(p);
            errors.push(usage(format!(
                "`{}` is not in any env of {}; with a configuration that declares envs, paths pick its envs \
                 (hint: add it to an env there, check it on its own with `--env NAME={}`, or pass `--config` \
                 another file)",
                crate::escape::text(&shown),
                config.file,
                crate::escape::text(&shown)
            )));
        }
    }
    let mut narrowed = config.clone();
    narrowed.envs.retain(|e| keep.contains(&e.name));
    if let Some(order) = &mut narrowed.promotion {
        order.retain(|n| keep.contains(n));
    }
    narrowed
}

/// `--show-render ENV`: runs the env's render command and prints its
/// output (exit 0), or the error (exit 2).
pub fn show_render(config: Option<&Config>, env: &str, max_bytes: u64) -> i32 {
    let Some(config) = config else {
        eprintln!("error: --show-render needs a parity.toml (none found; give --config FILE)");
        return 2;
    };
    let Some(ec) = config.envs.iter().find(|e| e.name == env) else {
        eprintln!("error: {} declares no env `{}`", config.file, crate::escape::text(env));
        return 2;
    };
    if ec.render.is_empty() {
        eprintln!(
            "error: env `{}` of {} has no `render` command (its sources are files)",
            crate::escape::text(env),
            config.file
        );
        return 2;
    }
    let spec = crate::load::render::Spec { env: ec.name.clone(), argv: ec.render.clone(), dir: config.base.clone() };
    let timeout =
        config.render_timeout.map(std::time::Duration::from_secs).unwrap_or(crate::load::render::DEFAULT_TIMEOUT);
    match crate::load::render::render(&spec, &config.file, timeout, max_bytes) {
        Ok(text) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(crate::escape::keep_lines(&text).as_bytes());
            let _ = out.flush();
            0
        }
        Err(e) => {
            eprintln!("{}", crate::escape::error_line(&e));
            2
        }
    }
}

/// Adds, to each finding on a rendered document whose renderer recorded its
/// source (Helm `# Source:`, kustomize `config.kubernetes.io/origin`), a
/// related location at that source file (line 0: renderers record no line).
pub fn add_render_origins(world: &crate::world::World, findings: &mut [crate::report::Finding]) {
    let mut cache: std::collections::HashMap<usize, Vec<(u32, String)>> = std::collections::HashMap::new();
    for f in findings {
        if !f.file.starts_with("<render ") {
            continue;
        }
        let Some(id) = world.files.iter().position(|n| *n == f.file) else { continue };
        let origins = cache.entry(id).or_insert_with(|| match world.sources.get(id) {
            Some(crate::world::SourceText::Memory(text)) => crate::load::render::origins(text),
            _ => Vec::new(),
        });
        if let Some(source) = crate::load::render::origin_at(origins, f.line) {
            f.related.push(crate::report::Location {
                env: f.env.clone(),
                api_version: f.api_version.clone(),
                kind: f.kind.clone(),
                namespace: f.namespace.clone(),
                name: f.name.clone(),
                file: source.to_string(),
                line: 0,
            });
        }
    }
}
