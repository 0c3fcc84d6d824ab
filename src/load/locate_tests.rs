use super::*;
use crate::load::{json, yaml};

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

const YAML: &str = "\
apiVersion: v1
kind: A
---
# second
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
      - name: side
        image: busybox
        resources: {limits: {cpu: 1}}
";

#[test]
fn yaml_field_lines() {
    let docs = match yaml::parse(YAML, "f", &yaml::Limits::default()) {
        Ok(p) => p.docs,
        Err(e) => panic!("{e:?}"),
    };
    let off = docs[1].offset as usize;
    let containers = [key("spec"), key("template"), key("spec"), key("containers")];
    let image: Vec<PathSeg> = containers.iter().cloned().chain([PathSeg::Index(1), key("image")]).collect();
    assert_eq!(field_line(YAML, off, &image), Some(16));
    let cpu: Vec<PathSeg> =
        containers.iter().cloned().chain([PathSeg::Index(1), key("resources"), key("limits"), key("cpu")]).collect();
    assert_eq!(field_line(YAML, off, &cpu), Some(17));
    // Missing field: nearest existing parent (the second container).
    let missing: Vec<PathSeg> = containers.iter().cloned().chain([PathSeg::Index(1), key("ports")]).collect();
    assert_eq!(field_line(YAML, off, &missing), Some(15));
    assert_eq!(field_line(YAML, off, &[key("metadata"), key("name")]), Some(8));
    assert_eq!(field_line(YAML, off, &[]), Some(docs[1].line));
    assert_eq!(field_line(YAML, docs[0].offset as usize, &[key("kind")]), Some(2));
    assert_eq!(field_line(YAML, off + 1, &[key("kind")]), None);
}

#[test]
fn yaml_list_item_field_lines() {
    let text = "kind: List\nitems:\n- kind: A\n  metadata:\n    name: a\n- kind: B\n  metadata:\n    name: b\n";
    let docs = match yaml::parse(text, "f", &yaml::Limits::default()) {
        Ok(p) => p.docs,
        Err(e) => panic!("{e:?}"),
    };
    let item = docs[0].items[1].offset as usize;
    assert_eq!(field_line(text, item, &[key("metadata"), key("name")]), Some(8));
}

#[test]
fn json_field_lines() {
    let text = "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"A\"},\n    {\n      \"kind\": \"B\",\n      \"spec\": {\n        \"replicas\": 3\n      }\n    }\n  ]\n}\n";
    let doc = match json::parse(text, "f.json") {
        Ok(mut p) => p.docs.remove(0),
        Err(e) => panic!("{e:?}"),
    };
    let item = doc.items[1].offset as usize;
    assert_eq!(field_line(text, item, &[key("spec"), key("replicas")]), Some(8));
    assert_eq!(field_line(text, item, &[key("spec"), key("missing")]), Some(7));
    let root = doc.offset as usize;
    assert_eq!(field_line(text, root, &[key("items"), PathSeg::Index(1), key("kind")]), Some(6));
}
