use super::*;
use crate::world::Identity;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

fn cm(name: &str, ns: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n")
}

fn env_names(l: &Loaded) -> Vec<&str> {
    l.world.envs.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn sub_folders_become_envs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("envs");
    write(&root, "prod/app.yaml", &cm("a", "web"));
    write(&root, "dev/app.yaml", &format!("{}---\n{}", cm("a", "web"), cm("b", "web")));
    write(&root, "dev/nested/more.json", "{\"apiVersion\": \"v1\", \"kind\": \"Secret\"}");
    write(&root, ".hidden/app.yaml", &cm("h", "web"));
    write(&root, "loose.yaml", &cm("l", "web"));
    write(&root, "rules.parity", "not yaml: [");
    let l = load_inputs(&[Input::Path(root.clone())], &[], None, &LoadOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(env_names(&l), vec!["dev", "envs", "prod"]);
    let dev = &l.world.envs[0];
    let lines: Vec<u32> = dev.objects.iter().map(|o| o.line).collect();
    assert_eq!(lines, vec![1, 7, 1]);
    let files: Vec<&str> = dev.objects.iter().map(|o| l.world.files[o.file as usize].as_str()).collect();
    let shown = files::display(&root);
    assert_eq!(
        files,
        vec![format!("{shown}/dev/app.yaml"), format!("{shown}/dev/app.yaml"), format!("{shown}/dev/nested/more.json"),]
    );
    // The rule file is not loaded, and named.
    let warned: Vec<&str> = l.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(warned, ["parity::load::loose-files", "parity::load::rule-file-in-manifests"]);
    assert_eq!(l.warnings[1].file, format!("{}/rules.parity", files::display(&root)));
    assert!(dev.objects.iter().all(|o| o.env == 0));
    assert_eq!(l.world.envs[2].objects[0].env, 2);
}

#[test]
fn files_snapshots_stdin_and_merging() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "flat/a.yaml", &cm("a", "x"));
    write(root, "staging.yaml", &cm("s", "x"));
    write(
        root,
        "snap.json",
        r#"{"apiVersion": "parity.dev/v1", "kind": "Snapshot", "context": "prod",
"serverVersion": "v1.30.4", "objects": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}}]}"#,
    );
    write(root, "more/prod.yaml", &cm("q", "x"));
    let inputs = vec![
        Input::Path(root.join("flat")),
        Input::Path(root.join("staging.yaml")),
        Input::Path(root.join("snap.json")),
        Input::Stdin,
    ];
    let explicit = vec![("prod".to_string(), root.join("more/prod.yaml"))];
    let stdin = Some(cm("in", "x"));
    let l = load_inputs(&inputs, &explicit, stdin.clone(), &LoadOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(env_names(&l), vec!["staging", "flat", "stdin", "prod"]);
    let prod = &l.world.envs[3];
    assert_eq!(prod.version.as_deref(), Some("v1.30.4"));
    let names: Vec<&str> = prod.objects.iter().map(|o| &*o.name).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"p") && names.contains(&"q"));
    let stdin_env = &l.world.envs[2];
    let stdin_file = stdin_env.objects[0].file as usize;
    assert_eq!(l.world.files[stdin_file], STDIN);
    // Its text is kept (stdin cannot be read again) for findings' lines.
    let kept = match &l.world.sources[stdin_file] {
        crate::world::SourceText::Memory(text) => Some(text.to_string()),
        other => panic!("stdin's text is kept: {other:?}"),
    };
    assert_eq!(kept, stdin);
    assert_eq!(l.world.files.len(), 5);
}

#[test]
fn bad_files_do_not_stop_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dev");
    write(&root, "a.yaml", &cm("a", "x"));
    std::fs::write(root.join("b.yaml"), b"\xff\xfe bad").unwrap();
    write(&root, "c.yaml", "a: [1\n");
    write(&root, "d.yaml", &format!("{}  name: again\n", cm("d", "x")));
    write(&root, "e.yaml", "kind: Thing\nspec: {}\n");
    write(&root, "f.yaml", "{{ include \"x\" . }}\n");
    write(&root, "g.yaml", &cm("g", "x"));
    let l = load_inputs(&[Input::Path(root.clone())], &[], None, &LoadOptions::default());
    let shown = files::display(&root);
    let mut errs: Vec<(String, &str)> =
        l.errors.iter().map(|e| (e.file.replace(&shown, ""), e.code.as_str())).collect();
    errs.sort();
    assert_eq!(
        errs,
        vec![
            ("/b.yaml".to_string(), "parity::load::encoding"),
            ("/c.yaml".to_string(), "parity::load::yaml"),
            ("/d.yaml".to_string(), "parity::load::duplicate-key"),
        ]
    );
    let skipped: Vec<&str> = l.skipped.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(skipped, vec!["parity::load::helm-template", "parity::load::not-kubernetes"]);
    let names: Vec<&str> = l.world.envs[0].objects.iter().map(|o| &*o.name).collect();
    assert_eq!(names, vec!["a", "g"]);
}

#[test]
fn missing_input_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let l = load_inputs(&[Input::Path(tmp.path().join("nope"))], &[], None, &LoadOptions::default());
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].file.ends_with("nope"));
}

#[test]
fn config_carving_and_canonical_namespaces() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let shared = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: staging-web}}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {{name: prod-web}}\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: reader}}\n---\n{}---\n{}---\n{}",
        cm("app", "staging-web"),
        cm("app", "prod-web"),
        cm("odd", "stg-api"),
    );
    write(root, "cluster/shared/all.yaml", &shared);
    write(root, "manifests/dev/app.yaml", &cm("app", "web"));
    write(
        root,
        "parity.toml",
        r#"promotion = ["dev", "staging", "prod"]
[[env]]
name = "prod"
source = "cluster/shared"
namespaces = ["prod-*"]
strip-prefix = "prod-"
[[env]]
name = "staging"
source = "cluster/shared"
namespaces = ["staging-*", "stg-*"]
strip-prefix = "staging-"
namespace-map = { "stg-api" = "api" }
[[env]]
name = "dev"
sources = ["manifests/dev"]
tags = ["nonprod"]
"#,
    );
    let l = load_config(&root.join("parity.toml"), &LoadOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(env_names(&l), vec!["dev", "staging", "prod"]);
    assert_eq!(l.world.envs[0].tags, vec!["nonprod".to_string()]);
    let ids = |i: usize| -> Vec<Identity> {
        let env = &l.world.envs[i];
        let mut v: Vec<Identity> = env.objects.iter().map(|o| env.identity(o)).collect();
        v.sort();
        v
    };
    let id = |kind: &str, ns: &str, name: &str| Identity { kind: kind.into(), namespace: ns.into(), name: name.into() };
    assert_eq!(
        ids(1),
        vec![
            id("clusterrole", "", "reader"),
            id("configmap", "api", "odd"),
            id("configmap", "web", "app"),
            id("namespace", "", "web"),
        ]
    );
    assert_eq!(
        ids(2),
        vec![id("clusterrole", "", "reader"), id("configmap", "web", "app"), id("namespace", "", "web")]
    );
    // The staging app pairs with its prod counterpart.
    let staging_app = l.world.envs[1].objects.iter().find(|o| &*o.name == "app");
    let counterpart = staging_app.and_then(|o| l.world.envs[2].lookup(&l.world.envs[1].identity(o)));
    assert!(counterpart.is_some());
    // The allocation-free lookup (borrowed parts, the index's shared
    // strings) answers as a lookup by a built identity does, both ways.
    for (a, env) in l.world.envs.iter().enumerate() {
        for o in &env.objects {
            for (b, other) in l.world.envs.iter().enumerate() {
                let by_identity = other.lookup(&env.identity(o));
                assert_eq!(env.counterpart_in(o, other), by_identity, "{} {} from env {a} in env {b}", o.kind, o.name);
                if a == b {
                    assert!(by_identity.is_some(), "{} {} not found in its own env", o.kind, o.name);
                }
            }
        }
    }
    // Line numbers survive carving.
    let prod_app = l.world.envs[2].objects.iter().find(|o| &*o.name == "app").map(|o| o.line);
    let start = shared.find(&cm("app", "prod-web")).unwrap_or(0);
    assert_eq!(prod_app, Some(shared[..start].matches('\n').count() as u32 + 1));
}

#[test]
fn config_missing_source_and_bad_key() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "parity.toml", "[[env]]\nname = \"dev\"\nsource = \"nowhere\"\n");
    let l = load_config(&root.join("parity.toml"), &LoadOptions::default());
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].message.contains("nowhere"), "{}", l.errors[0].message);
    assert_eq!(env_names(&l), vec!["dev"]);
    write(root, "bad.toml", "[[env]]\nname = \"dev\"\nsource = \".\"\ncolour = 1\n");
    let l = load_config(&root.join("bad.toml"), &LoadOptions::default());
    assert_eq!(l.errors[0].line, 4);
    assert!(l.errors[0].message.contains("colour"));
}

#[test]
fn many_small_files_keep_their_objects_and_order() {
    // 600 files over two envs, and one folder that feeds two envs: every
    // object is placed once per env that uses its file, in path order.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("envs");
    for env in ["dev", "prod"] {
        for i in 0..300 {
            write(
                &root,
                &format!("{env}/f{i:04}.yaml"),
                &format!("{}---\n{}", cm(&format!("a{i}"), "x"), cm(&format!("b{i}"), "x")),
            );
        }
    }
    let shared = root.join("dev");
    let explicit = vec![("one".to_string(), shared.clone()), ("two".to_string(), shared.clone())];
    let l = load_inputs(&[Input::Path(root.clone())], &explicit, None, &LoadOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(env_names(&l), vec!["dev", "one", "two", "prod"]);
    assert_eq!(l.world.files.len(), 600, "each file is read once");
    for env in &l.world.envs {
        let names: Vec<&str> = env.objects.iter().map(|o| &*o.name).collect();
        let expected: Vec<String> = (0..300).flat_map(|i| [format!("a{i}"), format!("b{i}")]).collect();
        assert_eq!(names, expected, "env {}", env.name);
        let files: Vec<&str> = env.objects.iter().map(|o| l.world.files[o.file as usize].as_str()).collect();
        let dir = if env.name == "prod" { "prod" } else { "dev" };
        let shown = files::display(&root);
        let expected: Vec<String> = (0..300).flat_map(|i| vec![format!("{shown}/{dir}/f{i:04}.yaml"); 2]).collect();
        assert_eq!(files, expected, "env {}", env.name);
    }
}
