//! Reading live clusters with kube: discover every listable resource type
//! (aggregated discovery where the server offers it), list each with
//! pagination, and return a snapshot: the context, the server version, the
//! time, the objects and the errors met.
//!
//! Secrets are listed as metadata only (`PartialObjectMetadataList`), so
//! their data never reaches this process; as a second guard, `data` and
//! `stringData` are dropped from anything of kind Secret. No credential from
//! the kubeconfig is ever put in a message: errors are worded from their
//! structure ([`error`]), never copied from kube's text.
//!
//! Everything is bounded: connect and request timeouts, pages, objects and
//! bytes per list, retries of a throttled request; server text is escaped
//! and cut before it reaches a message.

mod api;
pub mod error;

use api::{Api, Resource};

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use kube::Client;
use kube::client::Body;
use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value as Json, json};

pub use error::KubeError;
use error::{MAX_NAME, MAX_SERVER_TEXT, clean, incluster_reason, kube_reason, kubeconfig_reason};

/// How a snapshot is taken.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Skip TLS verification (warned about by the CLI).
    pub insecure: bool,
    /// Resources (plural names, e.g. `events`) not to list.
    pub exclude: Vec<String>,
    /// Objects per page.
    pub page_size: u32,
    /// Retries of one request answered 429.
    pub max_retries: u32,
    /// Longest wait a `Retry-After` may ask for, in seconds.
    pub max_retry_after: u64,
    /// Lists in flight at once per cluster.
    pub concurrency: usize,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for one request, answer body included (and for an exec
    /// credential plugin to give a credential).
    pub request_timeout: Duration,
    /// Pages per list before it is given up.
    pub max_list_pages: u64,
    /// Objects per list before it is given up.
    pub max_list_objects: u64,
    /// Bytes of answer per list (and per discovery document) before it is
    /// given up.
    pub max_list_bytes: u64,
}

/// Defaults of the bounds (docs/limits.md).
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_MAX_LIST_PAGES: u64 = 10_000;
pub const DEFAULT_MAX_LIST_OBJECTS: u64 = 1_000_000;
pub const DEFAULT_MAX_LIST_BYTES: u64 = 1 << 30;
/// Largest kubeconfig file read.
pub const MAX_KUBECONFIG_BYTES: u64 = 16 << 20;

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            insecure: false,
            exclude: vec!["events".into(), "events.events.k8s.io".into()],
            page_size: 500,
            max_retries: 5,
            max_retry_after: 30,
            concurrency: 4,
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            max_list_pages: DEFAULT_MAX_LIST_PAGES,
            max_list_objects: DEFAULT_MAX_LIST_OBJECTS,
            max_list_bytes: DEFAULT_MAX_LIST_BYTES,
        }
    }
}

/// A resource type or API group that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ClusterError {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub status: u16,
    pub message: String,
}

/// One cluster, read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub context: String,
    pub server_version: String,
    pub time: String,
    pub objects: Vec<Json>,
    pub errors: Vec<ClusterError>,
}

impl Snapshot {
    /// The snapshot file format that `parity check` reads.
    pub fn to_json(&self) -> String {
        let doc = json!({
            "apiVersion": "parity.dev/v1",
            "kind": "Snapshot",
            "context": self.context,
            "serverVersion": self.server_version,
            "time": self.time,
            "errors": self.errors,
            "objects": self.objects,
        });
        // One object per line keeps big snapshots readable and diffable.
        let mut out = String::from("{\n");
        if let Json::Object(map) = &doc {
            let n = map.len();
            for (i, (k, v)) in map.iter().enumerate() {
                let sep = if i + 1 < n { "," } else { "" };
                if k == "objects" {
                    out.push_str("  \"objects\": [\n");
                    let m = self.objects.len();
                    for (j, o) in self.objects.iter().enumerate() {
                        out.push_str("    ");
                        out.push_str(&o.to_string());
                        out.push_str(if j + 1 < m { ",\n" } else { "\n" });
                    }
                    out.push_str(&format!("  ]{sep}\n"));
                } else {
                    out.push_str(&format!("  {}: {}{sep}\n", Json::String(k.clone()), v));
                }
            }
        }
        out.push_str("}\n");
        out
    }
}

/// Reads a kubeconfig (`--kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`).
/// Each file must be a regular file of at most [`MAX_KUBECONFIG_BYTES`], so a
/// FIFO or a device never blocks the run.
pub fn read_kubeconfig(path: Option<&Path>) -> Result<Kubeconfig, KubeError> {
    let files: Vec<PathBuf> = match path {
        Some(p) => vec![p.to_path_buf()],
        None => match std::env::var_os("KUBECONFIG") {
            Some(v) => std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect(),
            None => Vec::new(),
        },
    };
    for f in &files {
        check_kubeconfig_file(f)?;
    }
    let r = match path {
        Some(p) => Kubeconfig::read_from(p),
        None => {
            if files.is_empty()
                && let Some(home) = std::env::var_os("HOME")
            {
                check_kubeconfig_file(&Path::new(&home).join(".kube").join("config"))?;
            }
            Kubeconfig::read()
        }
    };
    r.map_err(|e| KubeError::Kubeconfig { reason: kubeconfig_reason(&e) })
}

fn check_kubeconfig_file(p: &Path) -> Result<(), KubeError> {
    let shown = clean(&p.to_string_lossy(), 300);
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        // A missing file is left to kube, which names it in its error.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(KubeError::Kubeconfig { reason: format!("cannot read `{shown}`: {}", error::io_kind(&e)) });
        }
    };
    if !meta.is_file() {
        return Err(KubeError::Kubeconfig { reason: format!("`{shown}` is not a regular file") });
    }
    if meta.len() > MAX_KUBECONFIG_BYTES {
        return Err(KubeError::Kubeconfig {
            reason: format!("`{shown}` is larger than the limit of {MAX_KUBECONFIG_BYTES} bytes"),
        });
    }
    Ok(())
}

/// The contexts to read: those asked for (each once), else the current one.
pub fn contexts(config: &Kubeconfig, asked: &[String]) -> Result<Vec<String>, KubeError> {
    let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    if asked.is_empty() {
        return config.current_context.clone().map(|c| vec![c]).ok_or(KubeError::NoCurrentContext);
    }
    let mut out: Vec<String> = Vec::new();
    for c in asked {
        if !known.contains(&c.as_str()) {
            return Err(KubeError::UnknownContext {
                context: clean(c, MAX_NAME),
                known: known.iter().map(|k| clean(k, MAX_NAME)).collect::<Vec<_>>().join(", "),
            });
        }
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    Ok(out)
}

/// Connects to one context and reads everything it can.
pub async fn snapshot_context(
    kubeconfig: &Kubeconfig,
    context: &str,
    opts: &SnapshotOptions,
) -> Result<Snapshot, KubeError> {
    let shown = clean(context, MAX_NAME);
    let mut kubeconfig = kubeconfig.clone();
    // An exec credential plugin talks to a terminal only when there is one
    // (client-go's `IfAvailable`); otherwise its stderr is captured, like
    // its stdout, and neither is ever printed.
    if !std::io::stdin().is_terminal() {
        for named in &mut kubeconfig.auth_infos {
            if let Some(exec) = named.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
                exec.interactive_mode = Some(ExecInteractiveMode::Never);
            }
        }
    }
    inline_token_file(&mut kubeconfig, context, &shown)?;
    check_tokens(&mut kubeconfig, context, &shown)?;
    let options = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| KubeError::Config { context: shown.clone(), reason: kubeconfig_reason(&e) })?;
    configure(&mut config, opts);
    let client = build_client(config, opts, &shown).await?;
    snapshot_client(client, context, opts).await
}

/// The user of a context in the kubeconfig: its name and entry.
fn user_of<'a>(kubeconfig: &'a mut Kubeconfig, context: &str) -> Option<(String, &'a mut kube::config::AuthInfo)> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.user.clone().unwrap_or_default())?;
    let info = kubeconfig.auth_infos.iter_mut().find(|a| a.name == user).and_then(|a| a.auth_info.as_mut())?;
    Some((user, info))
}

/// Largest `tokenFile` read.
const MAX_TOKEN_FILE_BYTES: u64 = 1 << 20;

/// A `tokenFile` is read here, bounded, and its contents trimmed of
/// surrounding whitespace as client-go does (a trailing newline from an
/// editor is common); the token is then used as an inline one. An inline
/// `token` wins over a `tokenFile`, as in kubectl.
fn inline_token_file(kubeconfig: &mut Kubeconfig, context: &str, shown: &str) -> Result<(), KubeError> {
    let Some((_, info)) = user_of(kubeconfig, context) else { return Ok(()) };
    if info.token.is_some() {
        return Ok(());
    }
    let Some(path) = info.token_file.clone() else { return Ok(()) };
    let fail = |reason: String| KubeError::Auth {
        context: shown.to_string(),
        reason: format!("cannot read the token file `{}`: {reason}", clean(&path, 300)),
    };
    let meta = std::fs::metadata(&path).map_err(|e| fail(error::io_kind(&e)))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_TOKEN_FILE_BYTES {
        return Err(fail(format!("larger than the limit of {MAX_TOKEN_FILE_BYTES} bytes")));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(
            std::fs::File::open(&path).map_err(|e| fail(error::io_kind(&e)))?,
            MAX_TOKEN_FILE_BYTES,
        ),
        &mut text,
    )
    .map_err(|e| fail(error::io_kind(&e)))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail("the file is empty".into()));
    }
    info.token = Some(token.to_string().into());
    info.token_file = None;
    Ok(())
}

/// A token kubectl would refuse to send (a line break from a `token: |`
/// block, another control character) is an error naming the user, before
/// kube is given it: kube would panic on it. client-go trims the contents
/// of a `tokenFile` but sends an inline `token` as it is, and Go's HTTP
/// client then rejects it ("invalid header field value"); parity does the
/// same, with a message that says where the problem is.
fn check_tokens(kubeconfig: &mut Kubeconfig, context: &str, shown: &str) -> Result<(), KubeError> {
    let Some((user, info)) = user_of(kubeconfig, context) else { return Ok(()) };
    let bad = |t: &str| http::HeaderValue::from_str(&format!("Bearer {t}")).is_err();
    let invalid = |what| KubeError::InvalidToken { context: shown.to_string(), user: clean(&user, MAX_NAME), what };
    if info.token.as_ref().is_some_and(|t| bad(t.expose_secret())) {
        return Err(invalid("token"));
    }
    if let Some(p) = &info.auth_provider {
        for key in ["id-token", "access-token"] {
            if p.config.get(key).is_some_and(|t| bad(t)) {
                return Err(invalid(if key == "id-token" {
                    "auth-provider id-token"
                } else {
                    "auth-provider access-token"
                }));
            }
        }
    }
    Ok(())
}

fn configure(config: &mut kube::Config, opts: &SnapshotOptions) {
    config.accept_invalid_certs = opts.insecure;
    // parity retries itself (429 only, honouring Retry-After, bounded); the
    // client's own retry would wait minutes on an aggregated API that is down.
    config.default_retry = false;
    config.connect_timeout = Some(opts.connect_timeout);
    // Each request is bounded as a whole (headers and body) in `Api::get`.
}

/// Builds the client off the async workers (an exec credential plugin runs
/// here, synchronously), bounded by the request timeout. A panic inside
/// kube is an error for the context, never a crash.
async fn build_client(config: kube::Config, opts: &SnapshotOptions, shown: &str) -> Result<Client, KubeError> {
    let task = tokio::task::spawn_blocking(move || Client::try_from(config));
    match tokio::time::timeout(opts.request_timeout, task).await {
        Ok(Ok(Ok(client))) => Ok(client),
        Ok(Ok(Err(e))) => Err(match &e {
            kube::Error::Auth(_) => KubeError::Auth { context: shown.to_string(), reason: kube_reason(&e) },
            _ => KubeError::Config { context: shown.to_string(), reason: kube_reason(&e) },
        }),
        Ok(Err(join)) => Err(KubeError::TaskFailed {
            context: shown.to_string(),
            what: if join.is_panic() { "panicked while setting up the client" } else { "was cancelled" },
        }),
        Err(_) => Err(KubeError::Auth {
            context: shown.to_string(),
            reason: format!(
                "setting up the client (an exec credential plugin?) took longer than {} (--request-timeout)",
                secs(opts.request_timeout)
            ),
        }),
    }
}

/// Reads the cluster this process runs in (a pod with a ServiceAccount).
pub async fn snapshot_in_cluster(name: &str, opts: &SnapshotOptions) -> Result<Snapshot, KubeError> {
    let mut config = kube::Config::incluster().map_err(|e| KubeError::InCluster { reason: incluster_reason(&e) })?;
    configure(&mut config, opts);
    let client = build_client(config, opts, &clean(name, MAX_NAME)).await?;
    snapshot_client(client, name, opts).await
}

async fn snapshot_client(client: Client, context: &str, opts: &SnapshotOptions) -> Result<Snapshot, KubeError> {
    let api = Api { client, opts: opts.clone() };
    let version = api.get_json("/version").await.map_err(|e| KubeError::Unreachable {
        context: clean(context, MAX_NAME),
        reason: if e.status == 0 { e.message } else { format!("{} (status {})", e.message, e.status) },
    })?;
    let server_version = clean(version.get("gitVersion").and_then(Json::as_str).unwrap_or(""), 64);
    let (resources, mut errors) = api.discover().await;
    let api = Arc::new(api);
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut spawned: HashMap<tokio::task::Id, Resource> = HashMap::new();
    for (i, res) in resources.into_iter().enumerate() {
        if opts.exclude.iter().any(|x| *x == res.plural || *x == format!("{}.{}", res.plural, res.group)) {
            continue;
        }
        let api = api.clone();
        let sem = sem.clone();
        let r = res.clone();
        let handle = set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, r.clone(), api.list(&r).await)
        });
        spawned.insert(handle.id(), res);
    }
    let mut lists = Vec::new();
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((_, r)) => lists.push(r),
            // A list task that panicked or was cancelled is an error for its
            // resource: never dropped.
            Err(e) => {
                let res = spawned.get(&e.id());
                errors.push(ClusterError {
                    group: res.map(|r| r.group.clone()).unwrap_or_default(),
                    version: res.map(|r| r.version.clone()).unwrap_or_default(),
                    resource: res.map(|r| r.plural.clone()).unwrap_or_default(),
                    status: 0,
                    message: format!(
                        "the list task {}; nothing of this resource was kept",
                        if e.is_panic() { "panicked" } else { "was cancelled" }
                    ),
                })
            }
        }
    }
    // Deterministic order: by discovery order, then as listed.
    lists.sort_by_key(|(i, _, _)| *i);
    let mut objects = Vec::new();
    for (_, res, r) in lists {
        match r {
            Ok(items) => objects.extend(items),
            Err(e) => errors.push(ClusterError {
                group: res.group.clone(),
                version: res.version.clone(),
                resource: res.plural.clone(),
                status: e.status,
                message: e.message,
            }),
        }
    }
    Ok(Snapshot { context: context.to_string(), server_version, time: now_rfc3339(), objects, errors })
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s} s") }
}

/// The current UTC time as RFC 3339 (`2026-11-23T01:51:10Z`).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
