//! `parity.toml`: the declared envs, their sources, tags, namespace carving
//! and mapping, the promotion order, and the `[[exception]]` waivers.
//!
//! The file is parsed once, by the TOML parser, into these typed structs
//! ([`read_config`]); the loader, `check` and the exceptions take what they
//! need from the one [`Config`]. Unknown keys are errors (with the key, file,
//! line and column, and the closest known key) so a typo never silently
//! changes what is checked. To add a key, add a field here: serde rejects
//! every key no field names.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::LoadError;
use crate::report::{ErrorAt, RunError};

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Promotion order by env name, first to last.
    #[serde(default)]
    pub promotion: Option<Vec<String>>,
    #[serde(default, rename = "env", deserialize_with = "spanned_envs")]
    pub envs: Vec<EnvConfig>,
    /// Rule files or folders, relative to this file, loaded with those of
    /// the command line, in addition to the standard library.
    #[serde(default)]
    pub rules: Vec<String>,
    /// CustomResourceDefinition files or folders, relative to this file,
    /// used with those of `--crd` (`schema::given`).
    #[serde(default)]
    pub crds: Vec<String>,
    /// Rule selection by id, tag or glob (see `crate::select`): only these
    /// rules run (`--select` replaces it).
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Rules added to the selection (with `--extend-select`).
    #[serde(default, rename = "extend-select")]
    pub extend_select: Vec<String>,
    /// Rules taken out of the selection (with `--ignore`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The standard library is not loaded (as `--no-stdlib`).
    #[serde(default, rename = "no-stdlib")]
    pub no_stdlib: bool,
    /// Seconds each `render` command may run (default 120).
    #[serde(default, rename = "render-timeout")]
    pub render_timeout: Option<u64>,
    /// Skipped files and documents do not make the run fail (exit 2).
    #[serde(default, rename = "allow-skipped")]
    pub allow_skipped: bool,
    /// `[[exception]]` tables (or `exception = [...]`), checked by
    /// `waive::from_config`.
    #[serde(default, rename = "exception")]
    pub exceptions: Vec<toml::Spanned<ExceptionConfig>>,
    /// The file as shown in messages (set by `parse_config`).
    #[serde(skip)]
    pub file: String,
    /// The folder env sources are relative to (set by `read_config`).
    #[serde(skip)]
    pub base: PathBuf,
    /// The file's text, for `line_col`.
    #[serde(skip)]
    source: String,
}

impl Config {
    /// 1-based line and column of a byte offset of the file.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        crate::diag::line_col(&self.source, offset)
    }

    /// An error at a byte offset of the file.
    pub fn error_at(&self, error: impl miette::Diagnostic, offset: usize) -> RunError {
        let (line, column) = self.line_col(offset);
        RunError::new(&error, self.file.clone(), line, column)
    }
}

/// One `[[exception]]`: globs (default `*`), why, who, until when.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionConfig {
    pub rule: String,
    #[serde(default = "star")]
    pub env: String,
    #[serde(default = "star")]
    pub kind: String,
    #[serde(default = "star")]
    pub namespace: String,
    #[serde(default = "star")]
    pub name: String,
    pub reason: String,
    pub owner: String,
    pub expires: Option<String>,
}

fn star() -> String {
    "*".into()
}

/// `[[env]]` tables, each with the byte range it was written at.
fn spanned_envs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EnvConfig>, D::Error> {
    let list: Vec<toml::Spanned<EnvConfig>> = Vec::deserialize(d)?;
    Ok(list
        .into_iter()
        .map(|s| {
            let span = s.span();
            EnvConfig { span, ..s.into_inner() }
        })
        .collect())
}

/// One `[[env]]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnvConfig {
    /// Where the table is written in the file (bytes), for messages.
    #[serde(skip)]
    pub span: Range<usize>,
    pub name: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// A command whose standard output is the env's manifests
    /// (`["kubectl", "kustomize", "overlays/prod"]`), run without a shell
    /// from the configuration's folder.
    #[serde(default)]
    pub render: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Globs: keep only objects in matching namespaces.
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub strip_prefix: Option<String>,
    /// Own namespace name → canonical name.
    #[serde(default)]
    pub namespace_map: BTreeMap<String, String>,
    /// The namespace objects without `metadata.namespace` are applied to
    /// (as `kubectl apply -n`); `default` when not given.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The kube context `parity audit` reads this env from.
    #[serde(default)]
    pub context: Option<String>,
    /// The env's Kubernetes version (`"1.30"`), for envs whose sources do
    /// not say it (a snapshot's server version takes precedence).
    #[serde(default)]
    pub version: Option<toml::Spanned<String>>,
}

impl EnvConfig {
    /// `source` and `sources` together, in that order.
    pub fn all_sources(&self) -> Vec<&str> {
        self.source.iter().chain(&self.sources).map(String::as_str).collect()
    }
}

/// The size limit of `parity.toml` (read with the bounded reader: a FIFO or
/// device is refused, never waited on).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads and validates `parity.toml`: the one read of the file.
pub fn read_config(path: &Path) -> Result<Config, RunError> {
    let shown = super::files::display(path);
    let text = super::files::read_text(path, &shown, MAX_CONFIG_BYTES).map_err(|e| {
        LoadError::Config(format!("cannot read configuration: {}", e.message)).at_pos(&e.file, e.line, e.column)
    })?;
    let mut config = parse_config(&text, &shown)?;
    config.base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    Ok(config)
}

/// Parses configuration text; `shown` names the file in errors.
pub fn parse_config(text: &str, shown: &str) -> Result<Config, RunError> {
    let located = Config { file: shown.into(), source: text.into(), ..Config::default() };
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let message = with_suggestion(e.message().trim());
        match e.span() {
            Some(s) => located.error_at(LoadError::Config(message), s.start),
            None => LoadError::Config(message).at(shown),
        }
    })?;
    config.file = located.file.clone();
    config.source = located.source;
    let mut seen = std::collections::HashSet::new();
    for env in &config.envs {
        let error = |message: String| config.error_at(LoadError::Config(message), env.span.start);
        if env.name.trim().is_empty() {
            return Err(error("an `[[env]]` has an empty `name`".into()));
        }
        if !seen.insert(env.name.as_str()) {
            return Err(error(format!("env `{}` is declared twice", env.name)));
        }
        if env.all_sources().is_empty() && env.render.is_empty() {
            return Err(error(format!("env `{}` has no `source`, `sources` or `render`", env.name)));
        }
        if env.render.first().is_some_and(|c| c.trim().is_empty()) {
            return Err(error(format!("env `{}` has a `render` command with an empty program name", env.name)));
        }
        for g in &env.namespaces {
            if let Err(e) = crate::glob::Glob::new(g) {
                return Err(error(format!("env `{}` has a namespace glob that cannot be used: {e}", env.name)));
            }
        }
        if let Some(v) = &env.version
            && !is_kubernetes_version(v.get_ref())
        {
            return Err(config.error_at(
                LoadError::Config(format!(
                    "env `{}` has `version = {:?}`, which is not a Kubernetes version like \"1.30\"",
                    env.name,
                    v.get_ref()
                )),
                v.span().start,
            ));
        }
    }
    Ok(config)
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`,
/// `b`" (or "expected `a` or `b`") when a known key is close.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else { return message.to_string() };
    let Some((unknown, expected)) = rest.split_once('`') else { return message.to_string() };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match crate::diag::did_you_mean(unknown, known) {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message.to_string(),
    }
}

/// `1.30`, `v1.30.4`, `1.30.4-eks-1`: a version with at least a minor part.
fn is_kubernetes_version(s: &str) -> bool {
    let s = s.trim();
    let release = s.strip_prefix(['v', 'V']).unwrap_or(s).split(['-', '+']).next().unwrap_or("");
    release.contains('.') && crate::world::Version::parse(s).is_some()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
