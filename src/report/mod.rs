//! Findings and the run report, plus one renderer per output format.
//!
//! The core only builds these values; `cli/` picks the renderer. Everything
//! here is sorted before rendering so output is byte-identical on every run
//! and thread count.

use serde::Serialize;
use serde_json::Value as Json;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    #[default]
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an object lives: enough to name it and to jump to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub env: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub file: String,
    pub line: u32,
}

/// One violation of one rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub env: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Empty for a finding about an env as a whole.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Empty (and `line` 0) when the finding is about an env as a whole.
    pub file: String,
    pub line: u32,
    pub message: String,
    /// Structured evidence: the values that made the rule fail, per env for
    /// cross-env rules.
    pub evidence: Json,
    /// Other objects the finding is about: counterparts in other envs, or the
    /// objects that triggered an env-level rule.
    pub related: Vec<Location>,
    /// Source lines around `line` (line number, text as written), from the
    /// manifest text the loader kept in memory: the human report's code
    /// frame. Not part of the JSON schema.
    #[serde(skip)]
    pub frame: Vec<(u32, String)>,
    /// While a rule run is under way: the engine's ticket for the lines and
    /// frame it finds after the rules ran (in files read again); 0 once
    /// they are set, and for findings not about an object. Not reported.
    #[serde(skip)]
    pub unsettled: u32,
}

impl Finding {
    /// The sort key that fixes output order: rule, env, file, line, kind,
    /// namespace, name, message.
    fn key(&self) -> impl Ord + '_ {
        (&self.rule, &self.env, &self.file, self.line, &self.kind, &self.namespace, &self.name, &self.message)
    }
}

/// A problem that stopped something from being read or evaluated. The run
/// goes on; its exit code becomes 2.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RunError {
    /// A stable code such as `parity::load::yaml`.
    pub code: String,
    /// The file concerned, empty when none.
    pub file: String,
    /// 1-based line and column, 0 when unknown.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl RunError {
    /// The report's record of a phase's error: its stable code (from the
    /// error's `Diagnostic::code`) and message, with where it happened.
    /// Each phase has its own error enum (`load::LoadError`,
    /// `waive::WaiveError`, `engine::EngineError`, `pipeline::PlanError`,
    /// `cli::CliError`, `cluster::KubeError`; compile diagnostics carry a
    /// `diag::Code`), so a code is never spelt at a call site.
    pub fn new(error: &dyn miette::Diagnostic, file: impl Into<String>, line: u32, column: u32) -> RunError {
        RunError { code: code_of(error), file: file.into(), line, column, message: error.to_string() }
    }
}

impl Notice {
    /// A warning with a phase error's code and message (a rule of the
    /// standard library naming an env that is not loaded, an ignore
    /// pattern naming no rule).
    pub fn new(error: &dyn miette::Diagnostic, file: impl Into<String>, line: u32) -> Notice {
        Notice { code: code_of(error), file: file.into(), line, message: error.to_string() }
    }
}

/// The stable code of a phase's error (every variant has one).
pub fn code_of(error: &dyn miette::Diagnostic) -> String {
    error.code().map_or_else(|| "parity::internal".to_string(), |c| c.to_string())
}

/// Any phase's error placed in a file: `LoadError::Io(m).at(file)`.
pub trait ErrorAt: miette::Diagnostic + Sized {
    /// The report's error for a whole file (no position).
    fn at(self, file: &str) -> RunError {
        RunError::new(&self, file, 0, 0)
    }

    /// The report's error at a 1-based line and column of a file.
    fn at_pos(self, file: &str, line: u32, column: u32) -> RunError {
        RunError::new(&self, file, line, column)
    }

    /// The report's error of the run as a whole (no file).
    fn whole_run(self) -> RunError {
        RunError::new(&self, "", 0, 0)
    }
}

impl<T: miette::Diagnostic + Sized> ErrorAt for T {}

/// Something the user should know that is not an error: a skipped file, a
/// YAML 1.1 boolean, a rule naming an env that is not loaded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Notice {
    pub code: String,
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// What a renderer needs to know about a rule that has no finding: its
/// documentation. The CLI fills it from the compiled rule set, so this
/// module stays free of bytecode types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDoc {
    pub id: String,
    pub severity: Severity,
    /// One line: what the rule checks.
    pub title: String,
    /// Why it matters.
    pub why: String,
    /// How to fix a finding.
    pub fix: String,
    /// An example (rule text or a manifest snippet); may be empty.
    pub example: String,
    pub tags: Vec<String>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub rules: usize,
    pub envs: Vec<String>,
    pub objects: usize,
    pub files: usize,
    pub skipped: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub run_errors: usize,
    /// Findings waived by an annotation, a `parity.toml` exception or the
    /// baseline (listed with `--show-waived`).
    pub waived: usize,
    /// Rules that examined no subject in any env: their nouns and filters
    /// matched nothing (sorted ids). A typo in a custom noun shows here.
    pub unmatched_rules: Vec<String>,
    /// The configuration file the run used (`parity.toml`, found from the
    /// current folder up to the repository root, or `--config`); absent
    /// when none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub config: String,
    /// The envs the schema rules checked against the newest bundled
    /// Kubernetes version because no version was known for them, and that
    /// version (absent when every env had one, or no schema rule ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaDefault>,
    /// With exactly one env loaded: the rules that compare envs
    /// (counterparts, `exists in`, `agree on`), which had nothing to compare
    /// (sorted ids). Empty with two or more envs.
    pub uncompared_rules: Vec<String>,
    /// Wall time in milliseconds. Always present, and the only field of the
    /// report that differs between two runs over the same input; tests and
    /// consumers that compare reports should ignore it.
    pub elapsed_ms: u64,
}

/// Envs without a known Kubernetes version and the schema version they were
/// checked against.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaDefault {
    pub version: String,
    pub envs: Vec<String>,
}

/// Everything one run produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub errors: Vec<RunError>,
    pub skipped: Vec<Notice>,
    pub warnings: Vec<Notice>,
    /// Waived findings, when asked for with `--show-waived` (always counted
    /// in `summary.waived`).
    pub waived: Vec<Waived>,
    /// The user accepted skipped files and documents (`--allow-skipped` or
    /// `allow-skipped = true` in parity.toml): they no longer make the run
    /// incomplete.
    #[serde(skip)]
    pub allow_skipped: bool,
}

/// A finding that was waived on purpose, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waived {
    #[serde(flatten)]
    pub finding: Finding,
    /// The reason given with the waiver.
    pub reason: String,
    /// What waived it: `annotation`, `parity.toml:LINE` or `baseline`.
    pub waived_by: String,
    /// Who owns the exception (empty for annotations and the baseline).
    pub owner: String,
}

impl Report {
    /// Sorts every list and fills the counts of the summary.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| a.key().cmp(&b.key()));
        self.findings.dedup();
        for f in &mut self.findings {
            f.related.sort();
            f.related.dedup();
        }
        self.errors.sort();
        self.errors.dedup();
        self.skipped.sort();
        self.warnings.sort();
        self.warnings.dedup();
        self.waived.sort_by(|a, b| a.finding.key().cmp(&b.finding.key()));
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        self.summary.findings = self.findings.len();
        self.summary.errors = count(Severity::Error);
        self.summary.warnings = count(Severity::Warning);
        self.summary.infos = count(Severity::Info);
        self.summary.run_errors = self.errors.len();
        self.summary.skipped = self.skipped.len();
    }

    /// Whether something was not checked: a run error, or a skipped file or
    /// document the user did not accept with `allow_skipped`.
    pub fn incomplete(&self) -> bool {
        !self.errors.is_empty() || (!self.skipped.is_empty() && !self.allow_skipped)
    }

    /// Exit code: 2 when anything could not be read or evaluated (or was
    /// skipped, unless `allow_skipped`), else 1 when a finding is at or above
    /// `fail_on`, else 0.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if self.incomplete() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

/// One evidence item as text: `prod: spec.replicas = 1 (expected 3)`; an
/// absent value reads `absent`.
pub fn evidence_item(i: &Json) -> String {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        Json::Null => "absent".to_string(),
        Json::Array(a) => a
            .iter()
            .map(|x| if let Json::String(s) = x { s.clone() } else { x.to_string() })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let path = i.get("path").and_then(Json::as_str).unwrap_or("");
    let env = i.get("env").and_then(Json::as_str).unwrap_or("");
    let value = i.get("value").map(text).unwrap_or_else(|| "absent".into());
    let mut s = match (env.is_empty(), path.is_empty()) {
        (true, true) => value,
        (true, false) => format!("{path} = {value}"),
        (false, true) => format!("{env}: {value}"),
        (false, false) => format!("{env}: {path} = {value}"),
    };
    if let Some(e) = i.get("expected") {
        s.push_str(&format!(" (expected {})", text(e)));
    }
    s
}
