//! The loader: turns manifest files, folders, stdin and `parity.toml` into a
//! [`World`](crate::world::World), reporting every unreadable file as a
//! `RunError` and every skipped document as a `Notice`, never stopping early.

pub mod config;
pub mod extract;
pub mod files;
pub mod json;
pub mod locate;
pub mod scalar;
pub mod yaml;
