//! Renderers: a [`Report`](crate::report::Report) as text in each output
//! format. They only read the report model; nothing here decides findings.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod policyreport;
pub mod sarif;
pub mod statistics;
#[cfg(test)]
mod test_fixtures;
