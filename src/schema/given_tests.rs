use super::*;
use crate::schema::{Lookup, Seg, schemas};

fn given(yaml: &str) -> (GivenCrds, Vec<crate::report::RunError>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crds.yaml");
    std::fs::write(&path, yaml).expect("write");
    let (objects, errors) = crate::load::crds::read(&[path], &crate::load::LoadOptions::default());
    (GivenCrds::from_objects(objects), errors)
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
                tags: {type: array, items: {type: string}}
                labels: {type: object, additionalProperties: {type: string}}
                template: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object}}}
";

fn keys(path: &str) -> Vec<Seg> {
    path.split('.').map(|k| if k == "*" { Seg::Elem } else { Seg::Key(k.to_string()) }).collect()
}

#[test]
fn a_crd_schema_converts_to_the_bundled_form() {
    let (g, errors) = given(CRD);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(g.objects.len(), 1);
    let roots = g.roots("WIDGET");
    assert_eq!(roots.len(), 1);
    let s = schemas();
    let ty = |p: &str| match s.lookup(&roots, &keys(p)) {
        Lookup::Found(f) => f.first().map(|(_, t)| t.t.clone()).unwrap_or_default(),
        Lookup::Unknown { .. } => "unknown".into(),
    };
    assert_eq!(ty("spec.size"), "i");
    assert_eq!(ty("spec.port"), "x");
    assert_eq!(ty("spec.tags.*"), "s");
    assert_eq!(ty("spec.labels.anything"), "s");
    assert_eq!(ty("spec.sise"), "unknown");
    // The resource root and embedded resources have apiVersion, kind and
    // the bundled ObjectMeta.
    assert_eq!(ty("kind"), "s");
    assert_eq!(ty("metadata.labels"), "o");
    assert_eq!(ty("metadata.lables"), "unknown");
    assert_eq!(ty("spec.template.metadata.name"), "s");
    // `type: object` with no properties: anything below it.
    assert_ne!(ty("spec.template.spec.whatever"), "unknown");
    assert!(g.roots("gadget").is_empty());
}

#[test]
fn hostile_nesting_is_bounded() {
    // 200 levels of `properties: {a: ...}` (the loader's own limit is 100
    // levels of YAML nesting, so this is refused there, naming the file).
    let mut schema = String::from("{type: string}");
    for _ in 0..200 {
        schema = format!("{{type: object, properties: {{a: {schema}}}}}");
    }
    let text = CRD.replace("                size: {type: integer}", &format!("                size: {schema}"));
    let (_, errors) = given(&text);
    assert!(errors.iter().any(|e| e.code == "parity::load::depth" && e.file.ends_with("crds.yaml")), "{errors:?}");
}
