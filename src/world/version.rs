//! Versions as Kubernetes prints them (`v1.30.4`, `1.7.2`, `v1.30.4+k3s1`).

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub parts: Vec<u64>,
}
