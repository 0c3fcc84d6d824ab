//! The command line's own errors (arguments, files it reads itself), each
//! with its stable code. Errors of the phases it runs come from their
//! modules (`load::LoadError`, `cluster::KubeError`, ...).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// A path given on the command line that cannot be read or written.
    #[error("{0}")]
    #[diagnostic(code("parity::io"))]
    Io(String),
    /// Arguments that do not go together.
    #[error("{0}")]
    #[diagnostic(code("parity::usage"))]
    Usage(String),
    /// A rule file over the size limit of rule sources.
    #[error("{0}")]
    #[diagnostic(code("parity::syntax::too-large"))]
    RuleFileTooLarge(String),
}
