//! The API client: discovery, paged lists with bounds, and what is kept
//! of each listed object.

use super::*;

/// A resource type to list.
#[derive(Debug, Clone)]
pub(super) struct Resource {
    pub(super) group: String,
    pub(super) version: String,
    pub(super) plural: String,
    pub(super) kind: String,
}

impl Resource {
    pub(super) fn path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.plural)
        }
    }

    pub(super) fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

#[derive(Debug)]
pub(super) struct HttpError {
    pub(super) status: u16,
    pub(super) message: String,
}

pub(super) struct Api {
    pub(super) client: Client,
    pub(super) opts: SnapshotOptions,
}

pub(super) const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
pub(super) const METADATA_ONLY: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

impl Api {
    /// GET with retries on 429 (honouring Retry-After, bounded). Each
    /// attempt is bounded by the request timeout, its answer by `max_bytes`.
    /// Returns the document and the bytes it took.
    pub(super) async fn get(&self, path: &str, accept: &str, max_bytes: u64) -> Result<(Json, u64), HttpError> {
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
    pub(super) async fn fetch(
        &self,
        req: Request<Body>,
        max_bytes: u64,
    ) -> Result<(StatusCode, Option<u64>, Vec<u8>), HttpError> {
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

    pub(super) async fn get_json(&self, path: &str) -> Result<Json, HttpError> {
        self.get(path, "application/json", self.opts.max_list_bytes).await.map(|(j, _)| j)
    }

    /// Every listable resource type, by aggregated discovery when the server
    /// offers it, else by the per-group documents.
    pub(super) async fn discover(&self) -> (Vec<Resource>, Vec<ClusterError>) {
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

    pub(super) async fn legacy(&self, root: &str, doc: &Json, out: &mut Vec<Resource>, errors: &mut Vec<ClusterError>) {
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
    pub(super) async fn list(&self, res: &Resource) -> Result<Vec<Json>, HttpError> {
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
pub(super) fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}

pub(super) fn invalid_name(group: &str, version: &str, resource: &str) -> ClusterError {
    ClusterError {
        group: clean(group, 64),
        version: clean(version, 64),
        resource: clean(resource, 64),
        status: 0,
        message: "discovery named an invalid group, version or resource; it was not read".into(),
    }
}

pub(super) fn aggregated(doc: &Json, out: &mut Vec<Resource>, errors: &mut Vec<ClusterError>) {
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
pub(super) fn listable(
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
pub(super) fn clean_item(item: &mut Json, res: &Resource, secret: bool) {
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
pub(super) const URL_COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub(super) fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_COMPONENT).to_string()
}
