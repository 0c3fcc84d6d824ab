//! The schema rules' shortcuts (issue 17, cost) change no finding:
//! `api-version-parity`'s env-level conditions are computed once per env
//! (`Op::EnvMemo`; `PARITY_NO_ENV_MEMO` turns the reuse off), and an object
//! is validated once per group of versions sharing its kind's schema.

mod common;

use common::{Run, json, parity_in, write_tree};
use serde_json::{Value as Json, json};

const CORPUS: &str = "tests/fixtures/schema/corpus";

/// dev and staging on 1.28, prod on 1.29: dev's next env has the same
/// schema (not compared), staging's has not.
const CONFIG: &str = "[[env]]\nname = \"dev\"\nsource = \"dev\"\nversion = \"1.28\"\n\n\
    [[env]]\nname = \"staging\"\nsource = \"staging\"\nversion = \"1.28\"\n\n\
    [[env]]\nname = \"prod\"\nsource = \"prod\"\nversion = \"1.29\"\n";

/// A tree with the whole schema corpus in each of the three envs.
fn three_envs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<(String, String)> = vec![("parity.toml".into(), CONFIG.into())];
    for entry in std::fs::read_dir(CORPUS).expect("corpus") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("fixture");
        let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        for env in ["dev", "staging", "prod"] {
            files.push((format!("{env}/{name}"), text.clone()));
        }
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write_tree(dir.path(), &refs);
    dir
}

fn report(run: &Run) -> Json {
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let mut r = json(run);
    r["summary"]["elapsed_ms"] = json!(0);
    r
}

#[test]
fn memoised_env_conditions_find_exactly_what_evaluating_them_per_object_finds() {
    let dir = three_envs();
    let args = ["check", "--format", "json"];
    let memo = report(&parity_in(dir.path(), &args, None, &[]));
    let plain = report(&parity_in(dir.path(), &args, None, &[("PARITY_NO_ENV_MEMO", "1")]));
    assert_eq!(memo, plain);
    let parity: Vec<String> = memo["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "api-version-parity")
        .map(|f| format!("{} {}", f["env"].as_str().unwrap_or(""), f["message"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        parity,
        [
            "staging FlowSchema shop-batch is valid on staging (Kubernetes 1.28) but prod (Kubernetes 1.29) would reject it: flowcontrol.apiserver.k8s.io/v1beta2 is not served there; use flowcontrol.apiserver.k8s.io/v1"
        ]
    );
    // schema-valid still reports each invalid object once per env, with
    // its problems (validated once, asked by two rules).
    let mut typo: Vec<String> = memo["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "schema-valid" && f["name"] == "api")
        .filter(|f| f["kind"] == "Deployment")
        .map(|f| format!("{} {}:{}", f["env"].as_str().unwrap_or(""), f["file"].as_str().unwrap_or(""), f["line"]))
        .collect();
    typo.sort();
    assert_eq!(
        typo,
        [
            "dev dev/deployment-replica-typo.yaml:7",
            "prod prod/deployment-replica-typo.yaml:7",
            "staging staging/deployment-replica-typo.yaml:7"
        ]
    );
}
