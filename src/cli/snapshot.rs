//! `parity snapshot`: read live clusters into snapshot files, one per
//! context, that `parity check` reads like any manifest tree.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::cluster::error::{MAX_NAME, clean};
use crate::cluster::{
    DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_MAX_LIST_BYTES, DEFAULT_MAX_LIST_OBJECTS, DEFAULT_MAX_LIST_PAGES,
    DEFAULT_REQUEST_TIMEOUT_SECS, KubeError, Snapshot, SnapshotOptions, contexts, read_kubeconfig, snapshot_context,
    snapshot_in_cluster,
};
use crate::report::{ErrorAt, RunError};

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
    /// Longest wait for a connection to an API server, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_CONNECT_TIMEOUT_SECS as f64, value_parser = parse_seconds)]
    pub connect_timeout: f64,
    /// Longest wait for one request (its whole answer), and for an exec
    /// credential plugin, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS as f64, value_parser = parse_seconds)]
    pub request_timeout: f64,
    /// Pages one list may take before it is given up (an error).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_LIST_PAGES, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_list_pages: u64,
    /// Objects one list may hold before it is given up (an error).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_LIST_OBJECTS, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_list_objects: u64,
    /// Bytes of answers one list (or discovery document) may take before it
    /// is given up (an error).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LIST_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_list_bytes: u64,
}

/// A positive number of seconds (fractions allowed), at most a day.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds between 0 and 86400")),
    }
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
    let mut opts = SnapshotOptions {
        insecure: cluster.insecure,
        connect_timeout: Duration::from_secs_f64(cluster.connect_timeout),
        request_timeout: Duration::from_secs_f64(cluster.request_timeout),
        max_list_pages: cluster.max_list_pages,
        max_list_objects: cluster.max_list_objects,
        max_list_bytes: cluster.max_list_bytes,
        ..SnapshotOptions::default()
    };
    opts.exclude.extend(cluster.exclude.iter().cloned());
    if cluster.insecure {
        eprintln!("warning: --insecure: TLS certificates of the API servers are not verified");
    }
    let fail = |context: &str, e: KubeError| e.at(&clean(context, MAX_NAME));
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            return (Vec::new(), vec![fail("", KubeError::Runtime { reason: crate::cluster::error::io_kind(&e) })]);
        }
    };
    if cluster.in_cluster {
        let name = cluster.cluster_name.clone();
        let r = quiet_panics(|| runtime.block_on(snapshot_in_cluster(&name, &opts)));
        // A credential plugin that never ends must not keep the process.
        runtime.shutdown_background();
        return match r {
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
    let out = quiet_panics(|| {
        runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            let mut spawned = HashMap::new();
            for (i, (env, ctx)) in wanted.into_iter().enumerate() {
                let config = config.clone();
                let opts = opts.clone();
                let c = ctx.clone();
                let handle = set.spawn(async move { snapshot_context(&config, &c, &opts).await });
                spawned.insert(handle.id(), (i, env, ctx));
            }
            let mut done = Vec::new();
            while let Some(r) = set.join_next_with_id().await {
                // A task that panicked or was cancelled is an error for its
                // context (exit 2), never dropped.
                let (id, r) = match r {
                    Ok((id, r)) => (id, r),
                    Err(e) => {
                        let what = if e.is_panic() { "panicked" } else { "was cancelled" };
                        let context = spawned.get(&e.id()).map(|(_, _, c)| clean(c, MAX_NAME)).unwrap_or_default();
                        (e.id(), Err(KubeError::TaskFailed { context, what }))
                    }
                };
                if let Some((i, env, ctx)) = spawned.remove(&id) {
                    done.push((i, env, ctx, r));
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
    });
    // A credential plugin that never ends must not keep the process.
    runtime.shutdown_background();
    out
}

/// Runs `f` with a panic hook that prints one line saying where a task
/// panicked, never the panic's message (kube's could quote a credential)
/// nor a backtrace; the task's failure is reported as an error for its
/// context or resource. The previous hook is put back afterwards.
fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let previous = std::sync::Arc::new(std::panic::take_hook());
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("warning: an internal task panicked{}; it is reported as an error below", clean(&at, 300));
    }));
    let out = f();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    out
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
            let status = if e.status == 0 { String::new() } else { format!(" (status {})", e.status) };
            let what = clean(&what, 200);
            KubeError::Resource { what, status, reason: clean(&e.message, 600) }.at(&clean(&s.context, MAX_NAME))
        })
        .collect()
}

/// Writes a snapshot where `output` says: a file, or `<dir>/<name>.json`
/// with the name percent-encoded ([`file_name`]). `written` holds the file
/// names of this run (lower-cased, for case-insensitive file systems): a
/// second snapshot that would land on one of them is an error, never an
/// overwrite.
pub fn write(
    s: &Snapshot,
    name: &str,
    output: &Path,
    single: bool,
    written: &mut BTreeMap<String, String>,
) -> Result<PathBuf, String> {
    let path = if single && output.extension().is_some_and(|e| e == "json") {
        output.to_path_buf()
    } else {
        if name.is_empty() {
            return Err("a context with an empty name has no snapshot file name; write it with -o FILE.json".into());
        }
        std::fs::create_dir_all(output).map_err(|e| format!("cannot create {}: {e}", super::display(output)))?;
        output.join(file_name(name))
    };
    let key = path.to_string_lossy().to_lowercase();
    if let Some(first) = written.get(&key) {
        return Err(format!(
            "not written: `{}` would overwrite the snapshot of `{}` (their file names differ only by case)",
            super::display(&path),
            clean(first, MAX_NAME)
        ));
    }
    written.insert(key, name.to_string());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", super::display(parent)))?;
    }
    std::fs::write(&path, s.to_json()).map_err(|e| format!("cannot write {}: {e}", super::display(&path)))?;
    Ok(path)
}

/// The snapshot file name of a context: `<name>.json` with every byte but
/// ASCII letters, digits, `-`, `_` and `.` percent-encoded (`a/b` is
/// `a%2Fb.json`, `a_b` is `a_b.json`), so names never collide and the
/// context can be read back from the file name. A leading
/// `.` is encoded too, so no file is hidden and `..` is not a folder.
pub fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 5);
    for (i, b) in name.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || (b == b'.' && i > 0) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(".json");
    out
}

pub fn run(args: SnapshotArgs) -> i32 {
    let (snaps, mut errors) = take(&args.cluster, &[]);
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    let single = snaps.len() == 1 && errors.is_empty();
    let mut written = BTreeMap::new();
    for (name, s) in &snaps {
        errors.extend(snapshot_errors(s));
        match write(s, name, &output, single, &mut written) {
            Ok(path) => eprintln!(
                "context {}: {} objects, server {}, {} errors → {}",
                clean(&s.context, MAX_NAME),
                s.objects.len(),
                clean(&s.server_version, 64),
                s.errors.len(),
                clean(&super::display(&path), 400)
            ),
            Err(e) => errors.push(CliError::Io(e).at(&clean(&s.context, MAX_NAME))),
        }
    }
    for e in &errors {
        eprintln!("error[{}]: {}: {}", e.code, clean(&e.file, 400), clean(&e.message, 2000));
    }
    if errors.is_empty() { 0 } else { 2 }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
