//! Hostile input: one case per loader and rule limit. Each runs the real
//! binary on a small env tree holding a good file (with a known finding) and
//! one hostile file, and asserts the exact error (code, file, line, message),
//! the exit code, and that the good file's finding is still reported.
//!
//! Big or binary inputs are generated into a temp dir at test time; small
//! readable ones live under `tests/hostile/<case>/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, parity};

use serde_json::Value as Json;

const RULE: &str = "every deployment has every container with resources.limits.memory";
const GOOD_FINDING: &str = "cli-1 dev Deployment shop/web";

fn check(tree: &Path, extra: &[&str]) -> (Run, Json) {
    let tree = tree.to_string_lossy().into_owned();
    let mut args = vec!["check", "--format", "json", "--rule", RULE];
    args.extend_from_slice(extra);
    args.push(&tree);
    let run = parity(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    (run, report)
}

fn findings(report: &Json) -> Vec<String> {
    let list = report["findings"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            format!("{} {} {} {}/{}", s("rule"), s("env"), s("kind"), s("namespace"), s("name"))
        })
        .collect()
}

/// `code file:line:column message` of every run error.
fn errors(report: &Json) -> Vec<String> {
    let list = report["errors"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|e| {
            format!(
                "{} {}:{}:{} {}",
                e["code"].as_str().unwrap_or(""),
                e["file"].as_str().unwrap_or(""),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn skipped(report: &Json) -> Vec<String> {
    let list = report["skipped"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|e| {
            format!(
                "{} {}:{} {}",
                e["code"].as_str().unwrap_or(""),
                e["file"].as_str().unwrap_or(""),
                e["line"],
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile").join(case)
}

/// A temp env tree `<tmp>/dev/good.yaml` plus `dev/<name>` with `bytes`.
fn tree_with(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dev = tmp.path().join("dev");
    std::fs::create_dir(&dev).expect("mkdir");
    std::fs::copy(fixture("good.yaml"), dev.join("good.yaml")).expect("copy good file");
    std::fs::write(dev.join(name), bytes).expect("write hostile file");
    let root = tmp.path().to_path_buf();
    (tmp, root)
}

/// The display path parity uses for a file of a temp tree.
fn shown(root: &Path, rest: &str) -> String {
    format!("{}/{rest}", root.to_string_lossy())
}

/// Exit 2, exactly `expected` errors, and the good finding still there.
fn assert_errors(run: &Run, report: &Json, expected: &[String]) {
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(report), expected, "{}", run.stdout);
    assert_eq!(findings(report), [GOOD_FINDING], "the good file is still checked: {}", run.stdout);
}

/// Nine levels of nine aliases: 9^9 (387 million) nodes once expanded.
fn alias_bomb() -> String {
    let mut s =
        String::from("apiVersion: v1\nkind: ConfigMap\nlol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=9 {
        let refs = vec![format!("*lol{}", i - 1); 9].join(", ");
        s.push_str(&format!("lol{i}: &lol{i} [{refs}]\n"));
    }
    s
}

#[test]
fn alias_bomb_is_rejected_fast() {
    let (_tmp, root) = tree_with("bomb.yaml", alias_bomb().as_bytes());
    let (run, report) = check(&root, &[]);
    // Line 9: `lol6` is where expansion passes 1,000,000 nodes (9^7 > 10^6);
    // column 14 is its first alias, `*lol5`.
    let expected = format!(
        "parity::load::alias-budget {}:9:14 alias expansion exceeds 1000000 nodes (a \"billion laughs\" file?)",
        shown(&root, "dev/bomb.yaml")
    );
    assert_errors(&run, &report, &[expected]);
    // How fast it is rejected is measured by scripts/hostile-bench.sh on
    // the release binary, not asserted here.
}

#[test]
fn nested_collection_keys_are_rejected_not_escaped_forever() {
    // Each `?` opens an explicit key whose key is the next one: a mapping
    // key is stored as its JSON text, and every level escaped the quotes of
    // the one inside it, doubling the text (the fuzzer found 64 bytes that
    // took 14 s and gigabytes).
    let (_tmp, root) = tree_with("keys.yaml", "? ".repeat(32).as_bytes());
    let (run, report) = check(&root, &[]);
    let expected = format!(
        "parity::load::yaml {}:1:47 mapping key is a collection longer than 1024 characters",
        shown(&root, "dev/keys.yaml")
    );
    assert_errors(&run, &report, &[expected]);
}

#[test]
fn nesting_too_deep_yaml_block_flow_and_json() {
    // Block style: 101 nested mappings; the mapping one level too deep
    // starts on line 103.
    let mut block = String::from("apiVersion: v1\nkind: ConfigMap\n");
    for i in 0..101 {
        block.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    block.push_str(&format!("{}leaf: 1\n", "  ".repeat(101)));
    // Flow style past saphyr's own 255-level limit.
    let flow = format!("apiVersion: v1\nkind: ConfigMap\ndata: {}{}\n", "[".repeat(300), "]".repeat(300));
    let json = format!(r#"{{"apiVersion":"v1","kind":"ConfigMap","data":{}{}}}"#, "[".repeat(300), "]".repeat(300));
    let (_tmp, root) = tree_with("block.yaml", block.as_bytes());
    std::fs::write(root.join("dev/flow.yaml"), flow).expect("write");
    std::fs::write(root.join("dev/deep.json"), json).expect("write");
    let (run, report) = check(&root, &[]);
    let msg = "nesting deeper than 100 levels";
    assert_errors(
        &run,
        &report,
        &[
            format!("parity::load::depth {}:103:201 {msg}", shown(&root, "dev/block.yaml")),
            // The 101st `[`: 1 for the root object, 100 in `data`.
            format!("parity::load::depth {}:1:145 {msg}", shown(&root, "dev/deep.json")),
            format!("parity::load::depth {}:3:262 {msg}", shown(&root, "dev/flow.yaml")),
        ],
    );
}

#[test]
fn file_over_the_size_limit() {
    let mut big = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
    while big.len() <= 4096 {
        big.push_str(
            "  key: 0123456789012345678901234567890123456789\n".replace("key", &format!("k{}", big.len())).as_str(),
        );
    }
    let (_tmp, root) = tree_with("big.yaml", big.as_bytes());
    let (run, report) = check(&root, &["--max-file-size", "4096"]);
    let expected = format!(
        "parity::load::too-large {}:0:0 file is larger than the limit of 4096 bytes (change it with --max-file-size)",
        shown(&root, "dev/big.yaml")
    );
    assert_errors(&run, &report, &[expected]);
}

#[test]
fn invalid_utf8_and_binary_files() {
    let (_tmp, root) = tree_with("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n");
    // A gzip header: NUL bytes, and not UTF-8 either.
    std::fs::write(root.join("dev/archive.yaml"), b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03").expect("write");
    // Valid UTF-8 but with NUL bytes.
    std::fs::write(root.join("dev/nul.yaml"), b"apiVersion: v1\x00\x00kind: ConfigMap\n").expect("write");
    let (run, report) = check(&root, &[]);
    let msg = "file is not UTF-8 text";
    assert_errors(
        &run,
        &report,
        &[
            format!("parity::load::encoding {}:0:0 {msg}", shown(&root, "dev/archive.yaml")),
            format!("parity::load::encoding {}:0:0 {msg}", shown(&root, "dev/latin1.yaml")),
            format!("parity::load::encoding {}:0:0 {msg}", shown(&root, "dev/nul.yaml")),
        ],
    );
}

#[test]
fn duplicate_keys_are_an_error() {
    let (run, report) = check(Path::new("tests/hostile/duplicate-keys"), &[]);
    assert_errors(
        &run,
        &report,
        &["parity::load::duplicate-key tests/hostile/duplicate-keys/dev/dup.yaml:7:3 duplicate key `mode` in mapping (first at line 6)".into()],
    );
}

#[test]
fn helm_template_is_skipped_with_the_reason() {
    let (run, report) = check(Path::new("tests/hostile/helm-template"), &[]);
    // A skipped file was not checked: exit 2, and the good file's finding
    // is still reported.
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(
        skipped(&report),
        [
            "parity::load::helm-template tests/hostile/helm-template/dev/chart.yaml:4 `{{` opens a value here: this is a Helm template, not YAML data; render it with `helm template` and pipe the result to `parity check ... -`"
        ]
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
    // Opted in: the finding decides.
    let (allowed, _) = check(Path::new("tests/hostile/helm-template"), &["--allow-skipped"]);
    assert_eq!(allowed.code, 1, "{}", allowed.stdout);
}

#[test]
fn non_kubernetes_yaml_is_skipped_with_the_reason() {
    let (run, report) = check(Path::new("tests/hostile/not-kubernetes"), &[]);
    assert_eq!(run.code, 2, "a skipped document was not checked: {}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(
        skipped(&report),
        [
            "parity::load::not-kubernetes tests/hostile/not-kubernetes/dev/values.yaml:2 document is not a Kubernetes object (no `apiVersion`/`kind`)"
        ]
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
}

#[cfg(unix)]
#[test]
fn symlink_loop_not_followed_by_default_detected_when_following() {
    let (_tmp, root) = tree_with("placeholder.txt", b"not a manifest");
    // dev/sub/loop -> dev (a loop), and dev/sub/linked -> a folder outside
    // the tree holding a second Deployment, seen only when links are followed.
    let outside = tempfile::tempdir().expect("temp dir");
    let extra = std::fs::read_to_string(fixture("good.yaml")).expect("read").replace("name: web", "name: linked");
    std::fs::write(outside.path().join("linked.yaml"), extra).expect("write");
    std::fs::create_dir(root.join("dev/sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", root.join("dev/sub/loop")).expect("symlink");
    std::os::unix::fs::symlink(outside.path(), root.join("dev/sub/linked")).expect("symlink");

    // Default: links are not followed, so neither the loop nor the linked
    // folder is read; each is named in a warning, never passed over silently.
    let (run, report) = check(&root, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(findings(&report), [GOOD_FINDING]);
    assert_eq!(
        warning_codes(&report),
        [
            format!("parity::load::symlink-not-followed {}", shown(&root, "dev/sub/linked")),
            format!("parity::load::symlink-not-followed {}", shown(&root, "dev/sub/loop")),
        ]
    );

    // --follow-links: the linked folder is read and the loop is reported.
    let (run, report) = check(&root, &["--follow-links"]);
    let canonical = std::fs::canonicalize(root.join("dev")).expect("canonical");
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        errors(&report),
        [format!(
            "parity::load::symlink-loop {}:0:0 symbolic link loop: leads back to `{}`",
            shown(&root, "dev/sub/loop"),
            canonical.display()
        )]
    );
    let mut found = findings(&report);
    found.sort();
    assert_eq!(found, ["cli-1 dev Deployment shop/linked", GOOD_FINDING]);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, root) = tree_with("locked.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    let locked = root.join("dev/locked.yaml");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_err() {
        // An ordinary user: mode 000 is enough.
        let (run, report) = check(&root, &[]);
        let expected = format!(
            "parity::load::io {}:0:0 cannot read file: Permission denied (os error 13)",
            shown(&root, "dev/locked.yaml")
        );
        assert_errors(&run, &report, &[expected]);
        return;
    }
    // Root (as in CI containers) reads through mode 000. Use a file that
    // opens but fails on read instead: /proc/self/mem is a regular file
    // whose first page is unmapped, so read() fails with EIO. It is reached
    // through a link, so --follow-links. (A FIFO would not do: it is not a
    // regular file, so the walk never opens it.)
    std::fs::remove_file(&locked).expect("rm");
    if !Path::new("/proc/self/mem").exists() {
        return;
    }
    std::os::unix::fs::symlink("/proc/self/mem", root.join("dev/mem.yaml")).expect("symlink");
    let (run, report) = check(&root, &["--follow-links"]);
    let expected = format!(
        "parity::load::io {}:0:0 cannot read file: Input/output error (os error 5)",
        shown(&root, "dev/mem.yaml")
    );
    assert_errors(&run, &report, &[expected]);
}

#[cfg(unix)]
#[test]
fn fifo_and_dangling_link_never_hang() {
    let (_tmp, root) = tree_with("placeholder.txt", b"");
    let fifo = root.join("dev/pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    std::os::unix::fs::symlink("/nonexistent/parity", root.join("dev/gone.yaml")).expect("symlink");
    let (run, report) = check(&root, &["--follow-links"]);
    // The FIFO is not a regular file: never opened, and named as not read.
    let mut expected = vec![format!(
        "parity::load::io {}:0:0 broken link: No such file or directory (os error 2)",
        shown(&root, "dev/gone.yaml")
    )];
    if made {
        expected.push(format!(
            "parity::load::io {}:0:0 not a regular file (a FIFO, socket or device): not read",
            shown(&root, "dev/pipe.yaml")
        ));
    }
    assert_errors(&run, &report, &expected);
    if made {
        // Named on the command line, it is refused, not opened.
        let path = fifo.to_string_lossy().into_owned();
        let run = parity(&["check", "--format", "json", "--rule", RULE, &path]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(run.stdout.contains("not a regular file or folder"), "{}", run.stdout);
    }
}

/// Rule limits: exit 2, the rendered diagnostic on stderr and the
/// `error[code] --rule LINE:COL: message` line in the report on stdout; both
/// streams are returned together as `stderr` for the assertions.
fn rule_error(rule: &str) -> Run {
    let run = parity(&["check", "--rule", rule, "tests/hostile/duplicate-keys/dev/good.yaml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("  × "), "the positioned diagnostic is on stderr: {}", run.stderr);
    Run { stderr: format!("{}{}", run.stdout, run.stderr), ..run }
}

#[test]
fn deeply_nested_rule_text() {
    let parens = format!("every deployment has {}spec.replicas > 1{}", "(".repeat(70), ")".repeat(70));
    let run = rule_error(&parens);
    // The 65th `(`, after the 21 bytes of "every deployment has ".
    assert!(
        run.stderr.contains("error[parity::syntax::too-deep] --rule 1:1:86: brackets nest deeper than 64 levels"),
        "{}",
        run.stderr
    );
    let words = format!("every deployment has {}metadata.name exists", "not ".repeat(250));
    let run = rule_error(&words);
    // `every`, `has` and 198 `not`s are allowed; the 199th `not` is one too many.
    assert!(
        run.stderr.contains("error[parity::syntax::too-deep] --rule 1:1:814: a rule may nest at most 200 conditions"),
        "{}",
        run.stderr
    );
}

#[test]
fn enormous_rule_text() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("huge.parity");
    let mut text = String::from("rule huge {\n  every deployment has metadata.name exists\n}\n");
    while text.len() <= 1 << 20 {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&file, &text).expect("write");
    let path = file.to_string_lossy().into_owned();
    let run = parity(&["check", &path, "tests/hostile/duplicate-keys/dev/good.yaml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    // The bounded reader stops after the limit: the file is never read whole.
    let expected =
        format!("error[parity::syntax::too-large] {path}: rule file is larger than the limit of 1048576 bytes");
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn huge_string_literal() {
    let rule = format!("every deployment has metadata.name = \"{}\"", "a".repeat(70_000));
    let run = rule_error(&rule);
    assert!(
        run.stderr.contains(
            "error[parity::compile::too-large] --rule 1:1:38: string literal is 70000 bytes; the limit is 65536"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn regex_over_the_size_limit() {
    let run = rule_error("every deployment has metadata.name matches \"(a{1,1000}){1,1000}\"");
    assert!(
        run.stderr.contains(
            "error[parity::compile::regex] --rule 1:1:44: invalid regex: Compiled regex exceeds size limit of 1048576 bytes."
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn rule_over_the_evaluation_budget() {
    // cli-1 needs under 10 steps per Deployment; forty conjunctions need far
    // more than the 16 allowed here.
    let costly = format!("every deployment has {}", vec!["metadata.name != \"x\""; 40].join(" and "));
    let (run, report) = check(Path::new("tests/hostile/not-kubernetes"), &["--rule", &costly, "--eval-budget", "16"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        errors(&report),
        ["parity::eval::budget --rule 2:1:0:0 rule `cli-2` on Deployment shop/web in env `dev`: evaluation exceeded \
          its budget of 16 steps; the rule is too costly for this input"]
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
}

/// A privileged Deployment: the standard library's `no-privileged-containers`
/// finds it.
const PRIVILEGED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
spec:
  template:
    spec:
      containers:
        - name: api
          image: app:1.0
          securityContext:
            privileged: true
";

/// Rule ids of the findings of a report.
fn rules_found(report: &Json) -> Vec<String> {
    let list = report["findings"].as_array().cloned().unwrap_or_default();
    list.iter().map(|f| f["rule"].as_str().unwrap_or("").to_string()).collect()
}

fn warning_codes(report: &Json) -> Vec<String> {
    let list = report["warnings"].as_array().cloned().unwrap_or_default();
    list.iter().map(|w| format!("{} {}", w["code"].as_str().unwrap_or(""), w["file"].as_str().unwrap_or(""))).collect()
}

#[test]
fn a_rule_file_in_a_manifest_folder_never_switches_checking_off() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    common::write_tree(
        d,
        &[
            ("manifests/prod/app.yaml", PRIVILEGED),
            ("manifests/prod/README.parity", ""),
            ("manifests/README.parity", ""),
            ("policies/mine.parity", "rule mine {\n  every deployment has metadata.labels.team exists\n}\n"),
        ],
    );
    // The whole tree, and the env folder that holds a `.parity` file itself:
    // the manifests are checked against the standard library, the rule files
    // are warnings.
    for path in ["manifests", "manifests/prod"] {
        let run = common::parity_in(d, &["check", "--format", "json", path], None, &[]);
        assert_eq!(run.code, 1, "{path}: {}{}", run.stdout, run.stderr);
        let report = common::json(&run);
        assert!(rules_found(&report).contains(&"no-privileged-containers".to_string()), "{}", run.stdout);
        assert!(
            warning_codes(&report)
                .contains(&"parity::load::rule-file-in-manifests manifests/prod/README.parity".to_string()),
            "{}",
            run.stdout
        );
    }
    let human = common::parity_in(d, &["check", "manifests"], None, &[]);
    assert!(
        human.stdout.contains(
            "warning[parity::load::rule-file-in-manifests] manifests/README.parity: rule file inside a manifest folder"
        ),
        "{}",
        human.stdout
    );
    // Rule sources are named as such: `--rules`, or parity.toml `rules`.
    let run = common::parity_in(d, &["check", "--format", "json", "--rules", "policies", "manifests"], None, &[]);
    assert_eq!(rules_found(&common::json(&run)), ["mine"], "{}", run.stdout);
    common::write_tree(d, &[("parity.toml", "rules = [\"policies\"]\n")]);
    let run = common::parity_in(d, &["check", "--format", "json", "manifests"], None, &[]);
    assert_eq!(rules_found(&common::json(&run)), ["mine"], "{}", run.stdout);
    // A folder of rules not named `rules` and given as a path is a manifest
    // folder: it holds no objects, so the run fails instead of passing.
    std::fs::remove_file(d.join("parity.toml")).expect("rm");
    let run = common::parity_in(d, &["check", "policies"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("error[parity::load::empty]"), "{}", run.stdout);
}

#[test]
fn yaml_with_template_braces_is_loaded_and_checked() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let annotated = PRIVILEGED.replace(
        "  namespace: web\n",
        "  namespace: web\n  annotations:\n    note: see{{docs}}\n    image: \"{{ .Values.image }}\"\n",
    );
    let alerts = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: alerts
  namespace: web
spec:
  groups:
    - name: reload
      rules:
        - alert: ReloadFailed
          annotations:
            description: Reloading failed for {{ $labels.namespace }}
";
    common::write_tree(d, &[("prod/app.yaml", &annotated), ("prod/alerts.yaml", alerts)]);
    let run = common::parity_in(d, &["check", "--format", "json", "prod"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = common::json(&run);
    assert_eq!(report["skipped"], serde_json::json!([]));
    assert_eq!(report["summary"]["objects"], 2);
    assert!(rules_found(&report).contains(&"no-privileged-containers".to_string()), "{}", run.stdout);
    // Helm calls are named (the Prometheus `{{ $labels }}` is not one).
    assert_eq!(warning_codes(&report), ["parity::load::helm-syntax prod/app.yaml"]);
    assert_eq!(report["warnings"][0]["line"], 8);

    // Text that is not YAML and holds `{{` is a template: skipped, exit 2,
    // and the summary says what was not checked.
    common::write_tree(d, &[("prod/chart.yaml", "metadata:\n  name: {{ .Release.Name }}-web\n")]);
    let run = common::parity_in(d, &["check", "prod"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("skipped prod/chart.yaml:2: `{{` opens a value here"), "{}", run.stdout);
    assert!(run.stdout.contains(" · 1 skipped (not checked) · "), "{}", run.stdout);
    assert!(run.stdout.contains("error[no-privileged-containers]"), "{}", run.stdout);
    let allowed = common::parity_in(d, &["check", "--allow-skipped", "prod"], None, &[]);
    assert_eq!(allowed.code, 1, "{}", allowed.stdout);
}

#[test]
fn empty_input_is_an_error_unless_allowed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    std::fs::create_dir_all(d.join("empty/dev")).expect("mkdir");
    common::write_tree(d, &[("templates/dev/chart.yaml", "metadata:\n  name: {{ .Release.Name }}\n")]);
    let message = "error[parity::load::empty] no objects loaded:";
    let stdin = common::parity_in(d, &["check", "-"], Some(""), &[]);
    assert_eq!(stdin.code, 2, "{}", stdin.stdout);
    assert!(stdin.stdout.contains(&format!("{message} the input holds no Kubernetes objects")), "{}", stdin.stdout);
    let folder = common::parity_in(d, &["check", "empty"], None, &[]);
    assert_eq!(folder.code, 2, "{}", folder.stdout);
    assert!(folder.stdout.contains(message), "{}", folder.stdout);
    let skipped = common::parity_in(d, &["check", "--allow-skipped", "templates"], None, &[]);
    assert_eq!(skipped.code, 2, "{}", skipped.stdout);
    assert!(skipped.stdout.contains(&format!("{message} every file or document was skipped")), "{}", skipped.stdout);
    for args in [&["check", "--allow-empty", "-"][..], &["check", "--allow-empty", "empty"]] {
        let run = common::parity_in(d, args, Some(""), &[]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stdout);
        assert!(run.stdout.starts_with("no objects loaded"), "{}", run.stdout);
    }
}

#[test]
fn stdin_obeys_the_file_size_limit() {
    let text = std::fs::read_to_string(fixture("good.yaml")).expect("read");
    let run = common::parity_with(
        &["check", "--format", "json", "--rule", RULE, "--max-file-size", "20", "-"],
        Some(&text),
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        errors(&common::json(&run)),
        [
            "parity::load::too-large <stdin>:0:0 file is larger than the limit of 20 bytes (change it with --max-file-size)"
        ]
    );
}

#[cfg(unix)]
#[test]
fn config_baseline_and_rule_files_are_bounded_and_never_block() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    common::write_tree(d, &[("manifests/dev/app.yaml", PRIVILEGED)]);
    let fifo = d.join("pipe");
    if !Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        return;
    }
    let cases: [(&[&str], &str); 3] = [
        (&["--config", "pipe"], "error[parity::load::config] pipe: cannot read configuration: not a regular file"),
        (&["--baseline", "pipe"], "error[parity::baseline] pipe: cannot read the baseline: not a regular file"),
        (&["--rules", "pipe"], "error[parity::io] pipe: not a regular file (a FIFO, socket or device): not read"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["check"];
        args.extend_from_slice(extra);
        args.push("manifests");
        // A FIFO with no writer: a blocking open would never return.
        let run = common::parity_in(d, &args, None, &[]);
        assert_eq!(run.code, 2, "{extra:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(expected), "{extra:?}: {}{}", run.stdout, run.stderr);
    }
    // Over the size limit: parity.toml 1 MiB.
    let big = format!("promotion = [\"dev\"]\n{}", "# padding\n".repeat(120_000));
    common::write_tree(d, &[("big.toml", &big)]);
    let run = common::parity_in(d, &["check", "--config", "big.toml", "manifests"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[parity::load::config] big.toml: cannot read configuration: file is larger than the limit of 1048576 bytes"),
        "{}",
        run.stdout
    );
}

#[cfg(unix)]
#[test]
fn files_are_identified_by_their_real_path() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, root) = tree_with("placeholder.txt", b"");
    // Two names that are not UTF-8 and would both display as `a\u{fffd}.yaml`.
    let text = std::fs::read_to_string(fixture("good.yaml")).expect("read");
    for (byte, name) in [(0xffu8, "one"), (0xfe, "two")] {
        let file = root.join("dev").join(std::ffi::OsStr::from_bytes(&[b'a', byte, b'.', b'y', b'a', b'm', b'l']));
        if std::fs::write(&file, text.replace("name: web", &format!("name: {name}"))).is_err() {
            return; // a file system that refuses such names
        }
    }
    // And a link to /dev/zero: with --follow-links it is refused, never read.
    std::os::unix::fs::symlink("/dev/zero", root.join("dev/zero.yaml")).expect("symlink");
    let (run, report) = check(&root, &["--follow-links"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        errors(&report),
        [format!(
            "parity::load::io {}:0:0 not a regular file (a FIFO, socket or device): not read",
            shown(&root, "dev/zero.yaml")
        )]
    );
    let mut found = findings(&report);
    found.sort();
    assert_eq!(found, ["cli-1 dev Deployment shop/one", "cli-1 dev Deployment shop/two", GOOD_FINDING]);
    let files: Vec<&str> =
        report["findings"].as_array().expect("findings").iter().filter_map(|f| f["file"].as_str()).collect();
    assert!(files.contains(&shown(&root, "dev/a\\xfe.yaml").as_str()), "{files:?}");
    assert!(files.contains(&shown(&root, "dev/a\\xff.yaml").as_str()), "{files:?}");
}

/// `<tmp>/dev/good.yaml` plus `dev/many.yaml` with `n` ConfigMaps.
fn tree_with_config_maps(n: usize) -> (tempfile::TempDir, PathBuf) {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n  namespace: shop\n"));
    }
    tree_with("many.yaml", text.as_bytes())
}

/// Issue 15 item 14: a rule's budget for the whole run, all subjects
/// together. The cubic rule would take 300³ inner iterations; it is stopped
/// once, reported once (not once per ConfigMap), and the other rule's
/// finding is still there.
#[test]
fn cubic_rule_stops_at_its_run_budget_with_one_error() {
    let (_tmp, root) = tree_with_config_maps(300);
    let cubic = "every configmap as a has every configmap as b has no configmap where metadata.name = \"none\"";
    let (run, report) = check(&root, &["--rule", cubic, "--rule-budget", "2000000"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        errors(&report),
        [
            "parity::eval::rule-budget --rule 2:1:0:0 rule `cli-2` was stopped: it took more than its budget for one run \
          of 2000000 evaluation steps (`--rule-budget`); none of its findings are reported. Narrow its domain or \
          raise the budget"
        ]
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
}

#[test]
fn quadratic_join_stops_at_its_run_budget() {
    let (_tmp, root) = tree_with_config_maps(2000);
    // Every ConfigMap against every other: 4 million pairs.
    let join = "every configmap as a has no configmap where metadata.name = a.metadata.name and \
                metadata.namespace != a.metadata.namespace";
    let (run, report) = check(&root, &["--rule", join, "--rule-budget", "1000000"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("parity::eval::rule-budget --rule 2:1:0:0 rule `cli-2` was stopped"), "{errs:?}");
    assert_eq!(findings(&report), [GOOD_FINDING]);
    // The same join within budget (on fewer objects, to stay quick in a
    // debug build): no error, no finding of its own.
    let (_tmp, root) = tree_with_config_maps(300);
    let (run, report) = check(&root, &["--rule", join, "--rule-budget", "1000000000"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(&report), Vec::<String>::new());
    // A time budget of zero stops it too, with the time named.
    let (run, report) = check(&root, &["--rule", join, "--rule-timeout", "0"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(errors(&report)[0].contains("0 s of evaluation (`--rule-timeout`)"), "{}", run.stdout);
}

/// The per-subject budget, hit by many subjects: one error for the rule,
/// the first subject named and the others counted.
#[test]
fn subjects_over_their_budget_are_one_error_per_rule() {
    let (_tmp, root) = tree_with_config_maps(50);
    let costly = format!("every configmap has {}", vec!["metadata.name != \"x\""; 40].join(" and "));
    let (run, report) = check(&root, &["--rule", &costly, "--eval-budget", "16"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        errors(&report),
        [
            "parity::eval::budget --rule 2:1:0:0 rule `cli-2` on ConfigMap shop/cm0 in env `dev`: evaluation exceeded its \
          budget of 16 steps; the rule is too costly for this input (49 more subjects of the rule too)"
        ]
    );
}

/// Issue 15 item 13: JSONPath walks count against the budget; `$..*..*..*`
/// on an 11 KB object stops instead of growing past gigabytes.
#[test]
fn jsonpath_blowup_stops_at_the_budget() {
    // 95 nested objects of 16 small fields each, about 11 KB of JSON: ~1,600
    // nodes, but `$..*..*..*` selects a node once per pair of its ancestors,
    // over 2 million nodes in all.
    let mut inner = String::from("{}");
    for level in 0..95 {
        let fields: Vec<String> = (0..16).map(|k| format!("\"f{k}\":{level}")).collect();
        inner = format!("{{{},\"n\":{inner}}}", fields.join(","));
    }
    let text = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"big\",\"namespace\":\"shop\"}},\"data\":{inner}}}"
    );
    assert!(text.len() > 10_000 && text.len() < 14_000, "{}", text.len());
    let (_tmp, root) = tree_with("big.json", text.as_bytes());
    let rule = "every configmap has count($..*..*..*) > 0";
    let (run, report) = check(&root, &["--rule", rule]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("parity::eval::budget --rule 2:1:0:0 rule `cli-2` on ConfigMap shop/big in env `dev`: "),
        "{errs:?}"
    );
    assert!(
        errs[0].contains("a JSONPath query would take about") || errs[0].contains("selected more than 1000000 nodes"),
        "{errs:?}"
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
    // `--eval-budget` applies to the query: a small one stops it sooner.
    let (run, report) = check(&root, &["--rule", "every configmap has count($..*) > 0", "--eval-budget", "50"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(errors(&report)[0].contains("a JSONPath query would take about"), "{}", run.stdout);
    // Within the budget, the query gives the tree's nodes.
    let (run, report) = check(&root, &["--rule", "every configmap has count($.data.*) = 17"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(errors(&report), Vec::<String>::new());
}

/// A regex that compiles within the size limit but would scan a 1 MB value
/// for minutes: its cost (length × program size) is over the budget, so it
/// never runs.
#[test]
fn costly_regex_match_is_refused_naming_the_rule() {
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: shop\ndata:\n  x: {}\n",
        "ab".repeat(500_000)
    );
    let (_tmp, root) = tree_with("big.yaml", text.as_bytes());
    let rule = "every configmap has not (data.x matches \"a[ab]{10000}c\")";
    let (run, report) = check(&root, &["--rule", rule]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        errors(&report),
        [
            "parity::eval::budget --rule 2:1:0:0 rule `cli-2` on ConfigMap shop/big in env `dev`: matching a regex would \
          take about 10002010002 steps, more than the budget of 50000000 steps; the rule is too costly for this input"
        ]
    );
    assert_eq!(findings(&report), [GOOD_FINDING]);
}

/// Issue 15 item 15: many small files load in linear time, every object in
/// path order.
#[test]
fn many_small_files_give_every_object_in_order() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for env in ["dev", "prod"] {
        let dir = tmp.path().join(env);
        std::fs::create_dir(&dir).expect("mkdir");
        for i in 0..1000 {
            let text = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i:04}\n  namespace: shop\nspec:\n  \
                 template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n"
            );
            std::fs::write(dir.join(format!("f{i:04}.yaml")), text).expect("write");
        }
    }
    let (run, report) = check(tmp.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report["summary"]["objects"], 2000);
    assert_eq!(report["summary"]["files"], 2000);
    let expected: Vec<String> = ["dev", "prod"]
        .iter()
        .flat_map(|env| (0..1000).map(move |i| format!("cli-1 {env} Deployment shop/d{i:04}")))
        .collect();
    assert_eq!(findings(&report), expected);
    let lines: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .take(3)
        .map(|f| format!("{}:{}", f["file"].as_str().unwrap_or(""), f["line"]))
        .collect();
    let shown = |i: usize| format!("{}/dev/f{i:04}.yaml:10", tmp.path().to_string_lossy());
    assert_eq!(lines, [shown(0), shown(1), shown(2)]);
}

/// Issue 15 item 12: all input of a run together is bounded, not only each
/// file: files past the total (in path order) are refused by name, and the
/// files before them are still checked.
#[test]
fn input_over_the_total_size_limit() {
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler\n  namespace: shop\ndata:\n  x: {}\n",
        "a".repeat(4000)
    );
    let (_tmp, root) = tree_with("zz-big.yaml", big.as_bytes());
    let good = std::fs::metadata(root.join("dev/good.yaml")).expect("good file").len();
    let limit = (good + 100).to_string();
    let (run, report) = check(&root, &["--max-total-size", &limit]);
    assert_errors(
        &run,
        &report,
        &[format!(
            "parity::load::total-too-large {}:0:0 reading this file would pass the limit of {limit} bytes for all \
             input of one run (change it with --max-total-size)",
            shown(&root, "dev/zz-big.yaml")
        )],
    );
    // Under the default limit (1 GiB) both files load.
    let (run, report) = check(&root, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(report["summary"]["objects"], 2);
    // Stdin counts too.
    let text = std::fs::read_to_string(fixture("good.yaml")).expect("good file");
    let run = common::parity_with(
        &["check", "--format", "json", "--rule", RULE, "--max-total-size", "10", "-"],
        Some(&text),
        &[],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("\"code\": \"parity::load::total-too-large\""), "{}", run.stdout);
    assert!(run.stdout.contains("\"file\": \"<stdin>\""), "{}", run.stdout);
}
