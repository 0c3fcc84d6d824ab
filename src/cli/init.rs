//! `parity init`: scaffolds `parity.toml`, a `rules/` folder with one
//! commented example rule and its test case, and a `.pre-commit-config.yaml`
//! snippet. Existing files are never overwritten.

use std::path::{Path, PathBuf};

use clap::Args;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (default: the current folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The manifest folder whose sub-folders are the envs (default:
    /// `manifests`).
    #[arg(long, default_value = "manifests")]
    pub manifests: String,
}

const EXAMPLE_RULE: &str = r#"# An example rule. `parity explain team-label rules/` shows its docs;
# `parity test` runs its test cases; docs/language.md in the parity
# repository teaches the language.

rule team-label {
  # The body: what must hold. `workload` is every kind with a pod spec.
  every workload has metadata.labels.team exists

  severity: warning
  title: "Every workload names its owning team"
  why: "Findings and incidents need an owner to go to."
  fix: "Add a `team` label to the workload's metadata."
  message: "{kind} {name} in {env.name} has no `team` label"
  tags: [ownership]
}
"#;

const CASE: &str = r#"description: A workload without a team label is reported; one with it is not.
rules: [team-label]
expect:
  - {rule: team-label, env: prod, kind: Deployment, namespace: web, name: unowned}
"#;

const CASE_PROD: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: owned
  namespace: web
  labels:
    team: storefront
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: unowned
  namespace: web
"#;

fn pre_commit(manifests: &str) -> String {
    format!(
        r#"# Add to .pre-commit-config.yaml. Runs the parity on your PATH
# (`cargo install --locked --path .` in a clone of parity).
repos:
  - repo: local
    hooks:
      - id: parity
        name: parity
        language: system
        # Keep the final `--`: the changed files come after it.
        entry: parity check --changed --tree {manifests} rules/ --
        types_or: [yaml, json]
        require_serial: true
"#
    )
}

/// The parity.toml: envs from the manifest folder's sub-folders if it has
/// any, else a commented template.
fn config(dir: &Path, manifests: &str) -> String {
    let mut envs: Vec<String> = std::fs::read_dir(dir.join(manifests))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    if envs.is_empty() {
        envs = vec!["dev".into(), "staging".into(), "prod".into()];
    }
    envs.sort_by_key(|e| (crate::load::envs::rank(e), e.clone()));
    let mut out = String::from(
        "# parity configuration: the envs, their sources and tags, in promotion order.\n\
         # The last env is the reference env that cross-env rules compare against.\n\n",
    );
    out.push_str(
        "# Your rules, added to the standard library (`no-stdlib = true` runs yours alone).\n\
         rules = [\"rules\"]\n",
    );
    out.push_str(&format!(
        "promotion = [{}]\n",
        envs.iter().map(|e| format!("\"{e}\"")).collect::<Vec<_>>().join(", ")
    ));
    for e in &envs {
        let tag = if crate::load::envs::rank(e) >= 7 { "prod" } else { "nonprod" };
        out.push_str(&format!("\n[[env]]\nname = \"{e}\"\nsources = [\"{manifests}/{e}\"]\ntags = [\"{tag}\"]\n"));
    }
    out.push_str(
        "\n# Waive a finding on purpose (it stays visible with --show-waived):\n\
         # [[exception]]\n\
         # rule = \"container-memory-limits\"\n\
         # env = \"dev\"\n\
         # namespace = \"sandbox-*\"\n\
         # reason = \"load tests size themselves\"\n\
         # owner = \"platform-team\"\n\
         # expires = \"2027-01-31\"\n",
    );
    out
}

pub fn run(args: InitArgs) -> i32 {
    let d = &args.dir;
    let files: Vec<(PathBuf, String)> = vec![
        (d.join("parity.toml"), config(d, &args.manifests)),
        (d.join("rules/team-label.parity"), EXAMPLE_RULE.to_string()),
        (d.join("rules/tests/team-label/fires/parity-test.yaml"), CASE.to_string()),
        (d.join("rules/tests/team-label/fires/prod/deployments.yaml"), CASE_PROD.to_string()),
        (d.join("pre-commit-snippet.yaml"), pre_commit(&args.manifests)),
    ];
    let mut code = 0;
    for (path, text) in files {
        let shown = super::display(&path);
        if path.exists() {
            println!("kept     {shown} (it exists)");
            continue;
        }
        let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&path, text));
        match written {
            Ok(()) => println!("created  {shown}"),
            Err(e) => {
                eprintln!("error: cannot write {shown}: {e}");
                code = 2;
            }
        }
    }
    if code == 0 {
        if d.join(&args.manifests).is_dir() {
            println!(
                "\nnext: parity check            # checks the envs of parity.toml with the standard rules and yours\n      parity test             # runs the cases under rules/\n      add pre-commit-snippet.yaml to .pre-commit-config.yaml"
            );
        } else {
            println!(
                "\nnext: parity test             # runs the example rule's case under rules/\n      put each env's manifests in {m}/ENV/ (as parity.toml says), then: parity check\n      add pre-commit-snippet.yaml to .pre-commit-config.yaml",
                m = args.manifests
            );
        }
    }
    code
}
