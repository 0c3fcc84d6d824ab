//! The loader: turns manifest files, folders, stdin and `parity.toml` into a
//! [`World`], reporting every unreadable file as a [`RunError`] and every
//! skipped document as a [`Notice`], never stopping early.
//!
//! Files are read and parsed in parallel (rayon), then assembled in sorted
//! path order so the result is the same on every run. Each file is read once,
//! by its real path (never by its display name). A file's text is dropped
//! after parsing; `World::sources` says where to read it again (checked by
//! length and content hash) for the lines and code frames of findings, and
//! [`locate::field_line`] finds a field's line in it where the tree recorded
//! none. Texts read from memory (stdin, named streams) are kept.

pub mod config;
pub mod crds;
pub mod envs;
pub mod error;
pub mod extract;
pub mod fast;
pub mod files;
pub mod json;
pub mod locate;
pub mod render;
pub mod scalar;
pub mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

pub use config::{Config, EnvConfig, read_config};
pub use error::LoadError;
pub use locate::{PathSeg, field_line};

use envs::{EnvName, Plan};
use extract::FileLoad;
use files::FileRef;

use crate::glob::Glob;
use crate::report::{ErrorAt, Notice, RunError};
use crate::world::{Env, Object, SourceText, World};

/// Display path of standard input in `World::files`.
pub const STDIN: &str = "<stdin>";

/// Default of [`LoadOptions::max_total_bytes`]: 1 GiB.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 1 << 30;

/// Limits and switches of one load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub follow_links: bool,
    pub max_file_bytes: u64,
    /// All input of one run together (files and stdin): memory grows with
    /// what is loaded, and files are parsed in parallel, so the per-file
    /// limit alone does not bound a run.
    pub max_total_bytes: u64,
    pub max_depth: usize,
    pub max_alias_nodes: usize,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            follow_links: false,
            max_file_bytes: 64 * 1024 * 1024,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_depth: 100,
            max_alias_nodes: 1_000_000,
        }
    }
}

impl LoadOptions {
    fn limits(&self) -> yaml::Limits {
        yaml::Limits { max_depth: self.max_depth, max_alias_nodes: self.max_alias_nodes }
    }
}

/// A command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

/// What a load produced. `errors`, `skipped` and `warnings` are sorted.
#[derive(Debug, Default)]
pub struct Loaded {
    pub world: World,
    pub errors: Vec<RunError>,
    pub skipped: Vec<Notice>,
    pub warnings: Vec<Notice>,
}

/// Loads envs discovered from command-line inputs and `--env NAME=PATH`
/// pairs. `stdin_text` is the content of stdin when `Input::Stdin` is given.
pub fn load_inputs(
    inputs: &[Input],
    explicit: &[(String, PathBuf)],
    stdin_text: Option<String>,
    opts: &LoadOptions,
) -> Loaded {
    load_inputs_with(inputs, explicit, stdin_text, Vec::new(), opts)
}

/// As [`load_inputs`], with env sources read already (named stdin, pipes):
/// (env, display name, text).
pub fn load_inputs_with(
    inputs: &[Input],
    explicit: &[(String, PathBuf)],
    stdin_text: Option<String>,
    texts: Vec<envs::Memory>,
    opts: &LoadOptions,
) -> Loaded {
    let mut plan = envs::plan_inputs(inputs, explicit, opts);
    plan.texts.extend(texts);
    let wants_stdin = inputs.contains(&Input::Stdin);
    let stdin = if wants_stdin { Some(stdin_text.unwrap_or_default()) } else { None };
    let mut loaded = assemble(plan, stdin, &HashMap::new(), opts);
    let started = std::time::Instant::now();
    envs::apply_order(&mut loaded.world, None);
    timing("index", started);
    loaded
}

/// Reads a `parity.toml` and loads the envs it declares.
pub fn load_config(config_path: &Path, opts: &LoadOptions) -> Loaded {
    match read_config(config_path) {
        Ok(config) => load_configured(&config, opts),
        Err(e) => Loaded { errors: vec![e], ..Loaded::default() },
    }
}

/// Loads the envs declared in a configuration already read.
pub fn load_configured(config: &Config, opts: &LoadOptions) -> Loaded {
    let mut plan = envs::plan_config(&config.envs, &config.file, &config.base, opts);
    let (texts, errors) = render_config(config, opts);
    plan.texts.extend(texts);
    plan.errors.extend(errors);
    let settings: HashMap<String, EnvConfig> = config.envs.iter().map(|e| (e.name.clone(), e.clone())).collect();
    let mut loaded = assemble(plan, None, &settings, opts);
    // Declared envs exist even when their sources hold no objects.
    for env in &config.envs {
        if loaded.world.env_by_name(&env.name).is_none() {
            let mut e = Env::new(env.name.clone());
            e.tags = env.tags.clone();
            e.default_namespace = env.namespace.clone();
            loaded.world.envs.push(e);
        }
    }
    apply_versions(&mut loaded, &config.envs, &config.file);
    envs::apply_order(&mut loaded.world, config.promotion.as_deref());
    loaded
}

/// Gives each configured env its declared `version` unless its sources
/// (a snapshot's server version) already gave it one; a declared minor that
/// differs from the snapshot's is reported as a warning.
pub fn apply_versions(loaded: &mut Loaded, configured: &[EnvConfig], shown: &str) {
    for setting in configured {
        let Some(declared) = &setting.version else { continue };
        let Some(env) = loaded.world.envs.iter_mut().find(|e| e.name == setting.name) else { continue };
        match &env.version {
            // Written as the API server writes it (`v1.30`), so messages
            // read the same whichever source gave the version.
            None => {
                let v = declared.get_ref().trim();
                env.version = Some(if v.starts_with(['v', 'V']) { v.to_string() } else { format!("v{v}") });
            }
            Some(found) => {
                let minor = |s: &str| crate::world::Version::parse(s).map(|v| (v.major(), v.minor_number()));
                if minor(found) != minor(declared.get_ref()) {
                    loaded.warnings.push(Notice {
                        code: "parity::load::config".into(),
                        file: shown.into(),
                        line: 0,
                        message: format!(
                            "env `{}` declares `version = {:?}`, but its snapshot reports {found}; the snapshot's version is used",
                            setting.name,
                            declared.get_ref()
                        ),
                    });
                }
            }
        }
    }
    loaded.warnings.sort();
}

/// With `PARITY_TIMINGS` set, prints how long a part of loading took.
/// Renders the `render` envs of a configuration, in parallel.
pub fn render_config(config: &Config, opts: &LoadOptions) -> (Vec<envs::Memory>, Vec<RunError>) {
    let specs: Vec<render::Spec> = config
        .envs
        .iter()
        .filter(|e| !e.render.is_empty())
        .map(|e| render::Spec { env: e.name.clone(), argv: e.render.clone(), dir: config.base.clone() })
        .collect();
    let timeout = config.render_timeout.map(std::time::Duration::from_secs).unwrap_or(render::DEFAULT_TIMEOUT);
    let mut texts = Vec::new();
    let mut errors = Vec::new();
    for (spec, out) in specs.iter().zip(render::render_all(&specs, &config.file, timeout, opts.max_file_bytes)) {
        match out {
            Ok(text) => texts.push((spec.env.clone(), render::display(&spec.env), text)),
            Err(e) => errors.push(e),
        }
    }
    (texts, errors)
}

fn timing(part: &str, since: std::time::Instant) {
    if crate::timing::enabled() {
        crate::timing::phase(&format!("  load: {part}"), since);
    }
}

/// One file after reading: where it is, what it produced, its objects, and
/// where its text can be had again (`World::sources`).
type FileResult = (FileRef, FileLoad, Vec<Object>, SourceText);

/// Reads every planned file once (in parallel), then builds the envs in
/// sorted path order. `settings` carries carving and mapping for configured
/// envs.
fn assemble(plan: Plan, stdin: Option<String>, settings: &HashMap<String, EnvConfig>, opts: &LoadOptions) -> Loaded {
    let started = std::time::Instant::now();
    let Plan { files: mut planned, mut errors, mut warnings, texts } = plan;
    planned.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    planned.dedup();
    let mut unique: Vec<FileRef> = planned.iter().map(|(_, f)| f.clone()).collect();
    unique.dedup();
    let limits = opts.limits();
    // The input budget of the run, given out in path order (stdin first) by
    // the files' sizes before anything is read: which files are refused
    // does not depend on which thread reads first.
    let in_memory: u64 = texts.iter().map(|(_, _, t)| t.len() as u64).sum();
    let mut left =
        opts.max_total_bytes.saturating_sub(stdin.as_ref().map_or(0, |s| s.len() as u64)).saturating_sub(in_memory);
    let stdin_fits = stdin.as_ref().is_none_or(|s| s.len() as u64 <= opts.max_total_bytes);
    let allowed: Vec<Option<u64>> = unique
        .iter()
        .map(|f| {
            let len = std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
            if len > opts.max_file_bytes {
                // Refused by the per-file limit when read.
                Some(len)
            } else if len <= left {
                left -= len;
                Some(len)
            } else {
                None
            }
        })
        .collect();
    let over_total = |shown: &str| {
        let message = format!(
            "reading this file would pass the limit of {} bytes for all input of one run (change it with \
             --max-total-size)",
            opts.max_total_bytes
        );
        LoadError::TotalTooLarge(message).at(shown)
    };
    // Objects are built here, in parallel, too (their identity is read from
    // the tree); the file id and env are set when they are placed.
    let objects_of = |load: &FileLoad| -> Vec<Object> {
        let mut names = crate::world::Names::default();
        let tree = &load.tree;
        load.objects
            .iter()
            .map(|r| Object::with_names(tree.clone(), r.root, 0, 0, r.line, r.offset, &mut names))
            .collect()
    };
    // Keyed by the real path (with its display): two files whose names
    // display alike are still two files.
    // Each file is read once. Its text is not kept: the lines and code
    // frames of findings are found after the rules ran, by reading the
    // files that have findings again, one at a time (`World::sources`);
    // only a file that still has the length and content hash it had here is
    // used then.
    let on_disk = |load: &FileLoad, f: &FileRef, text: &str| {
        if load.objects.is_empty() {
            SourceText::None
        } else {
            SourceText::Disk { path: f.path.clone(), len: text.len() as u64, hash: files::text_hash(text) }
        }
    };
    let from_memory = |load: &FileLoad, text: String| {
        if load.objects.is_empty() { SourceText::None } else { SourceText::Memory(Arc::new(text)) }
    };
    let mut loads: Vec<FileResult> = unique
        .par_iter()
        .zip(allowed.par_iter())
        .map(|(f, allowed)| {
            let read = match allowed {
                Some(n) => files::read_text(&f.path, &f.display, opts.max_file_bytes).and_then(|text| {
                    // A file that grew since its size was taken is held to
                    // it: the budget was given out by that size.
                    if text.len() as u64 > *n {
                        let message = format!(
                            "the file changed while parity read it: it grew from {n} to {} bytes; run again",
                            text.len()
                        );
                        Err(LoadError::Io(message).at(&f.display))
                    } else {
                        Ok(text)
                    }
                }),
                None => Err(over_total(&f.display)),
            };
            let (load, text) = match read {
                Ok(text) => {
                    let load = extract::load_text(&text, &f.display, f.is_json(), &limits);
                    let source = on_disk(&load, f, &text);
                    (load, source)
                }
                Err(e) => (FileLoad { errors: vec![e], ..FileLoad::default() }, SourceText::None),
            };
            let objects = objects_of(&load);
            (f.clone(), load, objects, text)
        })
        .collect();
    timing("read and parse", started);
    let started = std::time::Instant::now();
    let stdin_len = stdin.as_ref().map_or(0, |s| s.len() as u64);
    if let Some(text) = stdin {
        let load = if stdin_fits {
            let is_json = text.trim_start().starts_with(['{', '[']) && json::parse(&text, STDIN).is_ok();
            extract::load_text(&text, STDIN, is_json, &limits)
        } else {
            FileLoad { errors: vec![over_total(STDIN)], ..FileLoad::default() }
        };
        let objects = objects_of(&load);
        let file = FileRef { display: STDIN.into(), path: PathBuf::new() };
        let source = from_memory(&load, text);
        loads.push((file.clone(), load, objects, source));
        planned.push((EnvName::Fixed("stdin".into()), file));
    }
    // Named stdin, pipes and rendered sources: read already, loaded as
    // stdin is.
    let memory_fits = stdin_len.saturating_add(in_memory) <= opts.max_total_bytes;
    for (env, display, text) in texts {
        let load = if memory_fits {
            let is_json = text.trim_start().starts_with(['{', '[']) && json::parse(&text, &display).is_ok();
            extract::load_text(&text, &display, is_json, &limits)
        } else {
            FileLoad { errors: vec![over_total(&display)], ..FileLoad::default() }
        };
        let objects = objects_of(&load);
        let file = FileRef { display, path: PathBuf::new() };
        let source = from_memory(&load, text);
        loads.push((file.clone(), load, objects, source));
        planned.push((EnvName::Fixed(env), file));
    }
    let mut world = World::default();
    let mut skipped = Vec::new();
    // How many envs each file feeds, counted in one pass (counting per file
    // by scanning the plan was quadratic: 100k files took 17 s).
    let mut uses_of: HashMap<FileRef, usize> = HashMap::with_capacity(planned.len());
    for (_, f) in &planned {
        *uses_of.entry(f.clone()).or_insert(0) += 1;
    }
    let mut by_file: HashMap<FileRef, (u32, FileLoad, Vec<Object>, usize)> = HashMap::with_capacity(loads.len());
    for (file, load, objects, text) in loads {
        errors.extend(load.errors.iter().cloned());
        skipped.extend(load.skipped.iter().cloned());
        warnings.extend(load.warnings.iter().cloned());
        let id = world.files.len() as u32;
        world.files.push(file.display.clone());
        world.sources.push(text);
        let uses = uses_of.get(&file).copied().unwrap_or(0);
        by_file.insert(file, (id, load, objects, uses));
    }
    let env_name = |name: &EnvName, load: &FileLoad| match name {
        EnvName::Fixed(n) => n.clone(),
        EnvName::SnapshotOr(stem) => {
            load.snapshot.as_ref().and_then(|s| s.context.clone()).unwrap_or_else(|| stem.clone())
        }
    };
    // Each env's objects in one vector sized once: grown file by file, it
    // was copied again and again, and the vectors it left behind stayed
    // in the allocator's pages (a tenth of the peak on 190k objects).
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for (name, file) in &planned {
        if let Some((_, load, built, _)) = by_file.get(file) {
            *sizes.entry(env_name(name, load)).or_default() += built.len();
        }
    }
    let mut envs: BTreeMap<String, Env> = BTreeMap::new();
    for (name, size) in sizes {
        envs.entry(name.clone()).or_insert_with(|| Env::new(name)).objects.reserve_exact(size);
    }
    for (name, file) in &planned {
        let Some((id, load, built, uses)) = by_file.get_mut(file) else {
            continue;
        };
        let snapshot = load.snapshot.clone().unwrap_or_default();
        let env_name = env_name(name, load);
        *uses -= 1;
        let objects = if *uses == 0 { std::mem::take(built) } else { built.clone() };
        let setting = settings.get(&env_name);
        let env = envs.entry(env_name.clone()).or_insert_with(|| Env::new(env_name.clone()));
        if env.version.is_none() {
            env.version = snapshot.server_version;
        }
        // Checked when parity.toml was read, so none is dropped here.
        let globs: Vec<Glob> =
            setting.map(|s| s.namespaces.iter().filter_map(|g| Glob::new(g).ok()).collect()).unwrap_or_default();
        for mut obj in objects {
            if envs::carve_keeps(&globs, obj.value()) {
                obj.file = *id;
                env.objects.push(obj);
            }
        }
    }
    for (name, setting) in settings {
        let Some(env) = envs.get_mut(name) else {
            continue;
        };
        env.tags = setting.tags.clone();
        env.default_namespace = setting.namespace.clone();
        let names = env.objects.iter().flat_map(|o| {
            let own = (&*o.kind == "Namespace").then_some(&*o.name);
            o.namespace.as_deref().into_iter().chain(own)
        });
        env.namespace_map = envs::namespace_map(names, setting.strip_prefix.as_deref(), &setting.namespace_map);
    }
    world.envs = envs.into_values().collect();
    timing("assemble", started);
    errors.sort();
    errors.dedup();
    skipped.sort();
    warnings.sort();
    warnings.dedup();
    Loaded { world, errors, skipped, warnings }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
