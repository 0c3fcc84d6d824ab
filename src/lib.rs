//! parity: a policy-as-code engine that keeps Kubernetes environments
//! consistent.
//!
//! Rule text is parsed (`syntax`), compiled to bytecode (`compile`,
//! `bytecode`) and evaluated by a small VM (`vm`) over a [`world::World`] of
//! environments built by the loader (`load`). The engine (`engine`) runs every
//! rule over every env in parallel and returns a sorted
//! [`report::Report`]; only `cli` renders it.
#![forbid(unsafe_code)]

pub mod bytecode;
pub mod cli;
pub mod cluster;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod engine;
pub mod escape;
pub mod glob;
pub mod load;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod schema;
pub mod select;
pub mod stdlib;
pub mod syntax;
pub mod testing;
pub mod timing;
pub mod vm;
pub mod waive;
pub mod world;
