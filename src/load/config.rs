//! `parity.toml`: the declared envs, their sources, tags, namespace carving
//! and mapping, and the promotion order. Unknown keys are errors (with the
//! key, file and line) so a typo never silently changes what is checked.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::report::RunError;

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Promotion order by env name, first to last.
    #[serde(default)]
    pub promotion: Option<Vec<String>>,
    #[serde(default, rename = "env")]
    pub envs: Vec<EnvConfig>,
    /// Reserved for a later feature; kept raw.
    #[serde(default, rename = "exception")]
    pub exceptions: Vec<toml::Value>,
}

/// One `[[env]]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnvConfig {
    pub name: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
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

/// Reads and validates `parity.toml`.
pub fn read_config(path: &Path) -> Result<Config, RunError> {
    let shown = super::files::display(path);
    let text = std::fs::read_to_string(path).map_err(|e| RunError {
        code: "parity::load::config".into(),
        file: shown.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read configuration: {e}"),
    })?;
    parse_config(&text, &shown)
}

/// Parses configuration text; `shown` names the file in errors.
pub fn parse_config(text: &str, shown: &str) -> Result<Config, RunError> {
    let error = |line: u32, column: u32, message: String| RunError {
        code: "parity::load::config".into(),
        file: shown.into(),
        line,
        column,
        message,
    };
    let config: Config = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        error(line, column, e.message().trim().to_string())
    })?;
    let mut seen = std::collections::HashSet::new();
    for env in &config.envs {
        if env.name.trim().is_empty() {
            return Err(error(0, 0, "an `[[env]]` has an empty `name`".into()));
        }
        if !seen.insert(env.name.as_str()) {
            return Err(error(0, 0, format!("env `{}` is declared twice", env.name)));
        }
        if env.all_sources().is_empty() {
            return Err(error(0, 0, format!("env `{}` has no `source` or `sources`", env.name)));
        }
        if let Some(v) = &env.version
            && !is_kubernetes_version(v.get_ref())
        {
            let (line, column) = line_col(text, v.span().start);
            return Err(error(
                line,
                column,
                format!(
                    "env `{}` has `version = {:?}`, which is not a Kubernetes version like \"1.30\"",
                    env.name,
                    v.get_ref()
                ),
            ));
        }
    }
    Ok(config)
}

/// `1.30`, `v1.30.4`, `1.30.4-eks-1`: a version with at least a minor part.
fn is_kubernetes_version(s: &str) -> bool {
    let s = s.trim();
    let release = s.strip_prefix(['v', 'V']).unwrap_or(s).split(['-', '+']).next().unwrap_or("");
    release.contains('.') && crate::world::Version::parse(s).is_some()
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
