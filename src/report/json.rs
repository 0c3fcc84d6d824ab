//! `--format json`: the stable machine-readable schema.
