//! `parity snapshot`: read live clusters into snapshot files, one per
//! context, that `parity check` reads like any manifest tree.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::load::kube::{Snapshot, SnapshotOptions, contexts, read_kubeconfig, snapshot_context, snapshot_in_cluster};
use crate::report::RunError;

/// How to reach the clusters (shared by `snapshot` and `audit`).
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// The kubeconfig (default: `$KUBECONFIG`, then `~/.kube/config`).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// A context to read (repeatable; default: the current context, or for
    /// `audit` the contexts named in parity.toml).
    #[arg(long = "context", value_name = "CTX")]
    pub contexts: Vec<String>,
    /// Read the cluster this pod runs in, through its ServiceAccount.
    #[arg(long, conflicts_with_all = ["kubeconfig", "contexts"])]
    pub in_cluster: bool,
    /// The env name of the in-cluster snapshot.
    #[arg(long, value_name = "NAME", default_value = "in-cluster")]
    pub cluster_name: String,
    /// A resource (plural, e.g. `secrets`, or `plural.group`) not to read;
    /// repeatable. Events are never read.
    #[arg(long = "exclude", value_name = "RESOURCE")]
    pub exclude: Vec<String>,
    /// Skip TLS verification of the API servers (warned about).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where to write: a `.json` file (one context) or a folder
    /// (`<context>.json` in it; default: the current folder).
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
}

/// Reads every asked-for cluster, concurrently. Returns the snapshots and
/// the errors of contexts that could not be read at all.
pub fn take(cluster: &ClusterArgs, named: &[(String, String)]) -> (Vec<(String, Snapshot)>, Vec<RunError>) {
    let mut opts = SnapshotOptions { insecure: cluster.insecure, ..SnapshotOptions::default() };
    opts.exclude.extend(cluster.exclude.iter().cloned());
    if cluster.insecure {
        eprintln!("warning: --insecure: TLS certificates of the API servers are not verified");
    }
    let fail = |context: &str, message: String| RunError {
        code: "parity::cluster".into(),
        file: context.to_string(),
        line: 0,
        column: 0,
        message,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return (Vec::new(), vec![fail("", format!("cannot start the async runtime: {e}"))]),
    };
    if cluster.in_cluster {
        let name = cluster.cluster_name.clone();
        return match runtime.block_on(snapshot_in_cluster(&name, &opts)) {
            Ok(s) => (vec![(name, s)], Vec::new()),
            Err(e) => (Vec::new(), vec![fail(&name, e)]),
        };
    }
    let config = match read_kubeconfig(cluster.kubeconfig.as_deref()) {
        Ok(c) => c,
        Err(e) => return (Vec::new(), vec![fail("", e)]),
    };
    // (env name, context)
    let wanted: Vec<(String, String)> = if !named.is_empty() {
        named.to_vec()
    } else {
        match contexts(&config, &cluster.contexts) {
            Ok(c) => c.into_iter().map(|c| (c.clone(), c)).collect(),
            Err(e) => return (Vec::new(), vec![fail("", e)]),
        }
    };
    runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, (env, ctx)) in wanted.into_iter().enumerate() {
            let config = config.clone();
            let opts = opts.clone();
            set.spawn(async move { (i, env, ctx.clone(), snapshot_context(&config, &ctx, &opts).await) });
        }
        let mut done = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(r) = r {
                done.push(r);
            }
        }
        done.sort_by_key(|(i, ..)| *i);
        let mut snaps = Vec::new();
        let mut errors = Vec::new();
        for (_, env, ctx, r) in done {
            match r {
                Ok(s) => snaps.push((env, s)),
                Err(e) => errors.push(fail(&ctx, e)),
            }
        }
        (snaps, errors)
    })
}

/// The errors a snapshot met, as run errors naming the context.
pub fn snapshot_errors(s: &Snapshot) -> Vec<RunError> {
    s.errors
        .iter()
        .map(|e| {
            let what = [e.group.as_str(), e.version.as_str(), e.resource.as_str()]
                .iter()
                .filter(|x| !x.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            let what = if what.is_empty() { "core".to_string() } else { what };
            RunError {
                code: "parity::cluster".into(),
                file: s.context.clone(),
                line: 0,
                column: 0,
                message: format!("could not read `{what}` (status {}): {}; the rest was read", e.status, e.message),
            }
        })
        .collect()
}

/// Writes a snapshot where `output` says: a file, or `<dir>/<name>.json`.
pub fn write(s: &Snapshot, name: &str, output: &Path, single: bool) -> Result<PathBuf, String> {
    let path = if single && output.extension().is_some_and(|e| e == "json") {
        output.to_path_buf()
    } else {
        std::fs::create_dir_all(output).map_err(|e| format!("cannot create {}: {e}", super::display(output)))?;
        output.join(format!("{}.json", file_safe(name)))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", super::display(parent)))?;
    }
    std::fs::write(&path, s.to_json()).map_err(|e| format!("cannot write {}: {e}", super::display(&path)))?;
    Ok(path)
}

fn file_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

pub fn run(args: SnapshotArgs) -> i32 {
    let (snaps, mut errors) = take(&args.cluster, &[]);
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    let single = snaps.len() == 1 && errors.is_empty();
    for (name, s) in &snaps {
        errors.extend(snapshot_errors(s));
        match write(s, name, &output, single) {
            Ok(path) => eprintln!(
                "context {}: {} objects, server {}, {} errors → {}",
                crate::report::escape::text(&s.context),
                s.objects.len(),
                crate::report::escape::text(&s.server_version),
                s.errors.len(),
                crate::report::escape::text(&super::display(&path))
            ),
            Err(e) => errors.push(RunError {
                code: "parity::io".into(),
                file: s.context.clone(),
                line: 0,
                column: 0,
                message: e,
            }),
        }
    }
    for e in &errors {
        eprintln!("{}", crate::report::escape::error_line(e));
    }
    if errors.is_empty() { 0 } else { 2 }
}
