//! The CI output formats end to end, on the real binary: SARIF checked by
//! the SARIF Multitool (and by structure), JUnit parsed as CI systems parse
//! it (Python's ElementTree), GitHub workflow commands line by line.
//!
//! The multitool is found through `PARITY_SARIF_MULTITOOL` (a command,
//! split on whitespace; `.ci/run` installs it and sets this), else
//! `npx --no-install @microsoft/sarif-multitool`. When it is missing the
//! SARIF validation fails (`PARITY_SKIP_EXTERNAL_TOOLS=1` skips it on
//! purpose, with a notice). Its `validate` command exits 0 even on invalid input, so the
//! verdict is read from the SARIF log it writes with `--output`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{Run, parity};
use serde_json::Value as Json;

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend(args);
    parity(&all)
}

use common::json as json_of;

fn findings_count(args: &[&str]) -> usize {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    json_of(&check(&args))["findings"].as_array().expect("findings").len()
}

const EXAMPLE: &str = "examples/manifests";
const DRIFT: &str = "tests/fixtures/drift";
const BROKEN: &str = "tests/fixtures/broken";

// ---------------------------------------------------------------- SARIF

fn sarif(args: &[&str]) -> (Run, Json) {
    let mut args = args.to_vec();
    args.extend(["--format", "sarif"]);
    let run = check(&args);
    let log = json_of(&run);
    (run, log)
}

/// The key requirements of SARIF 2.1.0 that parity's output must meet,
/// checked in Rust whatever the multitool says.
fn assert_sarif_structure(log: &Json, findings: usize) {
    assert_eq!(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "parity");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // Only Cargo.toml's `repository` is ever named; nothing is invented.
    match env!("CARGO_PKG_REPOSITORY") {
        "" => assert!(driver.get("informationUri").is_none(), "{driver}"),
        repo => assert_eq!(driver["informationUri"], repo),
    }
    let rules = driver["rules"].as_array().expect("driver.rules");
    for r in rules {
        assert!(r["id"].as_str().is_some_and(|s| !s.is_empty()), "rule without id: {r}");
        for key in ["shortDescription", "fullDescription"] {
            assert!(r[key]["text"].as_str().is_some_and(|s| !s.is_empty()), "rule {} lacks {key}", r["id"]);
        }
        assert!(r["help"]["text"].is_string() && r["help"]["markdown"].is_string(), "rule {} lacks help", r["id"]);
        assert!(matches!(r["defaultConfiguration"]["level"].as_str(), Some("error" | "warning" | "note")));
        assert!(r["properties"]["tags"].is_array());
    }
    let results = runs[0]["results"].as_array().expect("results");
    assert_eq!(results.len(), findings, "one result per finding");
    for res in results {
        let rule_id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], rule_id, "ruleIndex points at ruleId");
        assert!(matches!(res["level"].as_str(), Some("error" | "warning" | "note")));
        assert!(res["message"]["text"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(res["partialFingerprints"]["parity/v1"].as_str().is_some_and(|s| s.len() == 16));
        for key in ["env", "kind", "namespace", "name"] {
            assert!(res["properties"][key].is_string(), "result property {key}");
        }
        let locations = res["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let loc = &locations[0];
        if res["properties"]["kind"] == "" {
            assert_eq!(loc["logicalLocations"][0]["name"], res["properties"]["env"]);
        } else {
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.contains('\\') && !uri.starts_with('/'), "relative URI with /: {uri}");
            assert!(loc["physicalLocation"]["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
        }
        for rel in res["relatedLocations"].as_array().into_iter().flatten() {
            assert!(rel["id"].is_u64());
            assert!(rel["physicalLocation"]["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
            assert!(rel["message"]["text"].as_str().is_some_and(|t| t.contains(" in env ")));
        }
    }
}

#[test]
fn sarif_describes_every_rule_and_finding() {
    let (run, log) = sarif(&[EXAMPLE]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_sarif_structure(&log, findings_count(&[EXAMPLE]));
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 38, "every standard rule, with or without findings");
    let listed = parity(&["rules"]).stdout;
    for r in rules {
        let id = r["id"].as_str().expect("id");
        assert!(listed.contains(id), "{id} is a standard rule");
    }
    let results = log["runs"][0]["results"].as_array().expect("results");
    // The namespace missing in dev points at its counterpart in staging.
    let ns = results
        .iter()
        .find(|r| r["ruleId"] == "namespace-parity" && r["properties"]["name"] == "monitoring")
        .expect("namespace-parity finding");
    assert_eq!(
        ns["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/manifests/prod/namespaces.yaml"
    );
    assert_eq!(ns["locations"][0]["physicalLocation"]["region"]["startLine"], 15);
    let related = &ns["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], "examples/manifests/staging/namespaces.yaml");
    assert_eq!(related["message"]["text"], "Namespace monitoring in env staging");
    // Env-level: a logical location naming the env.
    let kubelet = results.iter().find(|r| r["ruleId"] == "kubelet-version-parity").expect("kubelet finding");
    assert_eq!(kubelet["locations"][0]["logicalLocations"][0]["name"], "dev");
    // Evidence items: dev's value, the reference env's expected.
    assert_eq!(kubelet["properties"]["evidence"][0]["env"], "dev");
    assert_eq!(kubelet["properties"]["evidence"][0]["value"][0], "v1.29");
    assert_eq!(kubelet["properties"]["evidence"][0]["expected"][0], "v1.30");
    assert_eq!(log["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_of_drift_and_run_errors() {
    let (_, log) = sarif(&[DRIFT]);
    assert_sarif_structure(&log, findings_count(&[DRIFT]));
    let (run, log) = sarif(&[BROKEN]);
    assert_eq!(run.code, 2);
    assert_sarif_structure(&log, findings_count(&[BROKEN]));
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().expect("notifications");
    assert!(notes.iter().any(|n| n["level"] == "error" && n["descriptor"]["id"] == "parity::load::duplicate-key"));
}

/// The multitool command, or None when it is not installed.
fn multitool() -> Option<Vec<String>> {
    let candidates: Vec<Vec<String>> = match std::env::var("PARITY_SARIF_MULTITOOL") {
        Ok(cmd) if !cmd.trim().is_empty() => vec![cmd.split_whitespace().map(String::from).collect()],
        _ => vec![vec!["npx".into(), "--no-install".into(), "@microsoft/sarif-multitool".into()]],
    };
    candidates.into_iter().find(|cmd| {
        Command::new(&cmd[0])
            .args(&cmd[1..])
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            // It prints its version on stderr.
            .is_ok_and(|o| {
                o.status.success()
                    && [&o.stdout, &o.stderr].iter().any(|s| String::from_utf8_lossy(s).contains("SARIF Multitool"))
            })
    })
}
/// Runs `validate --output LOG FILE` and returns the errors it reports
/// (results of level `error` in its log, as `CODE: location: arguments`).
fn validate(tool: &[String], file: &Path) -> Vec<String> {
    let out_log = file.with_extension("validation.sarif");
    let out = Command::new(&tool[0])
        .args(&tool[1..])
        .arg("validate")
        .arg("--output")
        .arg(&out_log)
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("the multitool runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "multitool failed to run ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_log).unwrap_or_else(|e| panic!("no validation log ({e}):\n{stdout}"));
    let report: Json = serde_json::from_str(&text).expect("the validation log is JSON");
    let run = &report["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true, "validation did not complete:\n{stdout}");
    run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["level"] == "error")
        .map(|r| format!("{}: {}", r["ruleId"].as_str().unwrap_or("?"), r["message"]["arguments"]))
        .collect()
}

#[test]
fn sarif_passes_the_sarif_multitool() {
    let Some(tool) = multitool() else {
        common::tool_missing("the SARIF Multitool");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, source) in [("example", EXAMPLE), ("drift", DRIFT), ("broken", BROKEN)] {
        let (run, log) = sarif(&[source]);
        let file = dir.path().join(format!("{name}.sarif"));
        std::fs::write(&file, &run.stdout).expect("write SARIF");
        let errors = validate(&tool, &file);
        assert!(errors.is_empty(), "{source}: the multitool rejects parity's SARIF:\n{}", errors.join("\n"));

        // The same document broken on purpose must be rejected, so a pass
        // above means the tool read and checked it.
        let mut broken = log.clone();
        broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
        broken["runs"][0]["tool"]["driver"]["rules"][0]["notInTheSchema"] = true.into();
        let bad_file = dir.path().join(format!("{name}-broken.sarif"));
        std::fs::write(&bad_file, broken.to_string()).expect("write broken SARIF");
        let errors = validate(&tool, &bad_file);
        assert!(errors.iter().any(|e| e.contains("JSON1005")), "{source}: extra property not caught: {errors:?}");
        assert!(errors.iter().any(|e| e.contains("JSON1008")), "{source}: startLine 0 not caught: {errors:?}");
    }
}

// ---------------------------------------------------------------- JUnit

/// Counts in a JUnit document as a CI system reads it: Python's
/// ElementTree, the parser behind many report plugins.
fn junit_counts(xml: &str) -> Json {
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
cases = root.findall("testsuite/testcase")
for s in suites:
    assert int(s.get("tests")) == len(s.findall("testcase")), s.get("name")
    assert int(s.get("failures")) == len(s.findall("testcase/failure")), s.get("name")
    assert int(s.get("errors")) == len(s.findall("testcase/error")), s.get("name")
    for c in s.findall("testcase"):
        assert c.get("classname") == s.get("name"), (c.get("classname"), s.get("name"))
print(json.dumps({
    "suites": [s.get("name") for s in suites],
    "cases": len(cases),
    "failures": len(root.findall("testsuite/testcase/failure")),
    "errors": len(root.findall("testsuite/testcase/error")),
    "passing": [c.get("classname") for c in cases if len(c) == 0],
    "total_tests": int(root.get("tests")),
    "total_failures": int(root.get("failures")),
    "names": [c.get("name") for c in cases],
    "texts": [f.text for f in root.iter("failure")],
}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(xml.as_bytes()).expect("write XML");
    }
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "ElementTree rejects the JUnit XML:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("counts are JSON")
}

#[test]
fn junit_counts_match_the_json_findings() {
    for source in [EXAMPLE, DRIFT, BROKEN] {
        let run = check(&[source, "--format", "junit"]);
        let counts = junit_counts(&run.stdout);
        let report = json_of(&check(&[source, "--format", "json"]));
        let findings = report["findings"].as_array().expect("findings");
        let run_errors = report["errors"].as_array().expect("errors").len();
        let rules = report["summary"]["rules"].as_u64().expect("rules") as usize;
        let mut failing: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
        failing.dedup();
        let suites = counts["suites"].as_array().expect("suites");
        assert_eq!(suites.len(), rules + usize::from(run_errors > 0), "{source}: one suite per rule");
        assert_eq!(counts["failures"], findings.len(), "{source}");
        assert_eq!(counts["total_failures"], findings.len(), "{source}");
        assert_eq!(counts["errors"], run_errors, "{source}");
        assert_eq!(counts["cases"], findings.len() + (rules - failing.len()) + run_errors, "{source}");
        assert_eq!(counts["total_tests"], counts["cases"], "{source}");
        let passing = counts["passing"].as_array().expect("passing");
        assert_eq!(passing.len(), rules - failing.len(), "{source}: one passing case per clean rule");
    }
}

#[test]
fn junit_names_and_failure_text() {
    let counts = junit_counts(&check(&[EXAMPLE, "--format", "junit"]).stdout);
    let names: Vec<&str> = counts["names"].as_array().expect("names").iter().filter_map(Json::as_str).collect();
    assert!(names.contains(&"dev Deployment web/frontend"));
    assert!(names.contains(&"prod Namespace monitoring"));
    assert!(names.contains(&"env staging"));
    assert!(names.contains(&"all envs"));
    let texts: Vec<&str> = counts["texts"].as_array().expect("texts").iter().filter_map(Json::as_str).collect();
    assert!(texts.contains(
        &"Deployment web/frontend selects nodes with env=staging but runs in env dev (expected nodeSelector.env: dev)\n\
          examples/manifests/dev/web.yaml:29\n\
          evidence: dev: podspec.nodeSelector.env = staging (expected dev)"
    ));
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_lines_for_a_small_fixture() {
    let run = check(&[DRIFT, "--format", "github", "--rule", "every namespace in reference env exists in every env"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "::error file=tests/fixtures/drift/prod/app.yaml,line=6,title=cli-1::\
         violates `every namespace in reference env exists in every env`: missing in dev\n\
         parity: 1 finding (1 error, 0 warnings, 0 info) · 2 envs · 5 objects\n"
    );
}

#[test]
fn github_escapes_messages_and_properties() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env_dir = dir.path().join("we,ird:dir");
    std::fs::create_dir(&env_dir).expect("mkdir");
    std::fs::write(
        env_dir.join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"cart\\nline2\"\n  namespace: shop\n",
    )
    .expect("write manifest");
    let rules = dir.path().join("pct.parity");
    std::fs::write(
        &rules,
        "rule pct {\n  every deployment has metadata.labels.app exists\n  severity: warning\n  message: \"100% of {name}: bad, really\"\n}\n",
    )
    .expect("write rules");
    let env = format!("dev={}", env_dir.display());
    let rules = rules.display().to_string();
    let run = check(&[&rules, "--no-stdlib", "--env", &env, "--format", "github"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = env_dir.join("app.yaml").display().to_string().replace(',', "%2C").replace(':', "%3A");
    // The line break in the name is written as the text `\n`, never `%0A`,
    // which the runner would turn back into a line break.
    assert_eq!(
        run.stdout,
        format!(
            "::warning file={file},line=3,title=pct::100%25 of cart\\nline2: bad, really\n\
             parity: 1 finding (0 errors, 1 warning, 0 info) · 1 env · 1 object\n"
        )
    );
}

#[test]
fn github_env_level_findings_and_run_errors() {
    let run = check(&[EXAMPLE, "--format", "github"]);
    assert!(run.stdout.lines().any(|l| l
        == "::error title=gpu-node-parity::env staging runs workloads that need nvidia.com/gpu \
            (Deployment payments/fraud-model) but no node offers it"));
    assert!(
        run.stdout.ends_with("parity: 20 findings (14 errors, 6 warnings, 0 info) · 3 envs · 42 objects\n"),
        "{}",
        run.stdout
    );
    let run = check(&[BROKEN, "--format", "github"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.lines().any(|l| l.starts_with(
        "::error file=tests/fixtures/broken/prod/bad.yaml,line=5,col=3,title=parity%3A%3Aload%3A%3Aduplicate-key::"
    )));
    assert_eq!(run.stdout.lines().filter(|l| !l.starts_with("::")).count(), 1, "one plain summary line");
}
