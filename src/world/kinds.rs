//! The built-in kinds: every Kubernetes kind a rule can name as a noun, with
//! whether it is cluster-scoped. Plain data; a test rejects duplicates.

/// (lower-case kind, cluster-scoped)
pub static KINDS: &[(&str, bool)] = &[
    ("apiservice", true),
    ("certificatesigningrequest", true),
    ("clusterrole", true),
    ("clusterrolebinding", true),
    ("configmap", false),
    ("controllerrevision", false),
    ("cronjob", false),
    ("csidriver", true),
    ("csinode", true),
    ("customresourcedefinition", true),
    ("daemonset", false),
    ("deployment", false),
    ("endpoints", false),
    ("endpointslice", false),
    ("event", false),
    ("horizontalpodautoscaler", false),
    ("ingress", false),
    ("ingressclass", true),
    ("job", false),
    ("lease", false),
    ("limitrange", false),
    ("mutatingwebhookconfiguration", true),
    ("namespace", true),
    ("networkpolicy", false),
    ("node", true),
    ("persistentvolume", true),
    ("persistentvolumeclaim", false),
    ("pod", false),
    ("poddisruptionbudget", false),
    ("podtemplate", false),
    ("priorityclass", true),
    ("replicaset", false),
    ("replicationcontroller", false),
    ("resourcequota", false),
    ("role", false),
    ("rolebinding", false),
    ("runtimeclass", true),
    ("secret", false),
    ("service", false),
    ("serviceaccount", false),
    ("statefulset", false),
    ("storageclass", true),
    ("validatingwebhookconfiguration", true),
    ("volumeattachment", true),
];

/// Whether a (lower-case) kind is cluster-scoped. Unknown kinds are taken as
/// namespaced.
pub fn is_cluster_scoped(kind: &str) -> bool {
    KINDS.iter().any(|(k, c)| *k == kind && *c)
}

/// The plural of a kind or noun name, as rules may write it.
pub fn plural(name: &str) -> String {
    if name == "endpoints" {
        name.to_string()
    } else if let Some(stem) = name.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'o', 'u'])) {
        format!("{stem}ies")
    } else if name.ends_with('s') || name.ends_with('x') || name.ends_with("ch") || name.ends_with("sh") {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_sorted() {
        let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("networkpolicy"), "networkpolicies");
        assert_eq!(plural("ingress"), "ingresses");
        assert_eq!(plural("ingressclass"), "ingressclasses");
        assert_eq!(plural("node"), "nodes");
        assert_eq!(plural("endpoints"), "endpoints");
        assert_eq!(plural("gateway"), "gateways");
    }
}
