//! End-to-end tests of the team workflow: waivers (annotations, parity.toml
//! exceptions, the baseline), `--changed` for pre-commit, the real
//! `pre-commit` tool, and `parity init`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{json, keys, keys_of, parity_in, write_tree};

const LIMITS: &str = "every deployment has every container with resources.limits.memory";

fn deployment(name: &str, ns: &str, annotations: &str, limited: bool) -> String {
    let resources = if limited { "\n          resources: {limits: {memory: 128Mi}}" } else { "" };
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations: {{{annotations}}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1{resources}\n  selector: {{matchLabels: {{app: app}}}}\n"
    )
}

fn tree(dir: &Path) {
    let dev = format!(
        "{}{}",
        deployment(
            "waived",
            "web",
            "parity.dev/ignore: \"cli-1, other\", parity.dev/ignore-reason: \"load test\"",
            false
        ),
        deployment("no-reason", "web", "parity.dev/ignore: \"cli-1\"", false)
    );
    let prod = format!(
        "{}{}{}",
        deployment("api", "web", "", false),
        deployment("batch", "jobs", "", false),
        deployment("ok", "web", "", true)
    );
    write_tree(dir, &[("manifests/dev/app.yaml", &dev), ("manifests/prod/app.yaml", &prod)]);
}

#[test]
fn annotations_waive_with_a_reason_and_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let run = parity_in(
        dir.path(),
        &["check", "--format", "json", "--show-waived", "--rule", LIMITS, "manifests"],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(
        keys(&report),
        [
            "cli-1 dev Deployment web/no-reason",
            "cli-1 prod Deployment web/api",
            "cli-1 prod Deployment jobs/batch",
            "parity/ignore-without-reason dev Deployment web/no-reason",
        ]
    );
    assert_eq!(keys_of(&report["waived"]), ["cli-1 dev Deployment web/waived"]);
    assert_eq!(report["waived"][0]["reason"], "load test");
    assert_eq!(report["waived"][0]["waived_by"], "annotation");
    assert_eq!(report["summary"]["waived"], 1);
    // Without --show-waived the waived findings are counted, not listed.
    let quiet = parity_in(dir.path(), &["check", "--rule", LIMITS, "manifests"], None, &[]);
    assert!(quiet.stdout.contains("1 waived"), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("waived[cli-1]"), "{}", quiet.stdout);
}

#[test]
fn parity_toml_exceptions_waive_expire_and_go_unused() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let config = r#"[[env]]
name = "dev"
source = "manifests/dev"

[[env]]
name = "prod"
source = "manifests/prod"

[[exception]]
rule = "cli-*"
env = "prod"
namespace = "jobs"
reason = "batch jobs are sized by the scheduler"
owner = "data-team"

[[exception]]
rule = "cli-1"
name = "api"
reason = "migrating to a new chart"
owner = "web-team"
expires = "2026-01-31"

[[exception]]
rule = "cli-1"
name = "gone-*"
reason = "old"
owner = "web-team"
"#;
    write_tree(dir.path(), &[("parity.toml", config)]);
    let run = parity_in(
        dir.path(),
        &["check", "--format", "json", "--show-waived", "--rule", LIMITS],
        None,
        &[("PARITY_TODAY", "2026-11-23")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(
        keys(&report),
        [
            "cli-1 dev Deployment web/no-reason",
            "cli-1 prod Deployment web/api",
            "parity/exception-expired",
            "parity/exception-unused",
            "parity/ignore-without-reason dev Deployment web/no-reason",
        ]
    );
    let findings = report["findings"].as_array().expect("findings");
    let expired = findings.iter().find(|f| f["rule"] == "parity/exception-expired").expect("expired finding");
    assert_eq!(expired["file"], "parity.toml");
    assert_eq!(expired["line"], 16);
    assert!(expired["message"].as_str().unwrap_or("").contains("expired on 2026-01-31"), "{expired}");
    let unused = findings.iter().find(|f| f["rule"] == "parity/exception-unused").expect("unused finding");
    assert_eq!(unused["line"], 23);
    assert_eq!(unused["severity"], "warning");
    assert_eq!(keys_of(&report["waived"]), ["cli-1 dev Deployment web/waived", "cli-1 prod Deployment jobs/batch"]);
    let batch = &report["waived"][1];
    assert_eq!(batch["owner"], "data-team");
    assert_eq!(batch["waived_by"], "parity.toml:9");
    // Before its expiry date the second exception still applies.
    let earlier = parity_in(
        dir.path(),
        &["check", "--format", "json", "--rule", LIMITS],
        None,
        &[("PARITY_TODAY", "2026-01-31")],
    );
    assert!(!keys(&json(&earlier)).contains(&"cli-1 prod Deployment web/api".to_string()));
}

#[test]
fn an_exception_without_owner_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    write_tree(dir.path(), &[("parity.toml", "[[exception]]\nrule = \"x\"\nreason = \"r\"\nowner = \"\"\n")]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "--rule", LIMITS, "manifests"], None, &[]);
    assert_eq!(run.code, 2);
    let report = json(&run);
    assert_eq!(report["errors"][0]["file"], "parity.toml");
    assert_eq!(report["errors"][0]["line"], 1);
    assert!(report["errors"][0]["message"].as_str().unwrap_or("").contains("owner"));
}

#[test]
fn baseline_fails_only_on_new_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let write = parity_in(
        dir.path(),
        &["check", "--rule", LIMITS, "--write-baseline", "baseline.json", "manifests"],
        None,
        &[],
    );
    assert_eq!(write.code, 0, "{}{}", write.stdout, write.stderr);
    assert!(write.stdout.contains("baseline written to baseline.json with 4 findings"), "{}", write.stdout);
    let same = parity_in(
        dir.path(),
        &["check", "--format", "json", "--rule", LIMITS, "--baseline", "baseline.json", "manifests"],
        None,
        &[],
    );
    assert_eq!(same.code, 0, "{}", same.stdout);
    assert_eq!(json(&same)["summary"]["waived"], 5);
    // A new violation is the only finding.
    write_tree(dir.path(), &[("manifests/prod/new.yaml", &deployment("fresh", "web", "", false))]);
    let new = parity_in(
        dir.path(),
        &["check", "--format", "json", "--rule", LIMITS, "--baseline", "baseline.json", "manifests"],
        None,
        &[],
    );
    assert_eq!(new.code, 1);
    assert_eq!(keys(&json(&new)), ["cli-1 prod Deployment web/fresh"]);
}

#[test]
fn changed_mode_reports_only_findings_in_the_changed_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let run = parity_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--changed",
            "--tree",
            "manifests",
            "--rule",
            LIMITS,
            "--",
            "manifests/prod/app.yaml",
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(keys(&json(&run)), ["cli-1 prod Deployment web/api", "cli-1 prod Deployment jobs/batch"]);
    // A changed file that is no manifest: no finding is part of it.
    std::fs::write(dir.path().join("README.md"), "# notes\n").expect("write README");
    let none = parity_in(
        dir.path(),
        &["check", "--changed", "--tree", "manifests", "--rule", LIMITS, "--", "README.md"],
        None,
        &[],
    );
    assert_eq!(none.code, 0, "{}", none.stdout);
    let no_tree =
        parity_in(dir.path(), &["check", "--changed", "--rule", LIMITS, "--", "manifests/prod/app.yaml"], None, &[]);
    assert_eq!(no_tree.code, 2);
    assert!(no_tree.stdout.contains("--changed needs the env tree"), "{}", no_tree.stdout);
}

#[test]
fn write_baseline_refuses_an_incomplete_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let d = dir.path();
    let good = parity_in(d, &["check", "--rule", LIMITS, "--write-baseline", "baseline.json", "manifests"], None, &[]);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    let before = std::fs::read_to_string(d.join("baseline.json")).expect("baseline");
    // A mistyped path: the run has an error, so the baseline is kept.
    let typo = parity_in(d, &["check", "--rule", LIMITS, "--write-baseline", "baseline.json", "manifest"], None, &[]);
    assert_eq!(typo.code, 2, "{}{}", typo.stdout, typo.stderr);
    assert!(typo.stderr.contains("error[parity::load::io]: manifest: no such file or folder"), "{}", typo.stderr);
    assert!(
        typo.stderr.contains(
            "error: the baseline baseline.json was not written: the run is incomplete (1 run errors, 0 skipped)"
        ),
        "{}",
        typo.stderr
    );
    assert!(!typo.stdout.contains("baseline written"), "{}", typo.stdout);
    assert_eq!(std::fs::read_to_string(d.join("baseline.json")).expect("baseline"), before);
    // A skipped file makes the run incomplete too.
    write_tree(d, &[("manifests/prod/chart.yaml", "metadata:\n  name: {{ .Release.Name }}\n")]);
    let skipped =
        parity_in(d, &["check", "--rule", LIMITS, "--write-baseline", "baseline.json", "manifests"], None, &[]);
    assert_eq!(skipped.code, 2, "{}{}", skipped.stdout, skipped.stderr);
    assert!(
        skipped.stderr.contains("skipped[parity::load::helm-template]: manifests/prod/chart.yaml:2:"),
        "{}",
        skipped.stderr
    );
    assert_eq!(std::fs::read_to_string(d.join("baseline.json")).expect("baseline"), before);
}

#[test]
fn everything_after_double_dash_is_a_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let d = dir.path();
    // A file whose name is an option, with a violation in it.
    write_tree(d, &[("--write-baseline=x.yaml", &deployment("evil", "web", "", false))]);
    let run =
        parity_in(d, &["check", "--format", "json", "--rule", LIMITS, "--", "--write-baseline=x.yaml"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(keys(&json(&run)), ["cli-1 --write-baseline=x Deployment web/evil"]);
    assert!(!d.join("x.yaml").exists(), "no baseline was written");
    // `--changed` (the pre-commit hook) takes its files after `--` only: a
    // file name that reaches it without one is refused, never an option.
    let tree_args = ["check", "--changed", "--tree", "manifests", "--rule", LIMITS];
    let bare = parity_in(d, &[&tree_args[..], &["manifests/prod/app.yaml"]].concat(), None, &[]);
    assert_eq!(bare.code, 2, "{}{}", bare.stdout, bare.stderr);
    assert!(bare.stdout.contains("--changed takes the changed files after `--`"), "{}", bare.stdout);
    let hook = parity_in(d, &[&tree_args[..], &["--", "manifests/prod/app.yaml"]].concat(), None, &[]);
    assert_eq!(hook.code, 1, "{}{}", hook.stdout, hook.stderr);
    // The hook manifest ends its options with `--`.
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
        .expect("hook manifest");
    assert!(manifest.lines().any(|l| l.trim() == "args: [--]"), "{manifest}");
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs")
}

/// The real pre-commit tool, with a local hook that runs this build of
/// parity exactly as `.pre-commit-hooks.yaml` says.
#[test]
fn pre_commit_blocks_a_bad_commit_and_passes_a_good_one() {
    let Ok(version) = Command::new("pre-commit").arg("--version").output() else {
        common::tool_missing("pre-commit");
        return;
    };
    assert!(version.status.success());
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(repo_root.join(".pre-commit-hooks.yaml")).expect("hook manifest");
    let check = Command::new("pre-commit")
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .current_dir(repo_root)
        .output()
        .expect("runs");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let entry = manifest.lines().find_map(|l| l.trim().strip_prefix("entry: ")).expect("entry line");
    let args = entry.strip_prefix("parity ").expect("the entry runs parity");
    let types = manifest.lines().find_map(|l| l.trim().strip_prefix("types_or: ")).expect("types_or line");

    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    assert!(git(d, &["init", "-q"]).status.success());
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: parity\n        name: parity\n        entry: {} {args}\n        language: system\n        types_or: {types}\n        require_serial: true\n        args: [--tree, manifests, --]\n",
        env!("CARGO_BIN_EXE_parity")
    );
    let good = deployment("api", "web", "", true);
    write_tree(
        d,
        &[(".pre-commit-config.yaml", &config), ("manifests/dev/app.yaml", &good), ("manifests/prod/app.yaml", &good)],
    );
    assert!(git(d, &["add", "."]).status.success());
    let first = Command::new("pre-commit")
        .args(["run", "--all-files"])
        .current_dir(d)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(first.status.success(), "a clean tree passes: {}", String::from_utf8_lossy(&first.stdout));
    assert!(git(d, &["commit", "-q", "-m", "base", "--no-verify"]).status.success());
    assert!(Command::new("pre-commit").args(["install"]).current_dir(d).output().expect("runs").status.success());

    // A privileged container in prod: the commit is blocked and the finding shown.
    let bad = good.replace("image: app:1", "image: app:1\n          securityContext: {privileged: true}");
    write_tree(d, &[("manifests/prod/app.yaml", &bad)]);
    assert!(git(d, &["add", "."]).status.success());
    let blocked = git(d, &["commit", "-m", "privileged"]);
    let out = format!("{}{}", String::from_utf8_lossy(&blocked.stdout), String::from_utf8_lossy(&blocked.stderr));
    assert!(!blocked.status.success(), "the bad commit must be blocked:\n{out}");
    assert!(out.contains("error[no-privileged-containers]"), "{out}");
    assert!(out.contains("manifests/prod/app.yaml"), "{out}");

    // Fixed: the commit goes through.
    let fixed = good.replace("image: app:1", "image: app:1\n          securityContext: {privileged: false}");
    write_tree(d, &[("manifests/prod/app.yaml", &fixed)]);
    assert!(git(d, &["add", "."]).status.success());
    let ok = git(d, &["commit", "-m", "fixed"]);
    assert!(ok.status.success(), "{}{}", String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn init_scaffolds_a_working_setup_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write_tree(
        d,
        &[
            ("manifests/dev/app.yaml", &deployment("api", "web", "", true)),
            ("manifests/prod/app.yaml", &deployment("api", "web", "", true)),
        ],
    );
    let run = parity_in(d, &["init"], None, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for f in [
        "parity.toml",
        "rules/team-label.parity",
        "rules/tests/team-label/fires/parity-test.yaml",
        "pre-commit-snippet.yaml",
    ] {
        assert!(d.join(f).is_file(), "{f} missing:\n{}", run.stdout);
    }
    let config = std::fs::read_to_string(d.join("parity.toml")).expect("config");
    assert!(config.contains("promotion = [\"dev\", \"prod\"]"), "{config}");
    // The example rule's test case passes, and the configuration checks.
    let test = parity_in(d, &["test", "rules/", "rules/tests/"], None, &[]);
    assert_eq!(test.code, 0, "{}{}", test.stdout, test.stderr);
    assert!(test.stdout.ends_with("1 passed, 0 failed\n"), "{}", test.stdout);
    let check = parity_in(d, &["check", "rules/"], None, &[]);
    assert_eq!(check.code, 0, "the team label is a warning: {}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("warning[team-label] 2 findings"), "{}", check.stdout);
    // A second run keeps everything.
    std::fs::write(d.join("parity.toml"), "# mine\n").expect("write");
    let again = parity_in(d, &["init"], None, &[]);
    assert!(again.stdout.contains("kept     parity.toml (it exists)"), "{}", again.stdout);
    assert_eq!(std::fs::read_to_string(d.join("parity.toml")).expect("read"), "# mine\n");
}
