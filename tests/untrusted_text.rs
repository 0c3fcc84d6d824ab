//! Text from manifests, file names and parity.toml reaches the terminal and
//! CI logs escaped, is read as kubectl reads it, and configuration is read
//! by the TOML parser only (issue 15, items 3, 4 and 6).

mod common;

use common::{parity, parity_in};

/// The lines of `out` that GitHub's runner would take for a workflow
/// command: it trims leading white space first.
fn command_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.trim_start().starts_with("::")).collect()
}

#[test]
fn names_and_values_cannot_inject_lines_or_escape_sequences() {
    // A Deployment named `web\n::add-mask::secret\n  ::stop-commands::...`
    // with ESC, BEL and a bidi override, whose nodeSelector value holds
    // `\r\n::error ...` and a C1 CSI.
    let tree = "tests/fixtures/hostile-text";
    let human = parity(&["check", tree]);
    assert_eq!(human.code, 1, "{}{}", human.stdout, human.stderr);
    assert!(human.stdout.contains("env-node-selector"), "{}", human.stdout);
    assert!(human.stdout.contains("Deployment shop/web\\n::add-mask::secret\\n  ::stop-commands::tok\\u{1b}]8;;"));
    assert!(human.stdout.contains("env=prod\\r\\n::error file=x::pwned\\u{9b}2J but runs in env dev"));
    assert!(command_lines(&human.stdout).is_empty(), "{}", human.stdout);

    let github = parity(&["check", "--format", "github", tree]);
    assert_eq!(github.code, 1);
    let commands = command_lines(&github.stdout);
    assert_eq!(commands.len(), 4, "{}", github.stdout);
    for line in &commands {
        assert!(
            ["::error file=", "::warning file=", "::notice file="].iter().any(|p| line.starts_with(p)),
            "not one of parity's annotations: {line}"
        );
        // Messages name the Deployment: its `::add-mask::` only ever
        // follows an escaped line break, inside parity's own annotation.
        assert_eq!(line.matches("::add-mask::").count(), line.matches("\\n::add-mask::").count(), "{line}");
    }
    assert!(github.stdout.contains("env=prod\\r\\n::error file=x::pwned\\u{9b}2J"), "{}", github.stdout);

    for run in [&human, &github] {
        for bad in ['\x1b', '\x07', '\r', '\u{9b}', '\u{202e}'] {
            assert!(!run.stdout.contains(bad) && !run.stderr.contains(bad), "{bad:?} in:\n{}", run.stdout);
        }
    }
    // JSON keeps its own escaping: the name is the name.
    let json = common::json(&parity(&["check", "--format", "json", tree]));
    let names: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(names.iter().all(|n| n.starts_with("web\n::add-mask::secret\n  ::stop-commands::tok\x1b]8;;")));
}

#[test]
fn a_hostile_file_name_in_an_error_is_escaped_on_stdout_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("dev");
    std::fs::create_dir(&env).unwrap();
    std::fs::write(env.join("ok.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n").unwrap();
    std::fs::write(env.join("x\n::error file=y::owned\x1b[2J.yaml"), "a: [unclosed\n").unwrap();
    for (format, shown) in [
        ("human", "x\\n::error file=y::owned\\u{1b}[2J.yaml"),
        ("github", "x\\n%3A%3Aerror file=y%3A%3Aowned\\u{1b}[2J.yaml"),
    ] {
        let run = parity_in(dir.path(), &["check", "--format", format, "."], None, &[]);
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(shown), "{}", run.stdout);
        assert!(!run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'));
        let commands = command_lines(&run.stdout);
        assert!(commands.iter().all(|l| l.starts_with("::error file=dev/x\\n")), "{}", run.stdout);
    }
}

/// Writes `files` (name, text) into a fresh folder `dev/`.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("dev")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("dev").join(name), text).unwrap();
    }
    dir
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n";

#[test]
fn yaml11_numbers_and_binary_are_read_as_kubectl_sends_them() {
    // Block YAML (the fast path) and flow YAML (the general parser) alike.
    let block = format!(
        "{DEPLOY}  replicas: 1_000\n  minReadySeconds: 010\n  revisionHistoryLimit: 0b101\n  template:\n    metadata:\n      annotations:\n        note: !!binary aGVsbG8=\n"
    );
    let flow = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: api}, spec: {replicas: 1_000, minReadySeconds: 010, revisionHistoryLimit: 0b101, template: {metadata: {annotations: {note: !!binary aGVsbG8=}}}}}\n";
    let dir = tree(&[("block.yaml", &block), ("flow.yaml", flow)]);
    let rule = "no deployment has spec.replicas = 1000 and spec.minReadySeconds = 8 and spec.revisionHistoryLimit = 5 and spec.template.metadata.annotations.note = \"hello\"";
    let run = parity_in(dir.path(), &["check", "--format", "json", "--rule", rule, "."], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = common::json(&run);
    let mut found = common::keys(&report);
    found.sort();
    assert_eq!(found, ["cli-1 dev Deployment default/api", "cli-1 dev Deployment default/web"]);
    let warnings: Vec<(String, u64, String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["file"].as_str().unwrap().into(), w["line"].as_u64().unwrap(), w["code"].as_str().unwrap().into()))
        .collect();
    for (file, line, code) in [
        ("dev/block.yaml", 6, "parity::load::yaml11-number"),
        ("dev/block.yaml", 7, "parity::load::yaml11-number"),
        ("dev/block.yaml", 8, "parity::load::yaml11-number"),
        ("dev/block.yaml", 12, "parity::load::yaml-binary"),
        ("dev/flow.yaml", 1, "parity::load::yaml-binary"),
    ] {
        assert!(warnings.contains(&(file.into(), line, code.into())), "{file}:{line} {code} in {warnings:?}");
    }
}

#[test]
fn values_kubectl_rejects_are_errors_naming_file_and_line_and_good_files_are_still_checked() {
    let dir = tree(&[
        ("inf.yaml", &format!("{DEPLOY}  replicas: .inf\n")),
        ("tag.yaml", &format!("{DEPLOY}  replicas: !!int abc\n")),
        ("merge.yaml", &format!("{DEPLOY}  <<: 5\n")),
        ("ok.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ok\nspec:\n  replicas: 0b11\n"),
    ]);
    let rule = "no deployment has spec.replicas = 3";
    let run = parity_in(dir.path(), &["check", "--format", "json", "--rule", rule, "."], None, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report = common::json(&run);
    assert_eq!(common::keys(&report), ["cli-1 dev Deployment default/ok"]);
    let mut errors: Vec<(String, u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap().into(), e["line"].as_u64().unwrap(), e["code"].as_str().unwrap().into()))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("dev/inf.yaml".into(), 6, "parity::load::yaml-value".into()),
            ("dev/merge.yaml".into(), 6, "parity::load::yaml-merge".into()),
            ("dev/tag.yaml".into(), 6, "parity::load::yaml-tag".into()),
        ]
    );
}

/// A tree with envs `dev` and `prod` (one ConfigMap each) and `parity.toml`.
fn configured(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for env in ["dev", "prod"] {
        std::fs::create_dir(dir.path().join(env)).unwrap();
        let cm = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{env}\n");
        std::fs::write(dir.path().join(env).join("cm.yaml"), cm).unwrap();
    }
    std::fs::write(dir.path().join("parity.toml"), toml).unwrap();
    dir
}

const ENVS: &str = "[[env]]\nname = \"dev\"\nsource = \"dev\"\n\n[[env]]\nname = \"prod\"\nsource = \"prod\"\n";
const RULE: &str = "no configmap has metadata.name exists";

fn check_json(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--format", "json", "--show-waived", "--rule", RULE];
    args.extend_from_slice(extra);
    let run = parity_in(dir, &args, None, &[]);
    let report = if run.stdout.trim().is_empty() { serde_json::Value::Null } else { common::json(&run) };
    (run.code, report)
}

#[test]
fn an_exception_header_inside_a_toml_string_waives_nothing() {
    let toml = format!("{ENVS}tags = [\"\"\"\n[[exception]]\nrule = \"*\"\nreason = \"x\"\nowner = \"y\"\n\"\"\"]\n");
    let dir = configured(&toml);
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(common::keys(&report).len(), 2, "{report}");
    assert_eq!(report["summary"]["waived"], 0);
}

#[test]
fn every_toml_form_of_exceptions_waives() {
    let spaced = format!("{ENVS}\n[[ exception ]]\nrule = \"cli-1\"\nenv = \"dev\"\nreason = \"r\"\nowner = \"o\"\n");
    let inline = format!("exception = [{{ rule = \"cli-1\", env = \"dev\", reason = \"r\", owner = \"o\" }}]\n{ENVS}");
    for toml in [spaced, inline] {
        let dir = configured(&toml);
        let (code, report) = check_json(dir.path(), &[]);
        assert_eq!(code, 1, "{report}");
        assert_eq!(common::keys(&report), ["cli-1 prod ConfigMap default/cm-prod"], "{toml}");
        assert_eq!(report["summary"]["waived"], 1, "{toml}");
    }
}

#[test]
fn an_unknown_key_names_file_line_column_and_the_closest_key() {
    let dir = configured(&format!("{ENVS}tag = [\"x\"]\n"));
    let run = parity_in(dir.path(), &["check", "--rule", RULE], None, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("error[parity::load::config] parity.toml:8:1: unknown field `tag`"), "{}", run.stdout);
    assert!(run.stdout.contains("did you mean `tags`?"), "{}", run.stdout);
    // Reported once, though the loader and the exceptions both use it.
    assert_eq!(run.stdout.matches("unknown field").count(), 1, "{}", run.stdout);
}

#[test]
fn promotion_order_is_the_same_from_the_command_line_and_from_parity_toml() {
    // `test` is not listed: it goes after the listed envs either way.
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("promotion = [\"qa\", \"prod\", \"dev\"]\n");
    for env in ["dev", "prod", "qa", "test"] {
        std::fs::create_dir(dir.path().join(env)).unwrap();
        let cm = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{env}\n");
        std::fs::write(dir.path().join(env).join("cm.yaml"), cm).unwrap();
        toml.push_str(&format!("[[env]]\nname = \"{env}\"\nsource = \"{env}\"\n"));
    }
    std::fs::write(dir.path().join("parity.toml"), toml).unwrap();
    let (_, from_config) = check_json(dir.path(), &[]);
    let (_, from_paths) = check_json(dir.path(), &["."]);
    let (_, explicit) =
        check_json(dir.path(), &["--env", "test=test", "--env", "dev=dev", "--env", "qa=qa", "--env", "prod=prod"]);
    let order = serde_json::json!(["qa", "prod", "dev", "test"]);
    assert_eq!(from_config["summary"]["envs"], order);
    assert_eq!(from_paths["summary"]["envs"], order);
    assert_eq!(explicit["summary"]["envs"], order);
}
