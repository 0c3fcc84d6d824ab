//! Reading live clusters with kube: discover every listable resource type
//! (aggregated discovery where the server offers it), list each with
//! pagination, and return a snapshot: the context, the server version, the
//! time, the objects and the errors met.
//!
//! Secrets are listed as metadata only (`PartialObjectMetadataList`), so
//! their data never reaches this process; as a second guard, `data` and
//! `stringData` are dropped from anything of kind Secret. No credential from
//! the kubeconfig is ever put in a message: errors are worded from their
//! structure ([`super::kube_error`]), never copied from kube's text.
//!
//! Everything is bounded: connect and request timeouts, pages, objects and
//! bytes per list, retries of a throttled request; server text is escaped
//! and cut before it reaches a message.

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

pub use super::kube_error::KubeError;
use super::kube_error::{MAX_NAME, MAX_SERVER_TEXT, clean, incluster_reason, kube_reason, kubeconfig_reason};

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
            return Err(KubeError::Kubeconfig {
                reason: format!("cannot read `{shown}`: {}", super::kube_error::io_kind(&e)),
            });
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
    let meta = std::fs::metadata(&path).map_err(|e| fail(super::kube_error::io_kind(&e)))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_TOKEN_FILE_BYTES {
        return Err(fail(format!("larger than the limit of {MAX_TOKEN_FILE_BYTES} bytes")));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(
            std::fs::File::open(&path).map_err(|e| fail(super::kube_error::io_kind(&e)))?,
            MAX_TOKEN_FILE_BYTES,
        ),
        &mut text,
    )
    .map_err(|e| fail(super::kube_error::io_kind(&e)))?;
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

/// A resource type to list.
#[derive(Debug, Clone)]
struct Resource {
    group: String,
    version: String,
    plural: String,
    kind: String,
}

impl Resource {
    fn path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.plural)
        }
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

#[derive(Debug)]
struct HttpError {
    status: u16,
    message: String,
}

struct Api {
    client: Client,
    opts: SnapshotOptions,
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

impl Api {
    /// GET with retries on 429 (honouring Retry-After, bounded). Each
    /// attempt is bounded by the request timeout, its answer by `max_bytes`.
    /// Returns the document and the bytes it took.
    async fn get(&self, path: &str, accept: &str, max_bytes: u64) -> Result<(Json, u64), HttpError> {
        let mut attempt = 0;
        loop {
            let req = Request::get(path)
                .header(http::header::ACCEPT, accept)
                .body(Body::empty())
                .map_err(|_| HttpError { status: 0, message: "cannot build the request".into() })?;
            let timeout = self.opts.request_timeout;
            let answer = tokio::time::timeout(timeout, self.fetch(req, max_bytes)).await.unwrap_or_else(|_| {
                Err(HttpError {
                    status: 0,
                    message: format!("the API server did not answer within {} (--request-timeout)", secs(timeout)),
                })
            })?;
            let (status, retry_after, bytes) = answer;
            if status == StatusCode::TOO_MANY_REQUESTS && attempt < self.opts.max_retries {
                attempt += 1;
                let wait = retry_after.unwrap_or(attempt as u64).min(self.opts.max_retry_after);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            if !status.is_success() {
                let message = serde_json::from_slice::<Json>(&bytes)
                    .ok()
                    .and_then(|j| j.get("message").and_then(Json::as_str).map(|m| clean(m, MAX_SERVER_TEXT)))
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
                let message = if status == StatusCode::TOO_MANY_REQUESTS {
                    format!("{message} (still throttled after {attempt} retries)")
                } else {
                    message
                };
                return Err(HttpError { status: status.as_u16(), message });
            }
            let n = bytes.len() as u64;
            return serde_json::from_slice(&bytes).map(|j| (j, n)).map_err(|e| HttpError {
                status: status.as_u16(),
                message: format!("the answer is not JSON (line {}, column {})", e.line(), e.column()),
            });
        }
    }

    /// One request: status, Retry-After, and the body read frame by frame,
    /// stopped as soon as it passes `max_bytes`.
    async fn fetch(&self, req: Request<Body>, max_bytes: u64) -> Result<(StatusCode, Option<u64>, Vec<u8>), HttpError> {
        let resp = self.client.send(req).await.map_err(|e| HttpError { status: 0, message: kube_reason(&e) })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = resp.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| HttpError {
                status: status.as_u16(),
                message: format!("reading the answer: {}", kube_reason(&e)),
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() as u64 + data.len() as u64 > max_bytes {
                    return Err(HttpError {
                        status: 0,
                        message: format!("the answer is larger than the limit of {max_bytes} bytes (--max-list-bytes)"),
                    });
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok((status, retry_after, bytes))
    }

    async fn get_json(&self, path: &str) -> Result<Json, HttpError> {
        self.get(path, "application/json", self.opts.max_list_bytes).await.map(|(j, _)| j)
    }

    /// Every listable resource type, by aggregated discovery when the server
    /// offers it, else by the per-group documents.
    async fn discover(&self) -> (Vec<Resource>, Vec<ClusterError>) {
        let mut resources = Vec::new();
        let mut errors = Vec::new();
        for root in ["/api", "/apis"] {
            match self.get(root, AGGREGATED, self.opts.max_list_bytes).await.map(|(j, _)| j) {
                Ok(doc) if doc.get("kind").and_then(Json::as_str) == Some("APIGroupDiscoveryList") => {
                    aggregated(&doc, &mut resources, &mut errors);
                }
                Ok(doc) => self.legacy(root, &doc, &mut resources, &mut errors).await,
                Err(e) => errors.push(ClusterError {
                    group: root.trim_start_matches('/').into(),
                    version: String::new(),
                    resource: String::new(),
                    status: e.status,
                    message: format!("discovery failed: {}", e.message),
                }),
            }
        }
        (resources, errors)
    }

    async fn legacy(&self, root: &str, doc: &Json, out: &mut Vec<Resource>, errors: &mut Vec<ClusterError>) {
        // (group, version, path)
        let mut docs: Vec<(String, String, String)> = Vec::new();
        if root == "/api" {
            for v in doc.get("versions").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
                if valid_name(v) {
                    docs.push((String::new(), v.to_string(), format!("/api/{v}")));
                } else {
                    errors.push(invalid_name("", v, ""));
                }
            }
        } else {
            for g in doc.get("groups").and_then(Json::as_array).into_iter().flatten() {
                let name = g.get("name").and_then(Json::as_str).unwrap_or("");
                let pv = g.get("preferredVersion").and_then(|p| p.get("version")).and_then(Json::as_str);
                let version = pv.or_else(|| g.pointer("/versions/0/version").and_then(Json::as_str)).unwrap_or("");
                if !name.is_empty() && !version.is_empty() {
                    if valid_name(name) && valid_name(version) {
                        docs.push((name.to_string(), version.to_string(), format!("/apis/{name}/{version}")));
                    } else {
                        errors.push(invalid_name(name, version, ""));
                    }
                }
            }
        }
        for (group, version, path) in docs {
            match self.get_json(&path).await {
                Ok(list) => {
                    for r in list.get("resources").and_then(Json::as_array).into_iter().flatten() {
                        let plural = r.get("name").and_then(Json::as_str).unwrap_or("");
                        let kind = r.get("kind").and_then(Json::as_str).unwrap_or("");
                        listable(&group, &version, plural, kind, r, out, errors);
                    }
                }
                Err(e) => errors.push(ClusterError {
                    group: group.clone(),
                    version,
                    resource: String::new(),
                    status: e.status,
                    message: format!("discovery failed: {}", e.message),
                }),
            }
        }
    }

    /// Lists every object of a resource type, page by page. A continue
    /// token that expired (410 Gone) restarts the list once. Pages, objects
    /// and bytes are bounded per list; past a bound the list is an error and
    /// nothing of it is kept.
    async fn list(&self, res: &Resource) -> Result<Vec<Json>, HttpError> {
        let secrets = res.group.is_empty() && res.plural == "secrets";
        let accept = if secrets { METADATA_ONLY } else { "application/json" };
        let opts = &self.opts;
        let mut restarted = false;
        // Bytes and pages count across a restart too.
        let mut bytes = 0u64;
        let mut pages = 0u64;
        'restart: loop {
            let mut items = Vec::new();
            let mut token: Option<String> = None;
            loop {
                if pages >= opts.max_list_pages {
                    return Err(HttpError {
                        status: 0,
                        message: format!(
                            "the list still had more pages after {pages} (--max-list-pages); nothing of it was kept"
                        ),
                    });
                }
                pages += 1;
                let mut path = format!("{}?limit={}", res.path(), opts.page_size);
                if let Some(t) = &token {
                    path.push_str("&continue=");
                    path.push_str(&url_encode(t));
                }
                let page = match self.get(&path, accept, opts.max_list_bytes - bytes).await {
                    Ok((p, n)) => {
                        bytes += n;
                        p
                    }
                    Err(e) if e.status == 410 && !restarted => {
                        restarted = true;
                        continue 'restart;
                    }
                    Err(e) => return Err(e),
                };
                let page_items = page.get("items").and_then(Json::as_array).map(Vec::len).unwrap_or(0) as u64;
                if items.len() as u64 + page_items > opts.max_list_objects {
                    return Err(HttpError {
                        status: 0,
                        message: format!(
                            "the list has more than {} objects (--max-list-objects); nothing of it was kept",
                            opts.max_list_objects
                        ),
                    });
                }
                let Json::Object(mut page) = page else { return Ok(items) };
                if let Some(Json::Array(list)) = page.remove("items") {
                    for mut item in list {
                        clean_item(&mut item, res, secrets);
                        items.push(item);
                    }
                }
                token = page
                    .get("metadata")
                    .and_then(|m| m.get("continue"))
                    .and_then(Json::as_str)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    return Ok(items);
                }
            }
        }
    }
}

/// A group, version or resource name as Kubernetes allows them (DNS
/// labels and subdomains): anything else from discovery is not put in a
/// request path or a message.
fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}

fn invalid_name(group: &str, version: &str, resource: &str) -> ClusterError {
    ClusterError {
        group: clean(group, 64),
        version: clean(version, 64),
        resource: clean(resource, 64),
        status: 0,
        message: "discovery named an invalid group, version or resource; it was not read".into(),
    }
}

fn aggregated(doc: &Json, out: &mut Vec<Resource>, errors: &mut Vec<ClusterError>) {
    for g in doc.get("items").and_then(Json::as_array).into_iter().flatten() {
        let group = g.pointer("/metadata/name").and_then(Json::as_str).unwrap_or("").to_string();
        let Some(v) = g.get("versions").and_then(Json::as_array).and_then(|v| v.first()) else { continue };
        let version = v.get("version").and_then(Json::as_str).unwrap_or("").to_string();
        if (!group.is_empty() && !valid_name(&group)) || !valid_name(&version) {
            errors.push(invalid_name(&group, &version, ""));
            continue;
        }
        if v.get("freshness").and_then(Json::as_str) == Some("Stale") {
            errors.push(ClusterError {
                group: group.clone(),
                version: version.clone(),
                resource: String::new(),
                status: 503,
                message: "discovery is stale: the aggregated API server does not answer".into(),
            });
            continue;
        }
        for r in v.get("resources").and_then(Json::as_array).into_iter().flatten() {
            let plural = r.get("resource").and_then(Json::as_str).unwrap_or("");
            let kind = r.pointer("/responseKind/kind").and_then(Json::as_str).unwrap_or("");
            listable(&group, &version, plural, kind, r, out, errors);
        }
    }
}

/// Adds a discovered resource type worth listing: not a subresource, and
/// it allows `list`. A name that is not a valid resource name is an error.
fn listable(
    group: &str,
    version: &str,
    plural: &str,
    kind: &str,
    doc: &Json,
    out: &mut Vec<Resource>,
    errors: &mut Vec<ClusterError>,
) {
    let lists = doc.get("verbs").and_then(Json::as_array).into_iter().flatten().any(|v| v.as_str() == Some("list"));
    if plural.is_empty() || plural.contains('/') || !lists {
        return;
    }
    if !valid_name(plural) {
        errors.push(invalid_name(group, version, plural));
        return;
    }
    out.push(Resource {
        group: group.to_string(),
        version: version.to_string(),
        plural: plural.to_string(),
        kind: kind.to_string(),
    });
}

/// Makes a listed item a standalone object: apiVersion and kind set, noise
/// dropped (`managedFields`, the last-applied annotation), and for Secrets
/// anything but metadata removed.
fn clean_item(item: &mut Json, res: &Resource, secret: bool) {
    let Json::Object(map) = item else { return };
    if secret || map.get("kind").and_then(Json::as_str) == Some("Secret") {
        map.retain(|k, _| k == "metadata" || k == "type" || k == "immutable");
        map.insert("kind".into(), Json::String("Secret".into()));
        map.insert("apiVersion".into(), Json::String("v1".into()));
    } else {
        map.entry("apiVersion").or_insert_with(|| Json::String(res.api_version()));
        map.entry("kind").or_insert_with(|| Json::String(res.kind.clone()));
    }
    if let Some(Json::Object(meta)) = map.get_mut("metadata") {
        meta.remove("managedFields");
        if let Some(Json::Object(ann)) = meta.get_mut("annotations") {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
}

/// RFC 3986 unreserved characters stay; every other byte is `%XX`.
const URL_COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_COMPONENT).to_string()
}

/// The current UTC time as RFC 3339 (`2026-11-23T01:51:10Z`).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
