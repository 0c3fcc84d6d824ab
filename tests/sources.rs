//! Issue 19, end to end: rendered env sources (real `kubectl kustomize`, a
//! Helm stand-in), named stdin and pipes, parity.toml discovery, paths with
//! configured envs, rule selection, and the everyday commands
//! (completions, man page, `rules --format json`, `--version`, bare
//! `parity test`, `parity init`).

mod common;

use std::path::Path;

use common::{json, keys, parity_in, write_tree};
use serde_json::Value as Json;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {memory: 64Mi}
";

/// A repository laid out as a kustomize base with dev and prod overlays;
/// prod's image was never run in dev.
fn kustomize_repo(root: &Path) {
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    write_tree(
        root,
        &[
            ("base/deployment.yaml", DEPLOYMENT),
            ("base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
            ("overlays/dev/kustomization.yaml", "resources:\n  - ../../base\n"),
            (
                "overlays/prod/kustomization.yaml",
                "resources:\n  - ../../base\nimages:\n  - name: shop/web\n    newTag: \"2.0\"\n",
            ),
            (
                "parity.toml",
                "promotion = [\"dev\", \"prod\"]\n\n[[env]]\nname = \"dev\"\nrender = [\"kubectl\", \"kustomize\", \"overlays/dev\"]\n\n\
                 [[env]]\nname = \"prod\"\nrender = [\"kubectl\", \"kustomize\", \"overlays/prod\"]\n",
            ),
            ("sub/deeper/notes.txt", "a folder below the root\n"),
        ],
    );
}

/// Whether the real `kubectl` is installed (Debian's kubernetes-client;
/// .ci/run installs it). Without it the test fails, unless
/// PARITY_SKIP_EXTERNAL_TOOLS=1 skips it on purpose (see common::tool_missing).
fn kubectl_present() -> bool {
    let ok =
        std::process::Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        common::tool_missing("kubectl (Debian's kubernetes-client, for `kubectl kustomize`)");
    }
    ok
}

fn envs(report: &Json) -> Vec<String> {
    report["summary"]["envs"].as_array().expect("envs").iter().map(|e| e.as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn base_and_overlays_check_every_env_with_no_arguments() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    kustomize_repo(dir.path());
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(envs(&report), ["dev", "prod"]);
    assert_eq!(report["summary"]["config"], "parity.toml");
    assert_eq!(keys(&report), ["image-promotion prod Deployment shop/web"]);
    assert_eq!(report["findings"][0]["file"], "<render prod>", "{}", run.stdout);
    // The human summary names the config too.
    let human = parity_in(dir.path(), &["check"], None, &[]);
    assert!(human.stdout.contains("· config parity.toml ·"), "{}", human.stdout);
    // What was rendered, as parity read it.
    let shown = parity_in(dir.path(), &["check", "--show-render", "prod"], None, &[]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("image: shop/web:2.0"), "{}", shown.stdout);
    let unknown = parity_in(dir.path(), &["check", "--show-render", "qa"], None, &[]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("declares no env `qa`"), "{}", unknown.stderr);
}

#[test]
fn config_is_discovered_from_a_sub_folder_up_to_the_repository_root() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    kustomize_repo(dir.path());
    let run = parity_in(&dir.path().join("sub/deeper"), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["config"], "../../parity.toml");
    assert_eq!(envs(&report), ["dev", "prod"]);
    // A parity.toml above the repository root is not used.
    let outer = tempfile::tempdir().expect("temp dir");
    write_tree(outer.path(), &[("parity.toml", "[[env]]\nname = \"x\"\nsource = \"nowhere\"\n")]);
    std::fs::create_dir_all(outer.path().join("repo/.git")).expect("mkdir");
    write_tree(outer.path(), &[("repo/m/a.yaml", DEPLOYMENT)]);
    let run = parity_in(&outer.path().join("repo"), &["check", "--format", "json", "m"], None, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(json(&run)["summary"].get("config").is_none(), "{}", run.stdout);
}

#[test]
fn paths_pick_configured_envs_and_never_make_rules_or_tests_envs() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    kustomize_repo(dir.path());
    write_tree(
        dir.path(),
        &[
            ("rules/mine.parity", "rule has-team {\n  every deployment has metadata.labels.team exists\n}\n"),
            ("tests/case/prod/a.yaml", DEPLOYMENT),
        ],
    );
    // `.` at the root: every configured env, rules/ read as rules.
    let all = parity_in(dir.path(), &["check", "--format", "json", "rules/", "."], None, &[]);
    let report = json(&all);
    assert_eq!(envs(&report), ["dev", "prod"], "{}", all.stderr);
    assert!(keys(&report).contains(&"has-team dev Deployment shop/web".to_string()), "{}", all.stdout);
    // A path inside one env picks that env alone.
    let one = parity_in(dir.path(), &["check", "--format", "json", "overlays/prod"], None, &[]);
    assert_eq!(envs(&json(&one)), ["prod"], "{}", one.stderr);
    // A path in no env is an error with a hint.
    let none = parity_in(dir.path(), &["check", "tests"], None, &[]);
    assert_eq!(none.code, 2, "{}", none.stdout);
    assert!(none.stdout.contains("`tests` is not in any env of parity.toml"), "{}", none.stdout);
    assert!(none.stdout.contains("--env NAME=tests"), "{}", none.stdout);
    // Without a configuration, a folder of envs skips rules/ and tests/.
    let bare = tempfile::tempdir().expect("temp dir");
    write_tree(
        bare.path(),
        &[
            ("dev/a.yaml", DEPLOYMENT),
            ("prod/a.yaml", DEPLOYMENT),
            ("rules/tests/case/prod/a.yaml", DEPLOYMENT),
            ("tests/case/dev/a.yaml", DEPLOYMENT),
        ],
    );
    let run = parity_in(bare.path(), &["check", "--format", "json", "."], None, &[]);
    let report = json(&run);
    assert_eq!(envs(&report), ["dev", "prod"], "{}", run.stdout);
    let notes: Vec<&str> =
        report["warnings"].as_array().expect("warnings").iter().filter_map(|w| w["code"].as_str()).collect();
    assert_eq!(notes.iter().filter(|c| **c == "parity::load::not-an-env").count(), 2, "{}", run.stdout);
}

/// A stand-in for `helm template`: no registry ships the helm binary, so
/// this script prints what `helm template shop charts/shop -f values-ENV.yaml`
/// prints for a chart made by `helm create` (real output, trimmed to two
/// templates), with the image tag of the values file given.
const FAKE_HELM: &str = r#"#!/bin/sh
# Stand-in for `helm template` (see tests/sources.rs).
tag=1.0
for a in "$@"; do case "$a" in values-prod.yaml) tag=2.0;; esac; done
cat <<EOF
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop
  labels:
    helm.sh/chart: shop-0.1.0
    app.kubernetes.io/name: shop
    app.kubernetes.io/instance: shop
    app.kubernetes.io/version: "1.16.0"
    app.kubernetes.io/managed-by: Helm
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: http
      protocol: TCP
      name: http
  selector:
    app.kubernetes.io/name: shop
    app.kubernetes.io/instance: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
  labels:
    helm.sh/chart: shop-0.1.0
    app.kubernetes.io/name: shop
    app.kubernetes.io/instance: shop
    app.kubernetes.io/version: "1.16.0"
    app.kubernetes.io/managed-by: Helm
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: shop
      app.kubernetes.io/instance: shop
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop
        app.kubernetes.io/instance: shop
    spec:
      containers:
        - name: shop
          image: "nginx:$tag"
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {memory: 64Mi}
EOF
"#;

fn helm_repo(root: &Path) {
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    write_tree(
        root,
        &[
            ("fake-helm.sh", FAKE_HELM),
            ("values-dev.yaml", "image: {tag: \"1.0\"}\n"),
            ("values-prod.yaml", "image: {tag: \"2.0\"}\n"),
            (
                "parity.toml",
                "promotion = [\"dev\", \"prod\"]\n\n[[env]]\nname = \"dev\"\n\
                 render = [\"./fake-helm.sh\", \"template\", \"shop\", \"charts/shop\", \"-f\", \"values-dev.yaml\"]\n\n\
                 [[env]]\nname = \"prod\"\n\
                 render = [\"./fake-helm.sh\", \"template\", \"shop\", \"charts/shop\", \"-f\", \"values-prod.yaml\"]\n",
            ),
        ],
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("fake-helm.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn helm_findings_point_at_the_template_named_by_its_source_comment() {
    let dir = tempfile::tempdir().expect("temp dir");
    helm_repo(dir.path());
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["image-promotion prod Deployment shop/shop"]);
    let f = &report["findings"][0];
    assert_eq!(f["file"], "<render prod>");
    let related: Vec<&str> =
        f["related"].as_array().expect("related").iter().filter_map(|r| r["file"].as_str()).collect();
    assert!(related.contains(&"shop/templates/deployment.yaml"), "{}", run.stdout);
    // `values-prod.yaml`, a word of prod's command, picks prod alone.
    let one = parity_in(dir.path(), &["check", "--format", "json", "values-prod.yaml"], None, &[]);
    assert_eq!(envs(&json(&one)), ["prod"], "{}", one.stderr);
}

#[test]
fn kustomize_origin_annotations_name_the_source_file() {
    // As `kustomize build` prints with `buildMetadata: [originAnnotations]`
    // (the Debian kubectl's embedded kustomize predates that option, so the
    // output is printed by a script here).
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "#!/bin/sh\ncat <<'EOF'\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../base/deployment.yaml\n  name: web\n  namespace: shop\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - image: shop/web:$1\n        name: web\nEOF\n";
    write_tree(
        dir.path(),
        &[
            ("k.sh", &script.replace("cat <<'EOF'", "cat <<EOF")),
            (
                "parity.toml",
                "promotion = [\"dev\", \"prod\"]\n[[env]]\nname = \"dev\"\nrender = [\"./k.sh\", \"1.0\"]\n\
                 [[env]]\nname = \"prod\"\nrender = [\"./k.sh\", \"2.0\"]\n",
            ),
        ],
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path().join("k.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = parity_in(dir.path(), &["check", "--select", "image-promotion"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("see also: prod  Deployment shop/web  ../../base/deployment.yaml"), "{}", run.stdout);
}

#[test]
fn a_failing_render_is_a_run_error_with_its_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tree(
        dir.path(),
        &[
            ("dev/a.yaml", DEPLOYMENT),
            (
                "parity.toml",
                "[[env]]\nname = \"dev\"\nsource = \"dev\"\n[[env]]\nname = \"prod\"\n\
                 render = [\"sh\", \"-c\", \"echo 'overlay prod: no such file' >&2; exit 1\"]\n",
            ),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let errors = json(&run)["errors"].clone();
    let e = &errors[0];
    assert_eq!(e["code"], "parity::load::render");
    let message = e["message"].as_str().unwrap_or("");
    assert!(message.contains("failed with exit status 1"), "{message}");
    assert!(message.contains("overlay prod: no such file"), "{message}");
}

#[test]
fn named_stdin_is_an_env_and_stdin_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prod = DEPLOYMENT.replace("shop/web:1.0", "shop/web:2.0");
    write_tree(dir.path(), &[("dev/a.yaml", DEPLOYMENT)]);
    let run =
        parity_in(dir.path(), &["check", "--format", "json", "--env", "dev=dev", "--env", "prod=-"], Some(&prod), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(envs(&report), ["dev", "prod"]);
    assert_eq!(keys(&report), ["image-promotion prod Deployment shop/web"]);
    assert_eq!(report["findings"][0]["file"], "<stdin>");
    let twice = parity_in(dir.path(), &["check", "--env", "a=-", "--env", "b=-"], Some(&prod), &[]);
    assert_eq!(twice.code, 2);
    assert!(twice.stdout.contains("stdin is given twice"), "{}", twice.stdout);
}

#[test]
fn process_substitution_is_an_env_but_devices_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prod = DEPLOYMENT.replace("shop/web:1.0", "shop/web:2.0");
    write_tree(dir.path(), &[("dev.yaml", DEPLOYMENT), ("prod.yaml", &prod)]);
    let bin = env!("CARGO_BIN_EXE_parity");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("'{bin}' check --format json --env dev=<(cat dev.yaml) --env prod=<(cat prod.yaml)"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Default::default(),
    };
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(envs(&report), ["dev", "prod"]);
    assert_eq!(keys(&report), ["image-promotion prod Deployment shop/web"]);
    // A link to /dev/zero given as an env source is still refused, unread.
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).expect("symlink");
    let zero = parity_in(dir.path(), &["check", "--env", "dev=zero.yaml"], None, &[]);
    assert_eq!(zero.code, 2);
    assert!(zero.stdout.contains("zero.yaml: not a regular file or folder"), "{}", zero.stdout);
    // A FIFO given as a plain path is refused with a hint; one met while
    // walking an env folder stays refused, unread, even under `--env`.
    std::fs::create_dir_all(dir.path().join("m")).expect("mkdir");
    std::fs::write(dir.path().join("m/dev.yaml"), DEPLOYMENT).expect("write");
    for fifo in ["p.yaml", "m/pipe.yaml"] {
        let made = std::process::Command::new("mkfifo").arg(dir.path().join(fifo)).status().expect("mkfifo runs");
        assert!(made.success());
    }
    let plain = parity_in(dir.path(), &["check", "p.yaml"], None, &[]);
    assert_eq!(plain.code, 2);
    assert!(plain.stdout.contains("name it as an env with `--env NAME=PATH`"), "{}", plain.stdout);
    let walked = parity_in(dir.path(), &["check", "--env", "dev=m"], None, &[]);
    assert_eq!(walked.code, 2);
    assert!(
        walked.stdout.contains("m/pipe.yaml: not a regular file (a FIFO, socket or device): not read"),
        "{}",
        walked.stdout
    );
}

const OWN_RULE: &str = "rule has-team {\n  every deployment has metadata.labels.team exists\n  tags: [ownership]\n}\n\n\
                        rule strict-replicas {\n  every deployment has spec.replicas >= 3\n  tags: [ownership]\n  enabled: false\n}\n";

fn rules_of(run: &common::Run) -> Vec<String> {
    let mut ids: Vec<String> = keys(&json(run)).iter().map(|k| k.split(' ').next().unwrap_or("").to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn user_rules_add_to_the_standard_library_and_selection_picks_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prod = DEPLOYMENT.replace("shop/web:1.0", "shop/web:2.0");
    write_tree(dir.path(), &[("m/dev/a.yaml", DEPLOYMENT), ("m/prod/a.yaml", &prod), ("rules/own.parity", OWN_RULE)]);
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json", "rules/", "m"];
        args.extend(extra);
        parity_in(dir.path(), &args, None, &[])
    };
    // Both: the standard library's image-promotion and the user's has-team;
    // strict-replicas is off unless selected.
    assert_eq!(rules_of(&run(&[])), ["has-team", "image-promotion"]);
    assert_eq!(rules_of(&run(&["--no-stdlib"])), ["has-team"]);
    assert_eq!(rules_of(&run(&["--select", "ownership"])), ["has-team", "strict-replicas"]);
    assert_eq!(
        rules_of(&run(&["--extend-select", "strict-replicas"])),
        ["has-team", "image-promotion", "strict-replicas"]
    );
    assert_eq!(rules_of(&run(&["--ignore", "has-*,image-promotion"])), Vec::<String>::new());
    let typo = run(&["--select", "has-taem"]);
    assert_eq!(typo.code, 2);
    assert_eq!(json(&typo)["errors"][0]["code"], "parity::select::unknown");
    // The same keys in parity.toml; the flags add to them.
    write_tree(
        dir.path(),
        &[("parity.toml", "rules = [\"rules\"]\nselect = [\"ownership\", \"image-*\"]\nignore = [\"has-team\"]\n")],
    );
    assert_eq!(rules_of(&run(&[])), ["image-promotion", "strict-replicas"]);
    assert_eq!(rules_of(&run(&["--select", "has-team"])), Vec::<String>::new());
    assert_eq!(rules_of(&run(&["--ignore", "strict-replicas"])), ["image-promotion"]);
    write_tree(
        dir.path(),
        &[("parity.toml", "rules = [\"rules\"]\nno-stdlib = true\nextend-select = [\"strict-*\"]\n")],
    );
    assert_eq!(rules_of(&run(&[])), ["has-team", "strict-replicas"]);
}

#[test]
fn completions_man_page_rules_json_and_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = parity_in(dir.path(), &["completions", shell], None, &[]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for word in ["parity", "check", "extend-select", "show-render"] {
            assert!(run.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    let man = parity_in(dir.path(), &["man"], None, &[]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH parity 1"), "{}", man.stdout);
    assert!(man.stdout.contains("completions"), "{}", man.stdout);
    let out = dir.path().join("man1");
    let pages = parity_in(dir.path(), &["man", "--out", "man1"], None, &[]);
    assert_eq!(pages.code, 0, "{}", pages.stderr);
    let check = std::fs::read_to_string(out.join("parity-check.1")).expect("parity-check.1 written");
    assert!(check.contains("show\\-render"), "{check}");
    let rules = parity_in(dir.path(), &["rules", "--format", "json"], None, &[]);
    let list = json(&rules);
    let first = &list.as_array().expect("an array")[0];
    for key in ["id", "severity", "title", "why", "fix", "tags", "enabled", "origin", "body"] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    let version = parity_in(dir.path(), &["--version"], None, &[]);
    assert!(version.stdout.starts_with(&format!("parity {}", env!("CARGO_PKG_VERSION"))), "{}", version.stdout);
}

#[test]
fn init_scaffold_works_at_once_and_bare_test_finds_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prod = DEPLOYMENT.replace("shop/web:1.0", "shop/web:2.0");
    write_tree(dir.path(), &[("manifests/dev/a.yaml", DEPLOYMENT), ("manifests/prod/a.yaml", &prod)]);
    let init = parity_in(dir.path(), &["init"], None, &[]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(init.stdout.contains("next: parity check"), "{}", init.stdout);
    assert!(!init.stdout.contains("<the parity"), "{}", init.stdout);
    let check = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    // The standard rules and the scaffolded one, together.
    assert_eq!(rules_of(&check), ["image-promotion", "team-label"]);
    let test = parity_in(dir.path(), &["test"], None, &[]);
    assert_eq!(test.code, 0, "{}{}", test.stdout, test.stderr);
    assert_eq!(test.stdout.trim(), "1 passed, 0 failed");
    // Without manifests, the suggested command is `parity test`, which passes.
    let empty = tempfile::tempdir().expect("temp dir");
    let init = parity_in(empty.path(), &["init"], None, &[]);
    assert!(init.stdout.contains("next: parity test"), "{}", init.stdout);
    assert_eq!(parity_in(empty.path(), &["test"], None, &[]).code, 0);
    let snippet = std::fs::read_to_string(empty.path().join("pre-commit-snippet.yaml")).expect("snippet");
    assert!(snippet.contains("repo: local") && !snippet.contains("<the parity"), "{snippet}");
}
