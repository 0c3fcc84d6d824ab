//! The waive phase's errors: a bad `[[exception]]` entry and an unusable
//! baseline file, each with its stable code.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum WaiveError {
    /// An `[[exception]]` of parity.toml that cannot be applied.
    #[error("{0}")]
    #[diagnostic(code("parity::config::exception"))]
    Exception(String),
    /// A baseline file that cannot be read, parsed or written.
    #[error("{0}")]
    #[diagnostic(code("parity::baseline"))]
    Baseline(String),
}
