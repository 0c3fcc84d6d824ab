use super::*;

#[test]
fn ranks() {
    assert!(rank("dev") < rank("qa") && rank("qa") < rank("staging"));
    assert!(rank("staging") < rank("sandbox") && rank("sandbox") < rank("preprod"));
    assert!(rank("preprod") < rank("Production"));
}

#[test]
fn promotion_order() {
    let mut world = World::default();
    for n in ["prod", "zeta", "dev", "alpha", "staging", "preprod", "test"] {
        world.envs.push(crate::world::Env::new(n));
    }
    apply_order(&mut world, None);
    let names: Vec<&str> = world.envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["dev", "test", "staging", "alpha", "zeta", "preprod", "prod"]);
    let orders: Vec<usize> = world.envs.iter().map(|e| e.order).collect();
    assert_eq!(orders, (0..7).collect::<Vec<_>>());

    let promotion = vec!["zeta".to_string(), "alpha".to_string()];
    apply_order(&mut world, Some(&promotion));
    let names: Vec<&str> = world.envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["zeta", "alpha", "dev", "test", "staging", "preprod", "prod"]);
}

#[test]
fn carving() {
    let globs = vec![Glob::new("staging-*").unwrap()];
    let obj = |kind: &str, ns: Option<&str>, name: &str| {
        let mut meta = serde_json::json!({"name": name});
        if let Some(ns) = ns {
            meta["namespace"] = ns.into();
        }
        serde_json::json!({"apiVersion": "v1", "kind": kind, "metadata": meta})
    };
    let carve_keeps = |globs: &[Glob], value: serde_json::Value| {
        let (tree, root) = crate::world::tree::Tree::from_json(&value);
        carve_keeps(globs, tree.get(root))
    };
    assert!(carve_keeps(&globs, obj("Service", Some("staging-web"), "s")));
    assert!(!carve_keeps(&globs, obj("Service", Some("prod-web"), "s")));
    assert!(carve_keeps(&globs, obj("Namespace", None, "staging-web")));
    assert!(!carve_keeps(&globs, obj("Namespace", None, "prod-web")));
    assert!(carve_keeps(&globs, obj("ClusterRole", None, "r")));
    assert!(carve_keeps(&[], obj("Service", Some("prod-web"), "s")));
}
