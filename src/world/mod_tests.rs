use std::sync::Arc;

use super::Names;

#[test]
fn names_share_repeated_strings_and_stay_correct_past_their_window() {
    let mut names = Names::default();
    let a = names.share("Deployment");
    let b = names.share("Deployment");
    assert!(Arc::ptr_eq(&a, &b), "a repeated kind is one string");
    // Far more distinct namespaces than the window keeps: every answer is
    // still the string asked for, and a recent one is still shared.
    for i in 0..200 {
        let ns = format!("team-{i}");
        assert_eq!(&*names.share(&ns), ns);
        let again = names.share(&ns);
        assert_eq!(&*again, ns);
        assert!(Arc::ptr_eq(&names.share(&ns), &again));
    }
}

// The identity index: namespaces mapped, odd kinds, duplicates, reindexing.
mod identity_index {
    use super::super::*;
    use serde_json::json;

    fn o(kind: &str, ns: Option<&str>, name: &str) -> Object {
        let mut meta = serde_json::Map::new();
        if !name.is_empty() {
            meta.insert("name".into(), json!(name));
        }
        if let Some(ns) = ns {
            meta.insert("namespace".into(), json!(ns));
        }
        Object::from_json(&json!({"apiVersion": "v1", "kind": kind, "metadata": meta}), 0, 0, 1, 0)
    }

    #[test]
    fn identity_index_matches_identity_for_odd_kinds_and_mapped_namespaces() {
        let long = format!("Very{}Kind", "Long".repeat(20));
        let kinds = ["Deployment", "ÜberKind", long.as_str(), "NAMESPACE", "Namespace", ""];
        let mut a = Env::new("a");
        let mut b = Env::new("b");
        a.namespace_map.insert("dev-pay".into(), "pay".into());
        b.namespace_map.insert("prod-pay".into(), "pay".into());
        for k in kinds {
            a.objects.push(o(k, Some("dev-pay"), "x"));
            a.objects.push(o(k, None, "dev-pay"));
            b.objects.push(o(&k.to_ascii_lowercase(), Some("prod-pay"), "x"));
            b.objects.push(o(k, None, "prod-pay"));
        }
        a.reindex();
        b.reindex();
        for (env, other) in [(&a, &b), (&b, &a)] {
            for (i, obj) in env.objects.iter().enumerate() {
                let id = env.identity(obj);
                assert_eq!(
                    env.lookup(&id),
                    Some(env.duplicates.iter().find(|d| d.1 == i as u32).map_or(i as u32, |d| d.0)),
                    "{id:?}"
                );
                assert_eq!(env.counterpart_in(obj, other), other.lookup(&id), "{id:?}");
                if obj.namespace.is_some() || &*id.kind == "namespace" {
                    assert!(env.counterpart_in(obj, other).is_some(), "{id:?} in other");
                }
            }
        }
        // "NAMESPACE" and "Namespace" are the same identity: duplicates.
        assert!(!a.duplicates.is_empty());
        eprintln!("dups a {:?}", a.duplicates);
    }

    #[test]
    fn duplicates_skip_nameless_and_reindex_after_change() {
        let mut e = Env::new("e");
        e.objects.push(o("ConfigMap", Some("n"), "a"));
        e.objects.push(o("ConfigMap", Some("n"), ""));
        e.objects.push(o("configmap", Some("n"), "a"));
        e.objects.push(o("ConfigMap", Some("n"), ""));
        e.objects.push(o("ConfigMap", None, "a"));
        e.reindex();
        assert_eq!(e.duplicates, vec![(0, 2)]);
        // Objects change: namespace implied by the default.
        let moved = e.apply_default_namespace(&[]);
        assert!(moved);
        e.reindex();
        assert_eq!(e.duplicates, vec![(0, 2)]);
        let id = e.identity(&e.objects[4]);
        assert_eq!(&*id.namespace, "default");
        assert_eq!(e.lookup(&id), Some(4));
        let stale = Identity { kind: "configmap".into(), namespace: "".into(), name: "a".into() };
        assert_eq!(e.lookup(&stale), None);
        // Many objects: no rehash problem.
        let mut big = Env::new("big");
        for i in 0..5000 {
            big.objects.push(o("Secret", Some(&format!("ns{}", i % 7)), &format!("s{i}")));
        }
        big.reindex();
        big.reindex();
        for (i, obj) in big.objects.iter().enumerate() {
            assert_eq!(big.lookup(&big.identity(obj)), Some(i as u32));
        }
        assert!(big.duplicates.is_empty());
    }
}
