use super::*;

#[test]
fn helm_source_comments_name_each_document() {
    // As `helm template` prints it.
    let text = "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\n---\n# Source: shop/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n";
    let o = origins(text);
    assert_eq!(origin_at(&o, 4), Some("shop/templates/service.yaml"));
    assert_eq!(origin_at(&o, 8), Some("shop/templates/deployment.yaml"));
}

#[test]
fn kustomize_origin_annotation_names_the_document() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../base/service.yaml\n  name: web\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n";
    let o = origins(text);
    assert_eq!(origin_at(&o, 2), Some("../../base/service.yaml"));
    assert_eq!(origin_at(&o, 10), None, "a document without an origin borrows none: {o:?}");
}

#[test]
fn a_failing_command_is_an_error_with_its_stderr() {
    let spec = Spec {
        env: "prod".into(),
        argv: vec!["sh".into(), "-c".into(), "echo 'no such overlay\x1b[31m' >&2; exit 3".into()],
        dir: PathBuf::new(),
    };
    let e = render(&spec, "parity.toml", DEFAULT_TIMEOUT, 1024).unwrap_err();
    assert_eq!(e.code, "parity::load::render");
    assert!(e.message.contains("failed with exit status 3"), "{}", e.message);
    assert!(e.message.contains("no such overlay"), "{}", e.message);
    assert!(!e.message.contains('\x1b'), "stderr is escaped: {}", e.message);
}

#[test]
fn output_is_bounded_and_a_missing_program_is_an_error() {
    let spec = Spec { env: "dev".into(), argv: vec!["sh".into(), "-c".into(), "yes".into()], dir: PathBuf::new() };
    let e = render(&spec, "parity.toml", DEFAULT_TIMEOUT, 1000).unwrap_err();
    assert!(e.message.contains("more than the limit of 1000 bytes"), "{}", e.message);
    let spec = Spec { env: "dev".into(), argv: vec!["parity-no-such-renderer".into()], dir: PathBuf::new() };
    let e = render(&spec, "parity.toml", DEFAULT_TIMEOUT, 1000).unwrap_err();
    assert!(e.message.contains("could not start"), "{}", e.message);
}

#[test]
fn a_slow_command_times_out() {
    let spec = Spec { env: "dev".into(), argv: vec!["sleep".into(), "30".into()], dir: PathBuf::new() };
    let e = render(&spec, "parity.toml", Duration::from_millis(200), 1000).unwrap_err();
    assert!(e.message.contains("did not finish within"), "{}", e.message);
}

#[test]
fn renders_run_in_the_given_folder_and_keep_their_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.yaml"), "kind: A\n").expect("write");
    let spec = |env: &str, file: &str| Spec {
        env: env.into(),
        argv: vec!["cat".into(), file.into()],
        dir: dir.path().to_path_buf(),
    };
    let out = render_all(&[spec("one", "a.yaml"), spec("two", "missing.yaml")], "parity.toml", DEFAULT_TIMEOUT, 100);
    assert_eq!(out[0].as_deref().ok(), Some("kind: A\n"));
    assert!(out[1].as_ref().unwrap_err().message.contains("missing.yaml"));
}
