//! Reading live clusters with kube: discover every listable resource type
//! (aggregated discovery where the server offers it), list each with
//! pagination, and return a snapshot: the context, the server version, the
//! time, the objects and the errors met.
//!
//! Secrets are listed as metadata only (`PartialObjectMetadataList`), so
//! their data never reaches this process; as a second guard, `data` and
//! `stringData` are dropped from anything of kind Secret. No credential from
//! the kubeconfig is ever put in a message.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use kube::Client;
use kube::client::Body;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Serialize;
use serde_json::{Value as Json, json};

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
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            insecure: false,
            exclude: vec!["events".into(), "events.events.k8s.io".into()],
            page_size: 500,
            max_retries: 5,
            max_retry_after: 30,
            concurrency: 4,
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
pub fn read_kubeconfig(path: Option<&Path>) -> Result<Kubeconfig, String> {
    let r = match path {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    };
    r.map_err(|e| format!("cannot read the kubeconfig: {}", first_line(&e.to_string())))
}

/// The contexts to read: those asked for, else the current one.
pub fn contexts(config: &Kubeconfig, asked: &[String]) -> Result<Vec<String>, String> {
    let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    if asked.is_empty() {
        return config
            .current_context
            .clone()
            .map(|c| vec![c])
            .ok_or_else(|| "the kubeconfig has no current context; name one with --context".into());
    }
    for c in asked {
        if !known.contains(&c.as_str()) {
            return Err(format!("context `{c}` is not in the kubeconfig (it has: {})", known.join(", ")));
        }
    }
    Ok(asked.to_vec())
}

/// Connects to one context and reads everything it can.
pub async fn snapshot_context(
    kubeconfig: &Kubeconfig,
    context: &str,
    opts: &SnapshotOptions,
) -> Result<Snapshot, String> {
    let options = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(|e| format!("context `{context}`: {}", first_line(&e.to_string())))?;
    config.accept_invalid_certs = opts.insecure;
    // parity retries itself (429 only, honouring Retry-After, bounded); the
    // client's own retry would wait minutes on an aggregated API that is down.
    config.default_retry = false;
    let client =
        Client::try_from(config).map_err(|e| format!("context `{context}`: {}", first_line(&e.to_string())))?;
    snapshot_client(client, context, opts).await
}

/// Reads the cluster this process runs in (a pod with a ServiceAccount).
pub async fn snapshot_in_cluster(name: &str, opts: &SnapshotOptions) -> Result<Snapshot, String> {
    let mut config =
        kube::Config::incluster().map_err(|e| format!("in-cluster configuration: {}", first_line(&e.to_string())))?;
    config.accept_invalid_certs = opts.insecure;
    // parity retries itself (429 only, honouring Retry-After, bounded); the
    // client's own retry would wait minutes on an aggregated API that is down.
    config.default_retry = false;
    let client = Client::try_from(config).map_err(|e| format!("in-cluster client: {}", first_line(&e.to_string())))?;
    snapshot_client(client, name, opts).await
}

async fn snapshot_client(client: Client, context: &str, opts: &SnapshotOptions) -> Result<Snapshot, String> {
    let api = Api { client, opts: opts.clone() };
    let version = api
        .get_json("/version")
        .await
        .map_err(|e| format!("context `{context}`: cannot reach the API server: {}", e.message))?;
    let server_version = version.get("gitVersion").and_then(Json::as_str).unwrap_or("").to_string();
    let (resources, mut errors) = api.discover().await;
    let api = Arc::new(api);
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, res) in resources.into_iter().enumerate() {
        if opts.exclude.iter().any(|x| *x == res.plural || *x == format!("{}.{}", res.plural, res.group)) {
            continue;
        }
        let api = api.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, res.clone(), api.list(&res).await)
        });
    }
    let mut lists = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => lists.push(r),
            Err(e) => errors.push(ClusterError {
                group: String::new(),
                version: String::new(),
                resource: String::new(),
                status: 0,
                message: format!("a list task failed: {e}"),
            }),
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
    /// GET with retries on 429 (honouring Retry-After, bounded).
    async fn get(&self, path: &str, accept: &str) -> Result<Json, HttpError> {
        let mut attempt = 0;
        loop {
            let req = Request::get(path)
                .header(http::header::ACCEPT, accept)
                .body(Body::empty())
                .map_err(|e| HttpError { status: 0, message: format!("bad request for {path}: {e}") })?;
            let resp = self
                .client
                .send(req)
                .await
                .map_err(|e| HttpError { status: 0, message: first_line(&e.to_string()) })?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| HttpError { status: status.as_u16(), message: format!("reading the response: {e}") })?
                .to_bytes();
            if status == StatusCode::TOO_MANY_REQUESTS && attempt < self.opts.max_retries {
                attempt += 1;
                let wait = retry_after.unwrap_or(attempt as u64).min(self.opts.max_retry_after);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            if !status.is_success() {
                let message = serde_json::from_slice::<Json>(&bytes)
                    .ok()
                    .and_then(|j| j.get("message").and_then(Json::as_str).map(str::to_string))
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
                let message = if status == StatusCode::TOO_MANY_REQUESTS {
                    format!("{message} (still throttled after {attempt} retries)")
                } else {
                    message
                };
                return Err(HttpError { status: status.as_u16(), message });
            }
            return serde_json::from_slice(&bytes)
                .map_err(|e| HttpError { status: status.as_u16(), message: format!("not JSON: {e}") });
        }
    }

    async fn get_json(&self, path: &str) -> Result<Json, HttpError> {
        self.get(path, "application/json").await
    }

    /// Every listable resource type, by aggregated discovery when the server
    /// offers it, else by the per-group documents.
    async fn discover(&self) -> (Vec<Resource>, Vec<ClusterError>) {
        let mut resources = Vec::new();
        let mut errors = Vec::new();
        for root in ["/api", "/apis"] {
            match self.get(root, AGGREGATED).await {
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
                docs.push((String::new(), v.to_string(), format!("/api/{v}")));
            }
        } else {
            for g in doc.get("groups").and_then(Json::as_array).into_iter().flatten() {
                let name = g.get("name").and_then(Json::as_str).unwrap_or("");
                let pv = g.get("preferredVersion").and_then(|p| p.get("version")).and_then(Json::as_str);
                let version = pv.or_else(|| g.pointer("/versions/0/version").and_then(Json::as_str)).unwrap_or("");
                if !name.is_empty() && !version.is_empty() {
                    docs.push((name.to_string(), version.to_string(), format!("/apis/{name}/{version}")));
                }
            }
        }
        for (group, version, path) in docs {
            match self.get_json(&path).await {
                Ok(list) => {
                    for r in list.get("resources").and_then(Json::as_array).into_iter().flatten() {
                        let plural = r.get("name").and_then(Json::as_str).unwrap_or("");
                        let kind = r.get("kind").and_then(Json::as_str).unwrap_or("");
                        out.extend(listable(&group, &version, plural, kind, r));
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
    /// token that expired (410 Gone) restarts the list once.
    async fn list(&self, res: &Resource) -> Result<Vec<Json>, HttpError> {
        let secrets = res.group.is_empty() && res.plural == "secrets";
        let accept = if secrets { METADATA_ONLY } else { "application/json" };
        let mut restarted = false;
        'restart: loop {
            let mut items = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut path = format!("{}?limit={}", res.path(), self.opts.page_size);
                if let Some(t) = &token {
                    path.push_str("&continue=");
                    path.push_str(&url_encode(t));
                }
                let page = match self.get(&path, accept).await {
                    Ok(p) => p,
                    Err(e) if e.status == 410 && !restarted => {
                        restarted = true;
                        continue 'restart;
                    }
                    Err(e) => return Err(e),
                };
                for mut item in page.get("items").and_then(Json::as_array).cloned().unwrap_or_default() {
                    clean(&mut item, res, secrets);
                    items.push(item);
                }
                token = page
                    .pointer("/metadata/continue")
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

fn aggregated(doc: &Json, out: &mut Vec<Resource>, errors: &mut Vec<ClusterError>) {
    for g in doc.get("items").and_then(Json::as_array).into_iter().flatten() {
        let group = g.pointer("/metadata/name").and_then(Json::as_str).unwrap_or("").to_string();
        let Some(v) = g.get("versions").and_then(Json::as_array).and_then(|v| v.first()) else { continue };
        let version = v.get("version").and_then(Json::as_str).unwrap_or("").to_string();
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
            out.extend(listable(&group, &version, plural, kind, r));
        }
    }
}

/// A discovered resource type worth listing: not a subresource, and it
/// allows `list`.
fn listable(group: &str, version: &str, plural: &str, kind: &str, doc: &Json) -> Option<Resource> {
    let lists = doc.get("verbs").and_then(Json::as_array).into_iter().flatten().any(|v| v.as_str() == Some("list"));
    (!plural.is_empty() && !plural.contains('/') && lists).then(|| Resource {
        group: group.to_string(),
        version: version.to_string(),
        plural: plural.to_string(),
        kind: kind.to_string(),
    })
}

/// Makes a listed item a standalone object: apiVersion and kind set, noise
/// dropped (`managedFields`, the last-applied annotation), and for Secrets
/// anything but metadata removed.
fn clean(item: &mut Json, res: &Resource, secret: bool) {
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

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// The current UTC time as RFC 3339 (`2026-11-23T01:51:10Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let d = crate::exceptions::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{d}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
