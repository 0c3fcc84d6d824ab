//! Live clusters without a cluster: a local HTTP server on 127.0.0.1 that
//! answers as the Kubernetes API does (version, discovery, paginated lists,
//! a failing aggregated group, a 429, an expired continue token, Secrets
//! carrying canary values), and a kubeconfig pointing at it. Hostile modes
//! (`Hostile`) make it page forever, answer too much, never answer, or put
//! terminal escapes in its text; credential canaries (exec plugin args, env
//! and output, tokens, keys, passwords) must never reach any output.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{json, keys, parity_in, write_tree};
use serde_json::{Value as Json, json};

const SECRET_CANARY: &str = "CANARY-SECRET-7f3a9c";
const TOKEN_CANARY: &str = "CANARY-TOKEN-b81e44d2";
const ARG_CANARY: &str = "CANARY-ARG-51c0";
const ENV_CANARY: &str = "CANARY-ENV-9d2e";
const OUT_CANARY: &str = "CANARY-OUT-77aa";
const KEY_CANARY: &str = "CANARY-KEY-3b6f";
const PASSWORD_CANARY: &str = "CANARY-PASSWORD-e01c";
const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
const RLO: char = '\u{202e}';

/// How the fake server misbehaves.
#[derive(Default, Clone, Copy, PartialEq)]
enum Hostile {
    #[default]
    No,
    /// Every page of namespaces carries a `continue` token.
    EndlessContinue,
    /// Namespaces: 5 objects, one with a 20 KB annotation.
    BigList,
    /// ESC/OSC sequences, newlines and workflow commands in the version and
    /// in error messages.
    Escapes,
}

#[derive(Default)]
struct State {
    aggregated: bool,
    hostile: Hostile,
    deployments_calls: usize,
    policies_calls: usize,
    requests: Vec<(String, String, String)>,
}

/// Starts the fake API server; returns its base URL.
fn serve(aggregated: bool) -> (String, Arc<Mutex<State>>) {
    serve_hostile(aggregated, Hostile::No)
}

fn serve_hostile(aggregated: bool, hostile: Hostile) -> (String, Arc<Mutex<State>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    let state = Arc::new(Mutex::new(State { aggregated, hostile, ..State::default() }));
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
    let (aggregated, hostile) = {
        let st = state.lock().expect("state");
        (st.aggregated && accept.contains("apidiscovery.k8s.io"), st.hostile)
    };
    let ok = |j: Json| (200, String::new(), j);
    match (hostile, path) {
        (Hostile::EndlessContinue, "/api/v1/namespaces") => {
            let n: u64 = cont.strip_prefix("page-").and_then(|n| n.parse().ok()).unwrap_or(0);
            return ok(list("Namespace", vec![namespace(&format!("ns-{n}"))], &format!("page-{}", n + 1)));
        }
        (Hostile::BigList, "/api/v1/namespaces") => {
            let mut items: Vec<Json> = (0..4).map(|i| namespace(&format!("ns-{i}"))).collect();
            items.push(json!({"metadata": {"name": "big", "annotations": {"note": "x".repeat(20_000)}}}));
            return ok(list("Namespace", items, ""));
        }
        (Hostile::Escapes, "/version") => {
            return ok(json!({"gitVersion": format!("v1.30.4{ESC}]0;owned{BEL}{ESC}[31m\n::error::pwned")}));
        }
        (Hostile::Escapes, "/apis/metrics.k8s.io/v1beta1") => {
            let m = format!("down{ESC}[2J\n::add-mask::mask-me\r\n::stop-commands::x{RLO}gnp.exe");
            return (503, String::new(), status(503, &m));
        }
        _ => {}
    }
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
    kubeconfig_with(dir, server, &format!("    token: {TOKEN_CANARY}\n"), &["prod"])
}

/// A kubeconfig with one user (`user`: the lines under `user:`, indented
/// by 4) and these contexts, all on the fake cluster.
fn kubeconfig_with(dir: &Path, server: &str, user: &str, contexts: &[&str]) -> String {
    let ctx: String = contexts
        .iter()
        .map(|c| format!("- name: {}\n  context:\n    cluster: fake\n    user: auditor\n", json!(c)))
        .collect();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\nusers:\n- name: auditor\n  user:\n{user}contexts:\n{ctx}current-context: {}\n",
        json!(contexts[0])
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
    for (canary, name) in [
        (ARG_CANARY, "an exec plugin argument"),
        (ENV_CANARY, "an exec plugin env value"),
        (OUT_CANARY, "an exec plugin's output"),
        (KEY_CANARY, "a client key"),
        (PASSWORD_CANARY, "a password"),
    ] {
        assert!(!text.contains(canary), "{name} leaked into {what}:\n{text}");
    }
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
    // At the cluster's version, as the schema rules read it from the cluster.
    let check = parity_in(dir.path(), &["check", "--format", "json", "--kube-version", "1.30", "tree"], None, &[]);
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
fn audit_checks_its_snapshots_in_memory_without_a_temporary_folder() {
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let tmp_env = tmp.to_string_lossy().to_string();
    let audit = parity_in(
        dir.path(),
        &["audit", "--kubeconfig", &kc, "--context", "prod", "--format", "json"],
        None,
        &[("TMPDIR", tmp_env.as_str())],
    );
    assert_eq!(audit.code, 2, "{}", audit.stderr);
    let a = json(&audit);
    let finding = a["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "no-privileged-containers")
        .expect("the privileged Deployment is found");
    // Shown as the cluster it came from, with no line in a file nobody has.
    assert_eq!((finding["file"].as_str(), finding["line"].as_u64()), (Some("cluster:prod"), Some(0)));
    // Nothing was written anywhere: not in the temporary folder, not here.
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0);
    assert!(!dir.path().join("prod.json").exists());
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

const FORMATS: [&str; 6] = ["human", "json", "sarif", "junit", "github", "policyreport"];

/// Runs `snapshot` and `audit` in every format (saving its snapshots) with
/// this kubeconfig and asserts that no canary reaches stdout, stderr or a
/// written file. Returns the snapshot run and the audit runs by format.
fn every_output(dir: &Path, kc: &str, extra: &[&str]) -> (common::Run, Vec<(String, common::Run)>) {
    let out = dir.join("out");
    let mut args = vec!["snapshot", "--kubeconfig", kc, "-o"];
    let out_s = out.to_string_lossy().into_owned();
    args.push(&out_s);
    args.extend_from_slice(extra);
    let snap = parity_in(dir, &args, None, &[]);
    assert_no_canary("snapshot stdout", &snap.stdout);
    assert_no_canary("snapshot stderr", &snap.stderr);
    let mut audits = Vec::new();
    for f in FORMATS {
        let saved = dir.join(format!("saved-{f}")).to_string_lossy().into_owned();
        let mut args = vec!["audit", "--kubeconfig", kc, "--format", f, "--save", &saved];
        args.extend_from_slice(extra);
        let run = parity_in(dir, &args, None, &[]);
        assert_no_canary(&format!("audit --format {f} stdout"), &run.stdout);
        assert_no_canary(&format!("audit --format {f} stderr"), &run.stderr);
        audits.push((f.to_string(), run));
    }
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        if entry.path().is_dir() && entry.file_name() != "bin" {
            assert_no_canary("a written file", &read_all(&entry.path()));
        }
    }
    (snap, audits)
}

/// An executable shell script in its own folder (outside what the tests
/// grep), as an exec credential plugin.
#[cfg(unix)]
fn plugin(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write plugin");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod plugin");
    path.to_string_lossy().into_owned()
}

/// The `user:` lines of an exec plugin with a canary argument and env value.
fn exec_user(command: &str) -> String {
    format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {command}\n      args: [{ARG_CANARY}]\n      env:\n      - name: PLUGIN_SECRET\n        value: {ENV_CANARY}\n      interactiveMode: IfAvailable\n"
    )
}

#[cfg(unix)]
#[test]
fn a_failing_exec_plugin_leaks_no_argument_env_or_output() {
    let (url, state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    // The plugin prints its argument, its env value and a canary on both
    // streams, then fails.
    let cmd = plugin(
        dir.path(),
        "fail.sh",
        &format!(
            "echo \"token: $1 $PLUGIN_SECRET {OUT_CANARY}\"\necho \"error: $1 $PLUGIN_SECRET {OUT_CANARY}\" >&2\nexit 1\n"
        ),
    );
    let kc = kubeconfig_with(dir.path(), &url, &exec_user(&cmd), &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(
        snap.stderr.contains(
            "context `prod`: credentials: the credential plugin `fail.sh` failed (exit status 1); its arguments, environment and output are not shown"
        ),
        "{}",
        snap.stderr
    );
    for (f, run) in &audits {
        assert_eq!(run.code, 2, "audit --format {f}: {}{}", run.stdout, run.stderr);
    }
    let json_run = &audits.iter().find(|(f, _)| f == "json").expect("json").1;
    let errors = json(json_run)["errors"].as_array().expect("errors").clone();
    assert!(errors.iter().any(|e| e["message"].as_str().unwrap_or("").contains("`fail.sh` failed")), "{errors:?}");
    assert!(state.lock().expect("state").requests.is_empty(), "nothing is asked without a credential");
}

#[cfg(unix)]
#[test]
fn an_exec_plugin_that_prints_no_credential_is_an_error_without_its_output() {
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let cmd = plugin(dir.path(), "garbage.sh", &format!("echo \"{OUT_CANARY} $1 $PLUGIN_SECRET: [\"\n"));
    let kc = kubeconfig_with(dir.path(), &url, &exec_user(&cmd), &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2);
    assert!(snap.stderr.contains("the credential plugin's output is not an ExecCredential"), "{}", snap.stderr);
    assert!(audits.iter().all(|(_, r)| r.code == 2));
}

#[cfg(unix)]
#[test]
fn an_exec_plugin_token_is_sent_and_never_shown() {
    let (url, state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let cred = json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"token": TOKEN_CANARY}});
    let cmd = plugin(dir.path(), "token.sh", &format!("printf '%s\\n' '{cred}'\n"));
    let kc = kubeconfig_with(dir.path(), &url, &exec_user(&cmd), &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    // Only the stale metrics group is missed.
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(dir.path().join("out").join("prod.json").is_file());
    let json_run = &audits.iter().find(|(f, _)| f == "json").expect("json").1;
    assert!(!keys(&json(json_run)).is_empty(), "the audit checked the cluster: {}", json_run.stderr);
    let st = state.lock().expect("state");
    assert!(!st.requests.is_empty());
    assert!(st.requests.iter().all(|(_, _, auth)| *auth == format!("Bearer {TOKEN_CANARY}")));
}

#[test]
fn client_keys_and_passwords_never_reach_an_output() {
    // A password: sent to the server (basic auth), never shown.
    let (url, state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let user = format!("    username: auditor\n    password: {PASSWORD_CANARY}\n");
    let kc = kubeconfig_with(dir.path(), &url, &user, &["prod"]);
    let (snap, _) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(state.lock().expect("state").requests.iter().all(|(_, _, auth)| auth.starts_with("Basic ")));
    // A client key (and certificate) that is not valid: an error naming
    // what is wrong, never the key's bytes.
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let pem = |what: &str| {
        let text = format!("-----BEGIN {what}-----\n{KEY_CANARY}\n-----END {what}-----\n");
        base64(text.as_bytes())
    };
    let user =
        format!("    client-certificate-data: {}\n    client-key-data: {}\n", pem("CERTIFICATE"), pem("PRIVATE KEY"));
    let kc = kubeconfig_with(dir.path(), &url.replace("http://", "https://"), &user, &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(snap.stderr.contains("context `prod`: "), "{}", snap.stderr);
    assert!(audits.iter().all(|(_, r)| r.code == 2));
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_token_with_a_trailing_newline_is_an_error_not_a_panic() {
    let (url, state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    // `token: |` keeps the line break, which no HTTP header may hold.
    let kc = kubeconfig_with(dir.path(), &url, &format!("    token: |\n      {TOKEN_CANARY}\n"), &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(
        snap.stderr.contains(
            "context `prod`: the token of user `auditor` is not a valid HTTP header value: it holds a line break"
        ),
        "{}",
        snap.stderr
    );
    assert!(!snap.stderr.contains("panicked"), "{}", snap.stderr);
    assert!(!dir.path().join("out").join("prod.json").exists(), "nothing is written for a context not read");
    for (f, run) in &audits {
        assert_eq!(run.code, 2, "audit --format {f} must not pass: {}{}", run.stdout, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert!(state.lock().expect("state").requests.is_empty());
}

#[test]
fn a_token_file_is_trimmed_as_kubectl_does() {
    let (url, state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN_CANARY}\n")).expect("write token");
    let kc = kubeconfig_with(dir.path(), &url, &format!("    tokenFile: {}\n", file.to_string_lossy()), &["prod"]);
    let run = parity_in(dir.path(), &["snapshot", "--kubeconfig", &kc, "-o", "out"], None, &[]);
    assert_eq!(run.code, 2, "only the stale metrics group is missed: {}", run.stderr);
    assert!(dir.path().join("out").join("prod.json").is_file());
    let st = state.lock().expect("state");
    assert!(st.requests.iter().all(|(_, _, auth)| *auth == format!("Bearer {TOKEN_CANARY}")));
    assert_no_canary("stderr", &run.stderr);
}

#[cfg(unix)]
#[test]
fn a_panic_while_reading_a_context_is_an_error_for_it() {
    // An exec plugin's token with a line break makes kube panic while it
    // builds the client: that context is an error (exit 2), never dropped.
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let cred = json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"token": format!("{TOKEN_CANARY}\n")}});
    let cmd = plugin(dir.path(), "newline.sh", &format!("printf '%s\\n' '{cred}'\n"));
    let kc = kubeconfig_with(dir.path(), &url, &exec_user(&cmd), &["prod"]);
    let (snap, audits) = every_output(dir.path(), &kc, &[]);
    assert_eq!(snap.code, 2, "{}", snap.stderr);
    assert!(
        snap.stderr
            .contains("context `prod`: reading it stopped: an internal task panicked while setting up the client"),
        "{}",
        snap.stderr
    );
    // One line says a task panicked; no panic message, no backtrace.
    assert!(snap.stderr.contains("warning: an internal task panicked at "), "{}", snap.stderr);
    assert!(!snap.stderr.contains("stack backtrace") && !snap.stderr.contains("InvalidHeaderValue"), "{}", snap.stderr);
    let json_run = &audits.iter().find(|(f, _)| f == "json").expect("json").1;
    assert_eq!(json_run.code, 2);
    let errors = json(json_run)["errors"].as_array().expect("errors").clone();
    assert!(errors.iter().any(|e| e["message"].as_str().unwrap_or("").contains("panicked")), "{errors:?}");
}

#[test]
fn contexts_that_differ_by_a_slash_get_distinct_snapshot_files() {
    let (url, _state) = serve(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc =
        kubeconfig_with(dir.path(), &url, &format!("    token: {TOKEN_CANARY}\n"), &["a/b", "a_b", "Prod", "prod"]);
    let run = parity_in(
        dir.path(),
        &["snapshot", "--kubeconfig", &kc, "--context", "a/b", "--context", "a_b", "-o", "out"],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let read = |f: &str| -> Json {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out").join(f)).expect(f)).expect("json")
    };
    assert_eq!(read("a%2Fb.json")["context"], "a/b");
    assert_eq!(read("a_b.json")["context"], "a_b");
    assert!(run.stderr.contains("→ out/a%2Fb.json") && run.stderr.contains("→ out/a_b.json"), "{}", run.stderr);
    // Names that differ only by case would share a file on macOS and
    // Windows: the second is an error, the first is kept.
    let run = parity_in(
        dir.path(),
        &["snapshot", "--kubeconfig", &kc, "--context", "Prod", "--context", "prod", "-o", "cases"],
        None,
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("would overwrite the snapshot of `Prod`"), "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(&std::fs::read_to_string(dir.path().join("cases/Prod.json")).expect("Prod"))
            .expect("json")["context"],
        "Prod"
    );
}

/// Snapshot with extra flags against a hostile server; returns the run and
/// the snapshot written (namespaces are the hostile list).
fn hostile_snapshot(hostile: Hostile, flags: &[&str]) -> (common::Run, Json) {
    let (url, _state) = serve_hostile(false, hostile);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let mut args = vec!["snapshot", "--kubeconfig", &kc, "-o", "out"];
    args.extend_from_slice(flags);
    let run = parity_in(dir.path(), &args, None, &[]);
    let snap = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/prod.json")).expect("written"))
        .expect("json");
    (run, snap)
}

fn kinds(snap: &Json) -> Vec<String> {
    let mut k: Vec<String> =
        snap["objects"].as_array().expect("objects").iter().map(|o| o["kind"].as_str().unwrap_or("").into()).collect();
    k.dedup();
    k
}

#[test]
fn a_list_that_never_ends_is_bounded_by_pages() {
    let (run, snap) = hostile_snapshot(Hostile::EndlessContinue, &["--max-list-pages", "5"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not read `v1/namespaces`: the list still had more pages after 5 (--max-list-pages)"),
        "{}",
        run.stderr
    );
    assert!(!kinds(&snap).contains(&"Namespace".to_string()), "nothing of the list is kept");
    assert!(kinds(&snap).contains(&"Deployment".to_string()), "the rest is read: {:?}", kinds(&snap));
}

#[test]
fn a_list_too_large_is_bounded_by_objects_and_bytes() {
    let (run, snap) = hostile_snapshot(Hostile::BigList, &["--max-list-objects", "4"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`v1/namespaces`: the list has more than 4 objects (--max-list-objects)"),
        "{}",
        run.stderr
    );
    assert!(!kinds(&snap).contains(&"Namespace".to_string()));
    assert!(kinds(&snap).contains(&"Node".to_string()));
    let (run, snap) = hostile_snapshot(Hostile::BigList, &["--max-list-bytes", "10000"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`v1/namespaces`: the answer is larger than the limit of 10000 bytes (--max-list-bytes)"),
        "{}",
        run.stderr
    );
    assert!(!kinds(&snap).contains(&"Namespace".to_string()));
    assert!(kinds(&snap).contains(&"Node".to_string()));
    // Within the bounds, the same server is read whole.
    let (_, snap) = hostile_snapshot(Hostile::BigList, &[]);
    assert_eq!(snap["objects"].as_array().expect("objects").iter().filter(|o| o["kind"] == "Namespace").count(), 5);
}

/// A server that accepts connections and never answers.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_server_that_never_answers_does_not_hang_snapshot_or_audit() {
    let url = silent_server();
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let flags = ["--request-timeout", "0.5", "--connect-timeout", "0.5"];
    let mut args = vec!["snapshot", "--kubeconfig", &kc, "-o", "out"];
    args.extend_from_slice(&flags);
    let run = parity_in(dir.path(), &args, None, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "context `prod`: cannot reach the API server: the API server did not answer within 0.5 s (--request-timeout)"
        ),
        "{}",
        run.stderr
    );
    let mut args = vec!["audit", "--kubeconfig", &kc, "--format", "json"];
    args.extend_from_slice(&flags);
    let run = parity_in(dir.path(), &args, None, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let errors = json(&run)["errors"].as_array().expect("errors").clone();
    assert!(
        errors.iter().any(|e| e["message"].as_str().unwrap_or("").contains("did not answer within 0.5 s")),
        "{errors:?}"
    );
    // Bad values are refused by the argument parser.
    let run = parity_in(dir.path(), &["snapshot", "--request-timeout", "0"], None, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not a number of seconds"), "{}", run.stderr);
}

#[test]
fn server_text_is_escaped_before_any_output() {
    let (url, _state) = serve_hostile(false, Hostile::Escapes);
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = kubeconfig(dir.path(), &url);
    let run = parity_in(dir.path(), &["snapshot", "--kubeconfig", &kc, "-o", "out"], None, &[]);
    assert_eq!(run.code, 2);
    let clean = |what: &str, text: &str| {
        assert!(
            !text.contains(ESC) && !text.contains(BEL) && !text.contains(RLO),
            "raw control text in {what}:\n{text}"
        );
        for line in text.lines() {
            for cmd in ["::add-mask::", "::stop-commands::", "::error::pwned"] {
                assert!(!line.trim_start().starts_with(cmd), "a workflow command on its own line in {what}: {line}");
            }
        }
    };
    clean("snapshot stderr", &run.stderr);
    assert!(run.stderr.contains("server v1.30.4\\u{1b}]0;owned\\u{7}"), "{}", run.stderr);
    assert!(
        run.stderr.contains("down\\u{1b}[2J\\u{a}::add-mask::mask-me\\u{d}\\u{a}::stop-commands::x\\u{202e}gnp.exe"),
        "{}",
        run.stderr
    );
    let snap: Json = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/prod.json")).expect("written"))
        .expect("json");
    clean("serverVersion", snap["serverVersion"].as_str().expect("version"));
    clean("snapshot errors", &snap["errors"].to_string());
    for f in FORMATS {
        let run = parity_in(dir.path(), &["audit", "--kubeconfig", &kc, "--format", f], None, &[]);
        assert_eq!(run.code, 2, "{f}");
        clean(&format!("audit --format {f}"), &format!("{}\n{}", run.stdout, run.stderr));
    }
}
