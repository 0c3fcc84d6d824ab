//! The standard rule library, embedded in the binary so `parity check
//! manifests/` works with no rule files at all. One file per concern; the
//! sources live in `rules/`.

/// (display name, text) of each standard rule file, in a fixed order.
pub const LIBRARY: &[(&str, &str)] = &[
    ("<stdlib>/rules/versions.parity", include_str!("../rules/versions.parity")),
    ("<stdlib>/rules/scheduling.parity", include_str!("../rules/scheduling.parity")),
    ("<stdlib>/rules/network.parity", include_str!("../rules/network.parity")),
    ("<stdlib>/rules/access.parity", include_str!("../rules/access.parity")),
    ("<stdlib>/rules/services.parity", include_str!("../rules/services.parity")),
    ("<stdlib>/rules/workloads.parity", include_str!("../rules/workloads.parity")),
    ("<stdlib>/rules/strict.parity", include_str!("../rules/strict.parity")),
    ("<stdlib>/rules/schema.parity", include_str!("../rules/schema.parity")),
];
