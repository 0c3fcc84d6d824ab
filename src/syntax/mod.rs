//! Rule text → AST. The only module that knows pest: its generated `Rule`
//! enum stays private here as `grammar::Rule`, and everything outside sees
//! [`ast`] types and [`Diag`]s.

pub mod ast;
mod lower;
pub mod print;

use pest::Parser;

use crate::diag::Diag;
use crate::diag::DiagCode;
use ast::{Expr, Module, SourceId, Span};

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/parity.pest"]
    pub struct ParityParser;
}

use grammar::{ParityParser, Rule};

/// Rule sources larger than this are rejected before parsing.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Brackets and parentheses may nest this deep. The grammar parses nested
/// parentheses in linear time (every alternative but one fails at once on
/// `(`; fuzzing once found the exponential case this fixed).
pub const MAX_BRACKET_DEPTH: usize = 64;
/// The most grammar-rule calls one parse may make: a hard stop, so that no
/// rule text can keep the parser busy, whatever shape it has.
pub const MAX_PARSE_CALLS: usize = 20_000_000;
/// A single rule or definition may hold this many nesting keywords
/// (`with`, `where`, `has`, `not`, quantifiers) before it is rejected: far
/// more than any real rule, far less than what could exhaust the stack.
pub const MAX_NESTING_WORDS: usize = 200;

/// The stack of a thread that parses rules: the parser recurses per
/// bracket level ([`MAX_BRACKET_DEPTH`]), so it gets a main thread's 8 MiB,
/// not a spawned thread's 2 MiB.
pub const PARSER_STACK: usize = 8 * 1024 * 1024;

/// Parses a rule file.
pub fn parse_module(source: SourceId, text: &str) -> Result<Module, Diag> {
    guard(source, text)?;
    pest::set_call_limit(std::num::NonZeroUsize::new(MAX_PARSE_CALLS));
    let mut pairs = ParityParser::parse(Rule::module, text).map_err(|e| syntax_error(source, text, e))?;
    let module = pairs.next().ok_or_else(|| Diag::new(DiagCode::Syntax, Span::new(source, 0, 0), "empty parse"))?;
    lower::module(source, module)
}

/// Parses a lone rule body (`parity check --rule TEXT`).
pub fn parse_body(source: SourceId, text: &str) -> Result<Expr, Diag> {
    parse_body_at(source, text, 0)
}

/// Parses a rule body that starts at byte `base` of its source (a message
/// placeholder): spans, the errors' included, are the source's.
pub fn parse_body_at(source: SourceId, text: &str, base: usize) -> Result<Expr, Diag> {
    let shift = |mut d: Diag| {
        d.span = Span::new(source, base + d.span.start as usize, base + d.span.end as usize);
        d
    };
    guard(source, text).map_err(shift)?;
    pest::set_call_limit(std::num::NonZeroUsize::new(MAX_PARSE_CALLS));
    let mut pairs = ParityParser::parse(Rule::body_only, text).map_err(|e| shift(syntax_error(source, text, e)))?;
    let body = pairs.next().ok_or_else(|| Diag::new(DiagCode::Syntax, Span::new(source, base, base), "empty parse"))?;
    lower::body_only_at(source, base, body)
}

/// Rejects input that could make the parser or compiler recurse too deep,
/// with the position of the first offending token.
fn guard(source: SourceId, text: &str) -> Result<(), Diag> {
    if text.len() > MAX_SOURCE_BYTES {
        return Err(Diag::new(
            DiagCode::SyntaxTooLarge,
            Span::new(source, 0, 0),
            format!("rule source is {} bytes; the limit is {MAX_SOURCE_BYTES}", text.len()),
        )
        .help("split the rules into several files"));
    }
    let mut depth = 0usize;
    let mut words = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'#' => in_comment = true,
                b'"' => in_string = true,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_BRACKET_DEPTH {
                        return Err(Diag::new(
                            DiagCode::SyntaxTooDeep,
                            Span::new(source, i, i + 1),
                            format!("brackets nest deeper than {MAX_BRACKET_DEPTH} levels"),
                        )
                        .label("too deep")
                        .help("split the expression with `value` definitions"));
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ if b.is_ascii_alphabetic() && (i == 0 || !is_word_byte(bytes[i - 1])) => {
                    let end = (i..bytes.len()).find(|&j| !is_word_byte(bytes[j])).unwrap_or(bytes.len());
                    let word = &text[i..end];
                    if matches!(word, "rule" | "noun" | "qualifier" | "value") {
                        words = 0;
                    } else if matches!(
                        word,
                        "with" | "where" | "has" | "have" | "not" | "every" | "each" | "some" | "any" | "no" | "all"
                    ) {
                        words += 1;
                        if words > MAX_NESTING_WORDS {
                            return Err(Diag::new(
                                DiagCode::SyntaxTooDeep,
                                Span::new(source, i, end),
                                format!("a rule may nest at most {MAX_NESTING_WORDS} conditions"),
                            )
                            .label("too deep")
                            .help("split the rule, or name parts of it with `qualifier` and `value` definitions"));
                        }
                    }
                    i = end;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    Ok(())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Turns pest's error into a diagnostic with readable "expected ..." text.
fn syntax_error(source: SourceId, text: &str, err: pest::error::Error<Rule>) -> Diag {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, next_char_end(text, p)),
        InputLocation::Span((s, e)) => (s, e.max(s)),
    };
    let found = text[start..].split(|c: char| c.is_whitespace()).next().unwrap_or("");
    let found = if found.is_empty() { "end of input".to_string() } else { format!("`{}`", truncate(found)) };
    let (message, help) = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            let expected = match names.len() {
                0 => "a condition, a `key:` entry or the end of the rule".to_string(),
                1 => names[0].to_string(),
                _ => {
                    let (last, rest) = names.split_last().map(|(l, r)| (*l, r)).unwrap_or(("", &[]));
                    format!("{} or {last}", rest.join(", "))
                }
            };
            (format!("unexpected {found}"), format!("expected {expected}"))
        }
        ErrorVariant::CustomError { message } if message.contains("call limit") => {
            return Diag::new(
                DiagCode::SyntaxTooComplex,
                Span::new(source, start, end),
                "rule text is too complex to parse",
            )
            .label("gave up here")
            .help("split the rule, or name parts of it with `qualifier` and `value` definitions");
        }
        ErrorVariant::CustomError { message } => (message.clone(), "see docs/language.md".to_string()),
    };
    Diag::new(DiagCode::Syntax, Span::new(source, start, end), message)
        .label("not understood here")
        .help(format!("{help}; see docs/language.md for the grammar"))
}

fn next_char_end(text: &str, p: usize) -> usize {
    text[p..].chars().next().map(|c| p + c.len_utf8()).unwrap_or(p)
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 24 { format!("{}…", s.chars().take(24).collect::<String>()) } else { s.to_string() }
}

/// Readable names for the grammar rules pest reports as expected.
fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of input",
        Rule::rule_decl | Rule::kw_rule => "`rule`",
        Rule::collection_def | Rule::noun_def | Rule::kw_noun => "`noun`",
        Rule::qualifier_def | Rule::kw_qualifier => "`qualifier`",
        Rule::value_def | Rule::kw_value => "`value`",
        Rule::rule_id => "a rule id",
        Rule::meta | Rule::meta_key => {
            "a `key:` entry (severity, title, why, fix, example, tags, message, except, enabled)"
        }
        Rule::body | Rule::expr | Rule::cond | Rule::sentence => "a condition",
        Rule::value | Rule::args => "a value",
        Rule::np | Rule::phrase | Rule::word | Rule::path | Rule::call_word | Rule::resource_word => "a noun or field",
        Rule::quant => "a quantifier (every, some, no, at least N)",
        Rule::cmp_op => "a comparison (=, !=, <, <=, >, >=)",
        Rule::string => "a string",
        Rule::int => "a whole number",
        Rule::env_sel | Rule::single_env => "an env (env NAME, every env, reference env, ...)",
        Rule::env_name => "an env name",
        Rule::def_name | Rule::qual_name | Rule::param | Rule::binding => "a name",
        Rule::kw_agree | Rule::kw_agrees => "`agree`",
        Rule::kw_on => "`on`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_with => "`with`",
        Rule::kw_has | Rule::kw_have => "`has`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::tag | Rule::tag_list | Rule::tag_or_string => "a tag",
        _ => return None,
    })
}

#[cfg(test)]
#[path = "syntax_tests.rs"]
mod tests;
