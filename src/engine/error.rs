//! The evaluation phase's errors, each with its stable code. A rule of the
//! standard library naming an env or tag that is not loaded is a warning
//! (`Notice::new`), a user rule's the same error.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum EngineError {
    /// A rule names an env no loaded env has.
    #[error("{0}")]
    #[diagnostic(code("parity::rule::unknown-env"))]
    UnknownEnv(String),
    /// A rule names an env tag no loaded env has.
    #[error("{0}")]
    #[diagnostic(code("parity::rule::unknown-tag"))]
    UnknownTag(String),
    /// One evaluation over its step, memory or query budget.
    #[error("{0}")]
    #[diagnostic(code("parity::eval::budget"))]
    Budget(String),
    /// A rule over its budget for the whole run (`--rule-timeout`).
    #[error("{0}")]
    #[diagnostic(code("parity::eval::rule-budget"))]
    RuleBudget(String),
    /// A tolerance that could not be applied.
    #[error("{0}")]
    #[diagnostic(code("parity::eval::tolerance"))]
    Tolerance(String),
    /// A bug in parity.
    #[error("{0}")]
    #[diagnostic(code("parity::eval::internal"))]
    Internal(String),
}
