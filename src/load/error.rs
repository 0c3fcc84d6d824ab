//! The load phase's errors: one variant per stable code users see in
//! reports (`parity::load::…`, listed in docs/limits.md). The message is
//! worded where the error is met; `report::ErrorAt` places it in a file.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// A file or folder that could not be read.
    #[error("{0}")]
    #[diagnostic(code("parity::load::io"))]
    Io(String),
    /// A file over `--max-file-size`.
    #[error("{0}")]
    #[diagnostic(code("parity::load::too-large"))]
    TooLarge(String),
    /// An env source over `--max-total-size`.
    #[error("{0}")]
    #[diagnostic(code("parity::load::total-too-large"))]
    TotalTooLarge(String),
    /// Not UTF-8 text, or a NUL byte.
    #[error("{0}")]
    #[diagnostic(code("parity::load::encoding"))]
    Encoding(String),
    /// A symbolic link leading back to a folder being walked.
    #[error("{0}")]
    #[diagnostic(code("parity::load::symlink-loop"))]
    SymlinkLoop(String),
    /// YAML syntax, or an unknown anchor.
    #[error("{0}")]
    #[diagnostic(code("parity::load::yaml"))]
    Yaml(String),
    /// A `!!tag` kubectl rejects for its value.
    #[error("{0}")]
    #[diagnostic(code("parity::load::yaml-tag"))]
    YamlTag(String),
    /// A `<<` merge of something that is not a mapping.
    #[error("{0}")]
    #[diagnostic(code("parity::load::yaml-merge"))]
    YamlMerge(String),
    /// A value JSON cannot carry (`.inf`, `.nan`).
    #[error("{0}")]
    #[diagnostic(code("parity::load::yaml-value"))]
    YamlValue(String),
    /// A key given twice in one mapping.
    #[error("{0}")]
    #[diagnostic(code("parity::load::duplicate-key"))]
    DuplicateKey(String),
    /// Aliases expanding past the budget (a "billion laughs" file).
    #[error("{0}")]
    #[diagnostic(code("parity::load::alias-budget"))]
    AliasBudget(String),
    /// Nesting deeper than `--max-depth`.
    #[error("{0}")]
    #[diagnostic(code("parity::load::depth"))]
    Depth(String),
    /// JSON syntax.
    #[error("{0}")]
    #[diagnostic(code("parity::load::json"))]
    Json(String),
    /// parity.toml: unreadable, invalid, or naming what does not exist.
    #[error("{0}")]
    #[diagnostic(code("parity::load::config"))]
    Config(String),
    /// A parity.toml `render` command that failed.
    #[error("{0}")]
    #[diagnostic(code("parity::load::render"))]
    Render(String),
    /// A `--crd` file (parity.toml `crds`) that holds anything but
    /// CustomResourceDefinitions, or none.
    #[error("{0}")]
    #[diagnostic(code("parity::load::crd"))]
    Crd(String),
    /// Nothing to check: no manifest in any env.
    #[error("{0}")]
    #[diagnostic(code("parity::load::empty"))]
    Empty(String),
}
