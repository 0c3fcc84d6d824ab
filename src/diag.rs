//! Positioned diagnostics shared by the parser and the compiler, and the
//! table of source texts they point into.
//!
//! The core only builds [`Diag`] values; `cli/` renders them with miette,
//! attaching the named source so the report shows `file:line:col` with the
//! span underlined.

use miette::{Diagnostic, LabeledSpan, NamedSource};

/// A small id for one source text (a rule file, the prelude, a `--rule`).
pub type SourceId = u32;

/// A byte range in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub source: SourceId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { source: self.source, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start as usize, s.len()).into()
    }
}

/// One rule source: a file, the prelude, or a `--rule` text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Every source of one run, indexed by [`SourceId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub list: Vec<Source>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        self.list.push(Source { name: name.into(), text: text.into() });
        (self.list.len() - 1) as SourceId
    }

    pub fn get(&self, id: SourceId) -> &Source {
        &self.list[id as usize]
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, span: Span) -> (u32, u32) {
        line_col(&self.get(span.source).text, span.start as usize)
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        let text = &self.get(span.source).text;
        text.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// A miette report for a diagnostic, with its source attached.
    pub fn report(&self, diag: &Diag) -> miette::Report {
        let src = self.get(diag.span.source);
        miette::Report::new(diag.clone()).with_source_code(NamedSource::new(src.name.clone(), src.text.clone()))
    }

    /// Renders diagnostics as text, without colour unless asked.
    pub fn render(&self, diags: &[Diag], color: bool) -> String {
        let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for d in diags {
            let report = self.report(d);
            let _ = handler.render_report(&mut out, report.as_ref());
        }
        out
    }
}

/// The stable code of a rule-source diagnostic: the syntax phase's
/// (`parity::syntax…`, from parsing and lowering) and the compile phase's
/// (`parity::compile::…`). The strings are public (JSON reports, docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagCode {
    /// `parity::syntax`
    Syntax,
    /// `parity::syntax::duplicate-key`
    SyntaxDuplicateKey,
    /// `parity::syntax::internal`
    SyntaxInternal,
    /// `parity::syntax::number`
    SyntaxNumber,
    /// `parity::syntax::too-complex`
    SyntaxTooComplex,
    /// `parity::syntax::too-deep`
    SyntaxTooDeep,
    /// `parity::syntax::too-large`
    SyntaxTooLarge,
    /// `parity::syntax::two-bodies`
    SyntaxTwoBodies,
    /// `parity::compile::agree-position`
    AgreePosition,
    /// `parity::compile::ambiguous`
    Ambiguous,
    /// `parity::compile::arity`
    Arity,
    /// `parity::compile::cycle`
    Cycle,
    /// `parity::compile::duplicate`
    Duplicate,
    /// `parity::compile::enabled`
    Enabled,
    /// `parity::compile::internal`
    Internal,
    /// `parity::compile::jsonpath`
    Jsonpath,
    /// `parity::compile::literal`
    Literal,
    /// `parity::compile::no-body`
    NoBody,
    /// `parity::compile::no-env`
    NoEnv,
    /// `parity::compile::no-predicate`
    NoPredicate,
    /// `parity::compile::no-subject`
    NoSubject,
    /// `parity::compile::pattern`
    Pattern,
    /// `parity::compile::regex`
    Regex,
    /// `parity::compile::severity`
    Severity,
    /// `parity::compile::tolerance`
    Tolerance,
    /// `parity::compile::too-deep`
    TooDeep,
    /// `parity::compile::too-large`
    TooLarge,
    /// `parity::compile::type`
    Type,
    /// `parity::compile::unknown-field`
    UnknownField,
    /// `parity::compile::unknown-name`
    UnknownName,
}

impl DiagCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            DiagCode::Syntax => "parity::syntax",
            DiagCode::SyntaxDuplicateKey => "parity::syntax::duplicate-key",
            DiagCode::SyntaxInternal => "parity::syntax::internal",
            DiagCode::SyntaxNumber => "parity::syntax::number",
            DiagCode::SyntaxTooComplex => "parity::syntax::too-complex",
            DiagCode::SyntaxTooDeep => "parity::syntax::too-deep",
            DiagCode::SyntaxTooLarge => "parity::syntax::too-large",
            DiagCode::SyntaxTwoBodies => "parity::syntax::two-bodies",
            DiagCode::AgreePosition => "parity::compile::agree-position",
            DiagCode::Ambiguous => "parity::compile::ambiguous",
            DiagCode::Arity => "parity::compile::arity",
            DiagCode::Cycle => "parity::compile::cycle",
            DiagCode::Duplicate => "parity::compile::duplicate",
            DiagCode::Enabled => "parity::compile::enabled",
            DiagCode::Internal => "parity::compile::internal",
            DiagCode::Jsonpath => "parity::compile::jsonpath",
            DiagCode::Literal => "parity::compile::literal",
            DiagCode::NoBody => "parity::compile::no-body",
            DiagCode::NoEnv => "parity::compile::no-env",
            DiagCode::NoPredicate => "parity::compile::no-predicate",
            DiagCode::NoSubject => "parity::compile::no-subject",
            DiagCode::Pattern => "parity::compile::pattern",
            DiagCode::Regex => "parity::compile::regex",
            DiagCode::Severity => "parity::compile::severity",
            DiagCode::Tolerance => "parity::compile::tolerance",
            DiagCode::TooDeep => "parity::compile::too-deep",
            DiagCode::TooLarge => "parity::compile::too-large",
            DiagCode::Type => "parity::compile::type",
            DiagCode::UnknownField => "parity::compile::unknown-field",
            DiagCode::UnknownName => "parity::compile::unknown-name",
        }
    }
}

impl std::fmt::Display for DiagCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for DiagCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A positioned error from parsing or compiling rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Diag {
    /// Stable code, e.g. `parity::syntax` or `parity::compile::unknown-name`.
    pub code: DiagCode,
    /// Lowercase, user input in backticks.
    pub message: String,
    pub span: Span,
    /// What the underlined span is.
    pub label: String,
    pub help: Option<String>,
}

impl Diag {
    pub fn new(code: DiagCode, span: Span, message: impl Into<String>) -> Diag {
        Diag { code, message: message.into(), span, label: "here".into(), help: None }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diag {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }
}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(self.label.clone()), self.span))))
    }
}

/// The closest candidate to `name` by edit distance, for "did you mean".
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(name, c);
        let limit = (name.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// 1-based line and column (in characters) of a byte offset of a text:
/// the one helper for rule sources, parity.toml and diagnostics.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

/// A compile diagnostic as a run error (for JSON output).
pub fn diag_error(sources: &Sources, d: &Diag) -> crate::report::RunError {
    let (line, column) = sources.line_col(d.span);
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str(&format!(" (help: {h})"));
    }
    crate::report::RunError {
        code: d.code.as_str().to_string(),
        file: sources.get(d.span.source).name.clone(),
        line,
        column,
        message,
    }
}
