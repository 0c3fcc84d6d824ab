//! `parity audit`: snapshot clusters concurrently and check them together in
//! one run — Gatekeeper's audit of existing objects, across every env. Same
//! findings, formats and exit codes as `check`; a group that could not be
//! read is an error (exit 2) while the findings are still printed.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use super::check::{CheckArgs, run_with};
use super::snapshot::{ClusterArgs, snapshot_errors, take, write};
use super::{Format, parse_severity};
use crate::report::{ErrorAt, Severity};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Rule files or folders (default: the standard library).
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Keep the snapshots in this folder (`<env>.json`).
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// The configuration file (default: the nearest `parity.toml`, from the
    /// current folder up to the repository root); its envs with a `context`
    /// are audited when no `--context` is given.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A rule body to check (repeatable).
    #[arg(long = "rule", value_name = "TEXT")]
    pub rule_text: Vec<String>,
    /// Output format (`policyreport`: wgpolicyk8s.io PolicyReports; also
    /// `--output-format`).
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print how many findings each rule produced instead of the findings
    /// (as `check --statistics`).
    #[arg(long)]
    pub statistics: bool,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "error", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// List waived findings.
    #[arg(long)]
    pub show_waived: bool,
    /// No progress indicator.
    #[arg(long, short)]
    pub quiet: bool,
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
    /// A file (or folder) of CustomResourceDefinitions for custom resources
    /// whose cluster lacks them, and for rule paths on their kinds
    /// (repeatable; as `check --crd`).
    #[arg(long = "crd", value_name = "FILE")]
    pub crd: Vec<PathBuf>,
}

pub fn run(args: AuditArgs) -> i32 {
    let config = args.config.clone().or_else(super::check::discover_config);
    // Envs named in parity.toml with a context, when no context is given.
    // Read once: `check` below gets this same result.
    let read_config = config.as_deref().map(crate::load::read_config);
    let mut named: Vec<(String, String)> = Vec::new();
    if args.cluster.contexts.is_empty()
        && !args.cluster.in_cluster
        && let Some(Ok(c)) = &read_config
    {
        named = c.envs.iter().filter_map(|e| e.context.clone().map(|ctx| (e.name.clone(), ctx))).collect();
    }
    let (snaps, mut errors) = take(&args.cluster, &named);
    // The snapshots are checked from memory; `--save` also writes them, and
    // then they are shown under their files' names (whose lines are real).
    let mut memory = Vec::new();
    let mut written = std::collections::BTreeMap::new();
    for (name, s) in &snaps {
        errors.extend(snapshot_errors(s));
        let shown = match &args.save {
            Some(dir) => match write(s, name, dir, false, &mut written) {
                Ok(path) => super::display(&path),
                Err(e) => {
                    errors
                        .push(CliError::Io(e).at(&crate::cluster::error::clean(name, crate::cluster::error::MAX_NAME)));
                    continue;
                }
            },
            None => format!("cluster:{name}"),
        };
        memory.push((name.clone(), shown, s.to_json()));
    }
    let check = CheckArgs {
        // Audit's arguments are rule sources by position: never manifests.
        paths: Vec::new(),
        after: Vec::new(),
        rule_paths: args.rules.clone(),
        rules: args.rule_text.clone(),
        envs: Vec::new(),
        memory: Some(memory),
        config: config.clone(),
        read_config,
        format: args.format,
        statistics: args.statistics,
        fail_on: args.fail_on,
        follow_links: false,
        quiet: args.quiet,
        verbose: false,
        no_color: args.no_color,
        show_waived: args.show_waived,
        baseline: None,
        write_baseline: None,
        changed: false,
        tree: Vec::new(),
        max_file_size: None,
        max_total_size: None,
        eval_budget: None,
        allow_skipped: false,
        allow_empty: false,
        rule_budget: None,
        rule_timeout: None,
        select: Vec::new(),
        extend_select: Vec::new(),
        ignore: Vec::new(),
        no_stdlib: false,
        show_render: None,
        // Live clusters say their own version.
        kube_version: None,
        crd: args.crd.clone(),
    };
    run_with(check, errors)
}
