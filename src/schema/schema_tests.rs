use super::validate::validate;
use super::*;
use crate::testing::world;
use crate::world::Version;

fn problems(yaml: &str, version: &str) -> Vec<String> {
    let w = world(&[("prod", yaml)]);
    let o = &w.envs[0].objects[0];
    let s = schemas();
    let v = s.choose(Version::parse(version).as_ref()).index;
    let root = o.value();
    let (g, ver) = split_api_version(root.str_field("apiVersion").unwrap());
    let k = s.kind(g, ver, root.str_field("kind").unwrap()).expect("kind known");
    validate(s, v, s.root(k, v).expect("served"), root).iter().map(|p| p.text()).collect()
}

#[test]
fn versions_are_1_25_to_1_37() {
    let s = schemas();
    assert_eq!(s.versions().first().map(String::as_str), Some("1.25"));
    assert_eq!(s.versions().last().map(String::as_str), Some("1.37"));
    assert_eq!(s.choose(Version::parse("v1.30.4").as_ref()), VersionChoice { index: 5, exact: true });
    assert_eq!(s.choose(Version::parse("1.20").as_ref()), VersionChoice { index: 0, exact: false });
    assert_eq!(s.choose(Version::parse("1.99").as_ref()).index, s.newest());
    assert_eq!(s.choose(None).index, s.newest());
}

#[test]
fn unknown_fields_wrong_types_required_and_enums() {
    let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {anything: goes}
spec:
  replica: 3
  selector:
    matchLabels: {app: web}
  template:
    spec:
      hostNetwrok: true
      # The bundled schemas list no enum values for restartPolicy.
      restartPolicy: Sometimes
      containers:
        - image: nginx:1.27
          env:
            - name: DEBUG
              value: no
"#;
    assert_eq!(
        problems(yaml, "1.30"),
        vec![
            "spec.replica: unknown field `replica`; did you mean `replicas`?",
            "spec.template.spec.containers[0].env[0].value: must be a string, not a boolean false",
            "spec.template.spec.containers[0]: missing required field `name`",
            "spec.template.spec.hostNetwrok: unknown field `hostNetwrok`; did you mean `hostNetwork`?",
        ]
    );
}

#[test]
fn quantities_and_int_or_string_accept_both_forms() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: x
      resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: "500m"}}
      readinessProbe: {httpGet: {port: http}}
      livenessProbe: {httpGet: {port: 8080}}
      startupProbe: {httpGet: {port: true}}
"#;
    assert_eq!(
        problems(yaml, "1.30"),
        vec!["spec.containers[0].startupProbe.httpGet.port: must be an int-or-string, not a boolean true"]
    );
}

#[test]
fn served_versions_and_replacements() {
    let s = schemas();
    let v128 = s.choose(Version::parse("1.28").as_ref()).index;
    let v129 = s.choose(Version::parse("1.29").as_ref()).index;
    let fs = s.kind("flowcontrol.apiserver.k8s.io", "v1beta2", "FlowSchema").unwrap();
    assert!(fs.served.contains(&(v128 as u8)));
    assert!(!fs.served.contains(&(v129 as u8)));
    let r = s.replacements("flowcontrol.apiserver.k8s.io", "FlowSchema", v129);
    assert_eq!(r.first().map(|k| k.api_version()), Some("flowcontrol.apiserver.k8s.io/v1".to_string()));
    assert!(version_priority("v1") > version_priority("v1beta3"));
    assert!(version_priority("v2") > version_priority("v1"));
    assert!(version_priority("v1beta1") > version_priority("v1alpha1"));
}

#[test]
fn path_lookup_over_the_union_of_versions() {
    let s = schemas();
    let roots = s.roots_of_kind("deployment");
    let path = |p: &str| p.split('.').map(|k| Seg::Key(k.to_string())).collect::<Vec<_>>();
    assert!(matches!(s.lookup(&roots, &path("spec.replicas")), Lookup::Found(v) if v[0].1.t == "i"));
    match s.lookup(&roots, &path("spec.replica")) {
        Lookup::Unknown { at, known } => {
            assert_eq!(at, 1);
            assert_eq!(crate::diag::did_you_mean("replica", known), Some("replicas"));
        }
        other => panic!("{other:?}"),
    }
    // Free keys: labels accept any key.
    assert!(matches!(s.lookup(&roots, &path("metadata.labels.team")), Lookup::Found(_)));
    let pod = s.roots_of_def("io.k8s.api.core.v1.PodSpec");
    assert!(matches!(s.lookup(&pod, &path("hostNetwrok")), Lookup::Unknown { at: 0, .. }));
    let c = s.roots_of_def("io.k8s.api.core.v1.Container");
    assert!(matches!(s.lookup(&c, &path("resources.limits.cpu")), Lookup::Found(v) if v[0].1.t == "q"));
}

/// `same_schema_as` groups versions only where the kind's schema (its body
/// and every definition it reaches) is the same: validating the schema
/// corpus in a version and in the version it stands for gives the same
/// problems, for every version; and the groups are real (most kinds change
/// in few releases).
#[test]
fn versions_sharing_a_kinds_schema_validate_alike() {
    let s = schemas();
    let mut shared = 0;
    for_each_corpus_object(|root, k| {
        for v in 0..s.versions().len() {
            let alike = s.same_schema_as(k, v);
            assert!(alike <= v, "{} {v}: stands for a later version {alike}", k.kind);
            let Some(ty) = s.root(k, v) else {
                assert_eq!(alike, v, "{} is not served in {v}", k.kind);
                continue;
            };
            let texts = |v: usize, ty: &Ty| validate(s, v, ty, root).iter().map(|p| p.text()).collect::<Vec<_>>();
            let theirs = s.root(k, alike).expect("the version stood for serves the kind");
            assert_eq!(texts(v, ty), texts(alike, theirs), "{} in {} and {}", k.kind, v, alike);
            shared += usize::from(alike != v);
        }
    });
    assert!(shared > 20, "only {shared} versions share a schema");
    // Deployment's PodSpec changes in most releases, so its 1.25 and 1.37
    // schemas differ; the same definition bodies are one group.
    let dep = s.kind("apps", "v1", "Deployment").expect("apps/v1 Deployment");
    assert_ne!(s.same_schema_as(dep, s.newest()), 0);
}

#[test]
fn validating_beside_another_versions_problems_gives_the_same_problems() {
    // `validate_beside` takes problems over from another version where the
    // two schemas resolve a field to the same body; it must find exactly
    // what a walk of its own finds, in the same order, at the same nodes,
    // for every pair of versions that serve the kind.
    use super::validate::{Twin, validate_beside};
    let s = schemas();
    let mut compared = 0;
    let mut with_problems = 0;
    for_each_corpus_object(|root, k| {
        let served: Vec<usize> = (0..s.versions().len()).filter(|&v| s.root(k, v).is_some()).collect();
        for &a in &served {
            let twin_root = s.root(k, a).expect("served");
            let twin_problems = validate(s, a, twin_root, root);
            let twin = Twin { version: a, root: twin_root, problems: &twin_problems };
            for &b in &served {
                let ty = s.root(k, b).expect("served");
                let own: Vec<(String, u32)> =
                    validate(s, b, ty, root).iter().map(|p| (p.text(), p.node.index())).collect();
                let beside: Vec<(String, u32)> =
                    validate_beside(s, b, ty, root, &twin).iter().map(|p| (p.text(), p.node.index())).collect();
                assert_eq!(beside, own, "{} in {b} beside {a}", k.kind);
                compared += 1;
                with_problems += usize::from(!own.is_empty());
            }
        }
    });
    assert!(compared > 500 && with_problems > 100, "{compared} pairs compared, {with_problems} with problems");
}

/// Calls `f` with the root of each schema corpus fixture's object and its
/// built-in kind (fixtures of custom resources are passed over).
fn for_each_corpus_object(mut f: impl FnMut(crate::world::tree::NodeRef, &Kind)) {
    let s = schemas();
    for entry in std::fs::read_dir("tests/fixtures/schema/corpus").expect("corpus") {
        let yaml = std::fs::read_to_string(entry.expect("entry").path()).expect("fixture");
        let w = world(&[("prod", yaml.as_str())]);
        let root = w.envs[0].objects[0].value();
        let (g, ver) = split_api_version(root.str_field("apiVersion").unwrap());
        if let Some(k) = s.kind(g, ver, root.str_field("kind").unwrap()) {
            f(root, k);
        }
    }
}
