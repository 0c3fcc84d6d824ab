//! Live clusters without a cluster: a local HTTP server on 127.0.0.1 that
//! answers as the Kubernetes API does (version, discovery, paginated lists,
//! a failing aggregated group, a 429, an expired continue token, Secrets
//! carrying canary values), and a kubeconfig pointing at it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{json, keys, parity_in, write_tree};
use serde_json::{Value as Json, json};

const SECRET_CANARY: &str = "CANARY-SECRET-7f3a9c";
const TOKEN_CANARY: &str = "CANARY-TOKEN-b81e44d2";

#[derive(Default)]
struct State {
    aggregated: bool,
    deployments_calls: usize,
    policies_calls: usize,
    requests: Vec<(String, String, String)>,
}

/// Starts the fake API server; returns its base URL.
fn serve(aggregated: bool) -> (String, Arc<Mutex<State>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    let state = Arc::new(Mutex::new(State { aggregated, ..State::default() }));
    let s = state.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let s = s.clone();
            std::thread::spawn(move || handle(stream, &s));
        }
    });
    (format!("http://{addr}"), state)
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (mut accept, mut auth, mut length) = (String::new(), String::new(), 0usize);
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            let (k, v) = h.split_once(':').unwrap_or(("", ""));
            match k.to_ascii_lowercase().as_str() {
                "accept" => accept = v.trim().to_string(),
                "authorization" => auth = v.trim().to_string(),
                "content-length" => length = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let (status, extra, doc) = route(&target, &accept, state);
        state.lock().expect("state").requests.push((target, accept, auth));
        let text = doc.to_string();
        let reason = match status {
            200 => "OK",
            410 => "Gone",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Not Found",
        };
        let resp = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: keep-alive\r\n\r\n{text}",
            text.len()
        );
        if stream.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

fn list(kind: &str, items: Vec<Json>, cont: &str) -> Json {
    json!({"kind": format!("{kind}List"), "apiVersion": "v1", "metadata": {"resourceVersion": "7", "continue": cont}, "items": items})
}

fn status(code: u16, message: &str) -> Json {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code})
}

fn res(name: &str, kind: &str, namespaced: bool) -> Json {
    json!({"name": name, "kind": kind, "namespaced": namespaced, "verbs": ["get", "list", "watch"]})
}

fn aggregated_res(name: &str, kind: &str, namespaced: bool) -> Json {
    json!({"resource": name, "responseKind": {"group": "", "version": "", "kind": kind}, "scope": if namespaced {"Namespaced"} else {"Cluster"}, "verbs": ["get", "list", "watch"]})
}

fn namespace(name: &str) -> Json {
    json!({"metadata": {"name": name, "uid": name, "managedFields": [{"manager": "kubectl"}], "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}, "status": {"phase": "Active"}})
}

fn route(target: &str, accept: &str, state: &Mutex<State>) -> (u16, String, Json) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let cont = query.split('&').find_map(|kv| kv.strip_prefix("continue=")).unwrap_or("");
    let aggregated = state.lock().expect("state").aggregated && accept.contains("apidiscovery.k8s.io");
    let ok = |j: Json| (200, String::new(), j);
    match path {
        "/version" => ok(json!({"major": "1", "minor": "30", "gitVersion": "v1.30.4", "platform": "linux/amd64"})),
        "/api" if aggregated => {
            ok(json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
                {"metadata": {"name": ""}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
                    aggregated_res("namespaces", "Namespace", false), aggregated_res("nodes", "Node", false),
                    aggregated_res("services", "Service", true), aggregated_res("secrets", "Secret", true),
                    {"resource": "bindings", "responseKind": {"kind": "Binding"}, "scope": "Namespaced", "verbs": ["create"]}
                ]}]}
            ]}))
        }
        "/api" => ok(json!({"kind": "APIVersions", "versions": ["v1"]})),
        "/api/v1" => ok(json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            res("namespaces", "Namespace", false), res("nodes", "Node", false), res("services", "Service", true),
            res("secrets", "Secret", true), res("pods/log", "Pod", true),
            {"name": "bindings", "kind": "Binding", "namespaced": true, "verbs": ["create"]}
        ]})),
        "/apis" if aggregated => {
            ok(json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
                {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "freshness": "Current", "resources": [aggregated_res("deployments", "Deployment", true)]}]},
                {"metadata": {"name": "networking.k8s.io"}, "versions": [{"version": "v1", "freshness": "Current", "resources": [aggregated_res("networkpolicies", "NetworkPolicy", true)]}]},
                {"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale", "resources": []}]}
            ]}))
        }
        "/apis" => ok(json!({"kind": "APIGroupList", "groups": [
            {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}], "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
            {"name": "networking.k8s.io", "versions": [{"groupVersion": "networking.k8s.io/v1", "version": "v1"}], "preferredVersion": {"groupVersion": "networking.k8s.io/v1", "version": "v1"}},
            {"name": "metrics.k8s.io", "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}], "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}}
        ]})),
        "/apis/apps/v1" => ok(
            json!({"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [res("deployments", "Deployment", true), res("deployments/scale", "Scale", true)]}),
        ),
        "/apis/networking.k8s.io/v1" => ok(
            json!({"kind": "APIResourceList", "groupVersion": "networking.k8s.io/v1", "resources": [res("networkpolicies", "NetworkPolicy", true)]}),
        ),
        "/apis/metrics.k8s.io/v1beta1" => {
            (503, String::new(), status(503, "the server is currently unable to handle the request"))
        }
        // Two pages.
        "/api/v1/namespaces" if cont.is_empty() => ok(list("Namespace", vec![namespace("payments")], "page-2")),
        "/api/v1/namespaces" => ok(list("Namespace", vec![namespace("web")], "")),
        "/api/v1/nodes" => ok(list(
            "Node",
            vec![json!({"metadata": {"name": "node-1", "labels": {"kubernetes.io/os": "linux"}}, "status": {
                "allocatable": {"cpu": "4", "memory": "16Gi"},
                "nodeInfo": {"kubeletVersion": "v1.30.4", "containerRuntimeVersion": "containerd://1.7.20", "operatingSystem": "linux", "architecture": "amd64"}
            }})],
            "",
        )),
        "/api/v1/services" => ok(list(
            "Service",
            vec![
                json!({"metadata": {"name": "api", "namespace": "web"}, "spec": {"ports": [{"port": 443, "protocol": "TCP"}]}}),
            ],
            "",
        )),
        "/api/v1/secrets" => {
            let meta = json!({"name": "db", "namespace": "payments", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"data\":{{\"password\":\"{SECRET_CANARY}\"}}}}")}});
            if accept.contains("PartialObjectMetadataList") {
                ok(
                    json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "items": [
                        {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
                    ]}),
                )
            } else {
                ok(list(
                    "Secret",
                    vec![
                        json!({"metadata": meta, "type": "Opaque", "data": {"password": SECRET_CANARY}, "stringData": {"token": SECRET_CANARY}}),
                    ],
                    "",
                ))
            }
        }
        // Throttled once.
        "/apis/apps/v1/deployments" => {
            let n = {
                let mut st = state.lock().expect("state");
                st.deployments_calls += 1;
                st.deployments_calls
            };
            if n == 1 {
                return (429, "Retry-After: 1\r\n".into(), status(429, "too many requests"));
            }
            ok(list(
                "Deployment",
                vec![
                    json!({"metadata": {"name": "api", "namespace": "web"}, "spec": {"template": {"spec": {"containers": [
                        {"name": "api", "image": "web/api:1.2", "securityContext": {"privileged": true}}
                    ]}}}}),
                ],
                "",
            ))
        }
        // The continue token expires once: the list restarts from the top.
        "/apis/networking.k8s.io/v1/networkpolicies" => {
            let n = {
                let mut st = state.lock().expect("state");
                st.policies_calls += 1;
                st.policies_calls
            };
            let deny = |ns: &str| json!({"metadata": {"name": "default-deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}});
            match (n, cont) {
                (2, _) => (410, String::new(), status(410, "The provided continue parameter is too old")),
                (_, "") => ok(list("NetworkPolicy", vec![deny("payments")], "np-2")),
                _ => ok(list("NetworkPolicy", vec![], "")),
            }
        }
        _ => (404, String::new(), status(404, "not found")),
    }
}

fn kubeconfig(dir: &Path, server: &str) -> String {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\nusers:\n- name: auditor\n  user:\n    token: {TOKEN_CANARY}\ncontexts:\n- name: prod\n  context:\n    cluster: fake\n    user: auditor\ncurrent-context: prod\n"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("write kubeconfig");
    path.to_string_lossy().into_owned()
}

fn read_all(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.push_str(&read_all(&p));
        } else if p.file_name().is_some_and(|n| n != "kubeconfig") {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()));
        }
    }
    out
}

fn assert_no_canary(what: &str, text: &str) {
    assert!(!text.contains(SECRET_CANARY), "a Secret's value leaked into {what}");
    assert!(!text.contains(TOKEN_CANARY), "the token leaked into {what}");
}

fn check_snapshot(aggregated: bool) {
    let (url, state) = serve(aggregated);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let out = dir.path().join("snaps");
    let run = parity_in(
        dir.path(),
        &["snapshot", "--kubeconfig", &kc, "--context", "prod", "-o", &out.to_string_lossy()],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "a group was missed, so exit 2:\n{}", run.stderr);
    assert!(run.stderr.contains("metrics.k8s.io"), "{}", run.stderr);
    let text = std::fs::read_to_string(out.join("prod.json")).expect("snapshot written");
    let snap: Json = serde_json::from_str(&text).expect("snapshot is JSON");
    assert_eq!(snap["kind"], "Snapshot");
    assert_eq!(snap["context"], "prod");
    assert_eq!(snap["serverVersion"], "v1.30.4");
    assert!(snap["time"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 20), "{}", snap["time"]);
    let objects = snap["objects"].as_array().expect("objects");
    let names: Vec<String> = objects
        .iter()
        .map(|o| format!("{}/{}", o["kind"].as_str().unwrap_or(""), o["metadata"]["name"].as_str().unwrap_or("")))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "Deployment/api",
            "Namespace/payments",
            "Namespace/web",
            "NetworkPolicy/default-deny",
            "Node/node-1",
            "Secret/db",
            "Service/api"
        ]
    );
    // Cleaned: no managedFields, no last-applied annotation; status kept.
    assert!(!text.contains("managedFields") && !text.contains("last-applied-configuration"));
    let node = objects.iter().find(|o| o["kind"] == "Node").expect("node");
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], "v1.30.4");
    let secret = objects.iter().find(|o| o["kind"] == "Secret").expect("secret");
    assert_eq!(secret["apiVersion"], "v1");
    assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
    // The failing group is recorded; the rest was read.
    let errors = snap["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["group"], "metrics.k8s.io");
    assert_eq!(errors[0]["status"], 503);
    let st = state.lock().expect("state");
    // 429 honoured: the deployments list was asked twice.
    assert_eq!(st.deployments_calls, 2);
    // 410: the network policy list restarted once (page 1, 410, page 1, page 2).
    assert_eq!(st.policies_calls, 4);
    // Secrets were only ever asked for as metadata.
    for (path, accept, auth) in &st.requests {
        if path.starts_with("/api/v1/secrets") {
            assert!(accept.contains("PartialObjectMetadataList"), "{path}: {accept}");
        }
        assert_eq!(auth, &format!("Bearer {TOKEN_CANARY}"), "the token is sent to the server");
    }
    drop(st);
    assert_no_canary("stdout", &run.stdout);
    assert_no_canary("stderr", &run.stderr);
    assert_no_canary("the snapshot", &read_all(dir.path()));
}

#[test]
fn snapshot_with_legacy_discovery() {
    check_snapshot(false);
}

#[test]
fn snapshot_with_aggregated_discovery() {
    check_snapshot(true);
}

#[test]
fn audit_finds_what_check_finds_on_the_same_objects() {
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let saved = dir.path().join("saved");
    let audit = parity_in(
        dir.path(),
        &["audit", "--kubeconfig", &kc, "--context", "prod", "--format", "json", "--save", &saved.to_string_lossy()],
        None,
        &[],
    );
    assert_eq!(audit.code, 2, "{}", audit.stderr);
    let a = json(&audit);
    let errors = a["errors"].as_array().expect("errors");
    assert!(errors.iter().any(|e| e["message"].as_str().unwrap_or("").contains("metrics.k8s.io")), "{errors:?}");
    assert!(!keys(&a).is_empty(), "findings are printed despite the missed group");
    // The same objects as a manifest tree.
    let snap: Json =
        serde_json::from_str(&std::fs::read_to_string(saved.join("prod.json")).expect("saved")).expect("json");
    let docs: Vec<String> =
        snap["objects"].as_array().expect("objects").iter().map(|o| format!("---\n{o}\n")).collect();
    write_tree(dir.path(), &[("tree/prod/objects.yaml", &docs.concat())]);
    let check = parity_in(dir.path(), &["check", "--format", "json", "tree"], None, &[]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    let c = json(&check);
    let strip = |r: &Json| -> Vec<(String, String)> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    format!("{} {} {} {}/{}", f["rule"], f["env"], f["kind"], f["namespace"], f["name"]),
                    f["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&c));
    assert!(keys(&a).contains(&"no-privileged-containers prod Deployment web/api".to_string()), "{:?}", keys(&a));
    assert_no_canary("audit output", &format!("{}{}", audit.stdout, audit.stderr));
    // PolicyReports for dashboards.
    let pr = parity_in(
        dir.path(),
        &["audit", "--kubeconfig", &kc, "--context", "prod", "--format", "policyreport", "-q"],
        None,
        &[],
    );
    let list: Json = serde_json::from_str(&pr.stdout).expect("policy reports are JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    assert!(items.iter().any(|i| i["kind"] == "PolicyReport" && i["metadata"]["namespace"] == "web"), "{items:?}");
    assert!(items.iter().all(|i| i["apiVersion"] == "wgpolicyk8s.io/v1alpha2"));
    let web = items.iter().find(|i| i["metadata"]["namespace"] == "web").expect("web report");
    assert!(web["results"].as_array().expect("results").iter().any(|r| r["policy"] == "no-privileged-containers"
        && r["result"] == "fail"
        && r["resources"][0]["name"] == "api"));
}

#[test]
fn unknown_context_and_unreachable_server_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), "http://127.0.0.1:9");
    let unknown = parity_in(dir.path(), &["snapshot", "--kubeconfig", &kc, "--context", "nope"], None, &[]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("context `nope` is not in the kubeconfig (it has: prod)"), "{}", unknown.stderr);
    let down = parity_in(dir.path(), &["snapshot", "--kubeconfig", &kc, "--context", "prod", "-o", "out"], None, &[]);
    assert_eq!(down.code, 2);
    assert!(down.stderr.contains("cannot reach the API server"), "{}", down.stderr);
    assert_no_canary("stderr", &down.stderr);
}
