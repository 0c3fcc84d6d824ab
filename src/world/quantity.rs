//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), compared by value.

/// A quantity, held exactly as a count of nano-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    pub nanos: i128,
}
