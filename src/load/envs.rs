//! Which file belongs to which env: discovery from command-line inputs
//! (sub-folders, files, snapshots, stdin, `--env NAME=PATH`), namespace
//! carving and mapping for envs declared in `parity.toml`, and the promotion
//! order.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::LoadError;
use super::config::EnvConfig;
use super::files::{self, FileRef};
use super::{Input, LoadOptions};
use crate::glob::Glob;
use crate::report::{ErrorAt, Notice, RunError};
use crate::world::World;
use crate::world::tree::NodeRef;

/// The env a file goes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnvName {
    Fixed(String),
    /// A single file argument: its snapshot `context` when it is a snapshot,
    /// else this fallback (the file stem).
    SnapshotOr(String),
}

/// Files planned for loading, with their env.
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<(EnvName, FileRef)>,
    pub errors: Vec<RunError>,
    pub warnings: Vec<Notice>,
    /// Texts read already, as (env, display name, text): named stdin,
    /// pipes and rendered sources.
    pub texts: Vec<Memory>,
}

/// An env source read already: (env, display name, text).
pub type Memory = (String, String, String);

/// The name of a folder, even for `.` or `..`.
fn folder_name(path: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    name(path)
        .filter(|n| n != "." && n != "..")
        .or_else(|| std::fs::canonicalize(path).ok().and_then(|p| name(&p)))
        .unwrap_or_else(|| "root".into())
}

/// Plans the files of command-line inputs and explicit `NAME=PATH` pairs.
/// Stdin is handled by the caller.
pub fn plan_inputs(inputs: &[Input], explicit: &[(String, PathBuf)], opts: &LoadOptions) -> Plan {
    let mut plan = Plan::default();
    for input in inputs {
        let Input::Path(path) = input else { continue };
        let shown = files::display(path);
        if path.is_dir() {
            plan_folder(path, &shown, opts, &mut plan);
        } else if path.is_file() {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let env = EnvName::SnapshotOr(stem.unwrap_or_else(|| shown.clone()));
            plan.files.push((env, FileRef { display: shown, path: path.clone() }));
        } else {
            plan.errors.push(missing(path, &shown));
        }
    }
    for (name, path) in explicit {
        let shown = files::display(path);
        let found = if path.is_dir() {
            files::walk(path, &shown, opts.follow_links, &mut plan.errors, &mut plan.warnings)
        } else if path.is_file() {
            vec![FileRef { display: shown.clone(), path: path.clone() }]
        } else {
            plan.errors.push(missing(path, &shown));
            continue;
        };
        plan.files.extend(found.into_iter().map(|f| (EnvName::Fixed(name.clone()), f)));
    }
    plan
}

fn missing(path: &Path, shown: &str) -> RunError {
    // Something that exists but is neither (a FIFO, a device, a broken
    // link) is not "missing": say what it is not.
    let message = if files::is_pipe(path) {
        // Only a pipe named as an env (`--env NAME=PATH`) is read.
        "not a regular file or folder (a pipe: name it as an env with `--env NAME=PATH` to read it)"
    } else if std::fs::symlink_metadata(path).is_ok() {
        "not a regular file or folder"
    } else {
        "no such file or folder"
    };
    LoadError::Io(message.into()).at(shown)
}

/// A folder input: one env per non-hidden sub-folder, or one env for the
/// whole folder when it has none.
fn plan_folder(path: &Path, shown: &str, opts: &LoadOptions, plan: &mut Plan) {
    let (mut dirs, loose) = files::entries(path, shown, opts.follow_links, &mut plan.errors, &mut plan.warnings);
    let top = folder_name(path);
    // `parity check .` at a repository root: the rule folder and its test
    // cases are never envs (name one with `--env tests=PATH` if need be).
    dirs.retain(|(name, _)| {
        let rules_or_tests = name == "rules" || name == "tests";
        if rules_or_tests {
            plan.warnings.push(Notice {
                code: "parity::load::not-an-env".into(),
                file: files::join(shown, name),
                line: 0,
                message: format!(
                    "folder `{name}` holds rules or test cases, so it is not loaded as an env \
                     (name it with `--env {name}=PATH` to check it)"
                ),
            });
        }
        !rules_or_tests
    });
    if dirs.is_empty() {
        plan.files.extend(loose.into_iter().map(|f| (EnvName::Fixed(top.clone()), f)));
        return;
    }
    if !loose.is_empty() {
        plan.warnings.push(Notice {
            code: "parity::load::loose-files".into(),
            file: shown.into(),
            line: 0,
            message: format!(
                "{} manifest file(s) directly in `{shown}` sit next to env folders; \
                 they are loaded as env `{top}`",
                loose.len()
            ),
        });
        plan.files.extend(loose.into_iter().map(|f| (EnvName::Fixed(top.clone()), f)));
    }
    for (name, dir) in dirs {
        let sub_shown = files::join(shown, &name);
        let found = files::walk(&dir, &sub_shown, opts.follow_links, &mut plan.errors, &mut plan.warnings);
        plan.files.extend(found.into_iter().map(|f| (EnvName::Fixed(name.clone()), f)));
    }
}

/// Plans the files of envs declared in `parity.toml`; sources are relative
/// to the configuration's folder.
pub fn plan_config(envs: &[EnvConfig], config_shown: &str, base: &Path, opts: &LoadOptions) -> Plan {
    let mut plan = Plan::default();
    for env in envs {
        for source in env.all_sources() {
            let path = base.join(source);
            let shown = files::display(&path);
            let found = if path.is_dir() {
                files::walk(&path, &shown, opts.follow_links, &mut plan.errors, &mut plan.warnings)
            } else if path.is_file() {
                vec![FileRef { display: shown, path }]
            } else {
                plan.errors.push(
                    LoadError::Config(format!("source `{source}` of env `{}` does not exist ({shown})", env.name))
                        .at(config_shown),
                );
                continue;
            };
            plan.files.extend(found.into_iter().map(|f| (EnvName::Fixed(env.name.clone()), f)));
        }
    }
    plan
}

/// Promotion rank of an env name when no order is configured.
pub fn rank(name: &str) -> usize {
    match name.to_ascii_lowercase().as_str() {
        "dev" | "development" => 0,
        "test" => 1,
        "qa" => 2,
        "uat" => 3,
        "stage" | "staging" => 4,
        "preprod" => 6,
        "prod" | "production" => 7,
        _ => 5,
    }
}

/// Sets every env's `order` (configured promotion first, then by rank) and
/// calls `World::finish`, which sorts (ties by name) and reindexes.
pub fn apply_order(world: &mut World, promotion: Option<&[String]>) {
    let listed = promotion.unwrap_or(&[]);
    for env in &mut world.envs {
        env.order = match listed.iter().position(|n| *n == env.name) {
            Some(i) => i,
            None => listed.len() + rank(&env.name),
        };
    }
    world.finish();
}

/// Whether an object stays in an env carved by namespace globs.
pub fn carve_keeps(globs: &[Glob], value: NodeRef) -> bool {
    if globs.is_empty() {
        return true;
    }
    let kind = value.str_field("kind").unwrap_or("");
    let meta = value.get("metadata");
    let field = |k: &str| meta.and_then(|m| m.str_field(k)).unwrap_or("");
    let subject = if kind == "Namespace" { field("name") } else { field("namespace") };
    if subject.is_empty() {
        return kind != "Namespace";
    }
    globs.iter().any(|g| g.is_match(subject))
}

/// The namespace map of a configured env: `strip-prefix` applied to every
/// namespace its objects use, then the explicit pairs on top.
pub fn namespace_map<'a>(
    names: impl Iterator<Item = &'a str>,
    strip_prefix: Option<&str>,
    explicit: &BTreeMap<String, String>,
) -> HashMap<String, String> {
    let mut map = HashMap::new();
    if let Some(prefix) = strip_prefix.filter(|p| !p.is_empty()) {
        for name in names {
            if let Some(rest) = name.strip_prefix(prefix).filter(|r| !r.is_empty()) {
                map.insert(name.to_string(), rest.to_string());
            }
        }
    }
    map.extend(explicit.iter().map(|(k, v)| (k.clone(), v.clone())));
    map
}

#[cfg(test)]
#[path = "envs_tests.rs"]
mod tests;
