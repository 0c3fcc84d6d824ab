//! Lowers pest's parse tree into the [`ast`](super::ast). The grammar has
//! already fixed the shape, so this is a plain walk; keyword tokens are
//! skipped and spans are carried over.

use pest::iterators::Pair;

use super::ast::*;
use super::grammar::Rule;
use crate::diag::Diag;
use crate::diag::DiagCode;

mod expr;
mod values;

pub use values::unquote;

type P<'a> = Pair<'a, Rule>;
type R<T> = Result<T, Diag>;

struct Cx {
    source: SourceId,
    /// Where the parsed text starts in its source (a message placeholder
    /// is parsed on its own): added to every span.
    base: usize,
}

impl Cx {
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        Span::new(self.source, self.base + s.start(), self.base + s.end())
    }

    fn text(&self, p: &P) -> Text {
        Text { text: p.as_str().to_string(), span: self.span(p) }
    }

    fn bug(&self, p: &P, what: &str) -> Diag {
        Diag::new(DiagCode::SyntaxInternal, self.span(p), format!("internal parser error: unexpected {what}"))
            .help("please report this rule text as a bug")
    }
}

fn is_kw(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_every
            | Rule::kw_each
            | Rule::kw_all
            | Rule::kw_some
            | Rule::kw_any
            | Rule::kw_no
            | Rule::kw_with
            | Rule::kw_where
            | Rule::kw_in
            | Rule::kw_as
            | Rule::kw_has
            | Rule::kw_have
            | Rule::kw_is
            | Rule::kw_are
            | Rule::kw_not
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_exists
            | Rule::kw_exist
            | Rule::kw_agree
            | Rule::kw_agrees
            | Rule::kw_on
            | Rule::kw_same
            | Rule::kw_set
            | Rule::kw_subset
            | Rule::kw_of
            | Rule::kw_for
            | Rule::kw_at
            | Rule::kw_least
            | Rule::kw_most
            | Rule::kw_exactly
            | Rule::kw_counterpart
            | Rule::kw_tagged
            | Rule::kw_other
            | Rule::kw_reference
            | Rule::kw_previous
            | Rule::kw_next
            | Rule::kw_env
            | Rule::kw_envs
            | Rule::kw_like
            | Rule::kw_matches
            | Rule::kw_contains
            | Rule::kw_starts
            | Rule::kw_ends
            | Rule::kw_rule
            | Rule::kw_noun
            | Rule::kw_qualifier
            | Rule::kw_value
            | Rule::kw_tolerate
            | Rule::by_w
            | Rule::kw_namespace
            | Rule::start_w
            | Rule::end_w
            | Rule::contain_w
            | Rule::does_not
            | Rule::does_w
    )
}

/// The children of a pair that carry meaning (keywords dropped).
fn kids<'a>(p: &P<'a>) -> Vec<P<'a>> {
    p.clone().into_inner().filter(|c| !is_kw(c.as_rule())).collect()
}

fn has_kw(p: &P, kw: Rule) -> bool {
    p.clone().into_inner().any(|c| c.as_rule() == kw)
}

pub fn module(source: SourceId, p: P) -> R<Module> {
    let cx = Cx { source, base: 0 };
    let mut items = Vec::new();
    for item in p.into_inner() {
        match item.as_rule() {
            Rule::rule_decl => items.push(Item::Rule(Box::new(cx.rule_decl(item)?))),
            Rule::noun_def => items.push(Item::Noun(cx.noun_def(item)?)),
            Rule::collection_def => items.push(Item::Collection(cx.collection_def(item)?)),
            Rule::qualifier_def => items.push(Item::Qualifier(cx.qualifier_def(item)?)),
            Rule::value_def => items.push(Item::Value(cx.value_def(item)?)),
            Rule::tolerate_decl => items.push(Item::Tolerate(cx.tolerate_decl(item)?)),
            Rule::EOI => {}
            _ => return Err(cx.bug(&item, "item")),
        }
    }
    Ok(Module { source, items })
}

/// Lowers a lone rule body, for a text that starts at byte `base` of its
/// source (spans are the source's).
pub fn body_only_at(source: SourceId, base: usize, p: P) -> R<Expr> {
    let cx = Cx { source, base };
    let e = p.into_inner().find(|c| c.as_rule() == Rule::expr);
    match e {
        Some(e) => cx.expr(e),
        None => Err(Diag::new(DiagCode::Syntax, Span::new(source, base, base), "empty rule body")),
    }
}

impl Cx {
    fn rule_decl(&self, p: P) -> R<RuleDecl> {
        let span = self.span(&p);
        let mut it = kids(&p).into_iter();
        let id = it.next().map(|i| self.text(&i)).ok_or_else(|| self.bug(&p, "rule without id"))?;
        let mut decl = RuleDecl {
            id,
            body: None,
            severity: None,
            title: None,
            why: None,
            fix: None,
            example: None,
            tags: Vec::new(),
            message: None,
            except: None,
            enabled: None,
            span,
        };
        for entry in it {
            match entry.as_rule() {
                Rule::body => {
                    let e = kids(&entry).into_iter().next().ok_or_else(|| self.bug(&entry, "empty body"))?;
                    self.set_body(&mut decl, self.expr(e)?, self.span(&entry))?;
                }
                Rule::meta => self.meta(&mut decl, entry)?,
                _ => return Err(self.bug(&entry, "rule entry")),
            }
        }
        Ok(decl)
    }

    fn set_body(&self, decl: &mut RuleDecl, e: Expr, span: Span) -> R<()> {
        if decl.body.is_some() {
            return Err(Diag::new(DiagCode::SyntaxTwoBodies, span, "a rule has one body; this is a second one")
                .label("second body")
                .help("join conditions with `and`, or add a `key:` before this text"));
        }
        decl.body = Some(e);
        Ok(())
    }

    fn meta(&self, decl: &mut RuleDecl, p: P) -> R<()> {
        let mut it = kids(&p).into_iter();
        let key = it.next().ok_or_else(|| self.bug(&p, "meta without key"))?;
        let val = it.next().ok_or_else(|| self.bug(&p, "meta without value"))?;
        let span = self.span(&val);
        let text_of = |v: &P| -> Text {
            match v.as_rule() {
                Rule::string => Text { text: unquote(v.as_str()), span: self.span(v) },
                _ => {
                    // A pair's span runs over the whitespace and `# comments`
                    // after its last token (`severity: error  # note`), and
                    // so do its inner rules: end the text where the last
                    // leaf token ends.
                    let s = v.as_span();
                    let end = v
                        .clone()
                        .into_inner()
                        .flatten()
                        .filter(|q| q.clone().into_inner().next().is_none())
                        .map(|q| q.as_span().end())
                        .max()
                        .unwrap_or(s.end());
                    let text = &v.as_str()[..end.saturating_sub(s.start()).min(v.as_str().len())];
                    Text {
                        text: text.trim().to_string(),
                        span: Span::new(self.source, self.base + s.start(), self.base + end.max(s.start())),
                    }
                }
            }
        };
        let slot = match key.as_str() {
            "severity" => &mut decl.severity,
            "title" => &mut decl.title,
            "why" => &mut decl.why,
            "fix" => &mut decl.fix,
            "example" => &mut decl.example,
            "message" => &mut decl.message,
            "enabled" => &mut decl.enabled,
            "tags" => {
                decl.tags = match val.as_rule() {
                    Rule::tag_list => kids(&val).iter().map(|t| self.text(t)).collect(),
                    _ => vec![text_of(&val)],
                };
                return Ok(());
            }
            "except" | "check" => {
                let e = match val.as_rule() {
                    Rule::expr => self.expr(val)?,
                    _ => {
                        return Err(Diag::new(
                            DiagCode::Syntax,
                            span,
                            format!("`{}:` takes a condition", key.as_str()),
                        )
                        .help("write a condition such as `system` or `metadata.name = \"x\"`"));
                    }
                };
                if key.as_str() == "check" {
                    return self.set_body(decl, e, span);
                }
                decl.except = Some(e);
                return Ok(());
            }
            other => return Err(Diag::new(DiagCode::Syntax, self.span(&key), format!("unknown key `{other}`"))),
        };
        if slot.is_some() {
            return Err(Diag::new(
                DiagCode::SyntaxDuplicateKey,
                self.span(&key),
                format!("`{}:` is given twice", key.as_str()),
            )
            .help("keep one"));
        }
        *slot = Some(text_of(&val));
        Ok(())
    }

    fn names(&self, ps: &[P]) -> Vec<Text> {
        ps.iter().filter(|c| c.as_rule() == Rule::def_name).map(|c| self.text(c)).collect()
    }

    fn params(&self, ps: &[P]) -> Vec<Text> {
        ps.iter()
            .filter(|c| c.as_rule() == Rule::params)
            .flat_map(|c| kids(c).into_iter().map(|x| self.text(&x)).collect::<Vec<_>>())
            .collect()
    }

    fn noun_def(&self, p: P) -> R<NounDef> {
        let span = self.span(&p);
        let ks = kids(&p);
        let name = self.names(&ks).into_iter().next().ok_or_else(|| self.bug(&p, "noun without name"))?;
        let np = ks.iter().find(|c| c.as_rule() == Rule::np).ok_or_else(|| self.bug(&p, "noun without phrase"))?;
        Ok(NounDef { name, params: self.params(&ks), np: self.np(np.clone())?, span })
    }

    fn collection_def(&self, p: P) -> R<CollectionDef> {
        let span = self.span(&p);
        let ks = kids(&p);
        let mut names = self.names(&ks).into_iter();
        let name = names.next().ok_or_else(|| self.bug(&p, "noun without name"))?;
        let e = ks.iter().find(|c| c.as_rule() == Rule::expr).ok_or_else(|| self.bug(&p, "noun without value"))?;
        Ok(CollectionDef { name, parents: names.collect(), expr: self.expr(e.clone())?, span })
    }

    fn qualifier_def(&self, p: P) -> R<QualifierDef> {
        let span = self.span(&p);
        let ks = kids(&p);
        let qn = ks.iter().find(|c| c.as_rule() == Rule::qual_name).ok_or_else(|| self.bug(&p, "qualifier name"))?;
        let words: Vec<String> = kids(qn).iter().map(|w| w.as_str().to_string()).collect();
        let name = Text { text: words.join(" "), span: self.span(qn) };
        let e = ks.iter().find(|c| c.as_rule() == Rule::expr).ok_or_else(|| self.bug(&p, "qualifier body"))?;
        Ok(QualifierDef { name, params: self.params(&ks), nouns: self.names(&ks), body: self.expr(e.clone())?, span })
    }

    fn value_def(&self, p: P) -> R<ValueDef> {
        let span = self.span(&p);
        let ks = kids(&p);
        let name = self.names(&ks).into_iter().next().ok_or_else(|| self.bug(&p, "value without name"))?;
        let e = ks.iter().find(|c| c.as_rule() == Rule::expr).ok_or_else(|| self.bug(&p, "value body"))?;
        Ok(ValueDef { name, params: self.params(&ks), body: self.expr(e.clone())?, span })
    }

    fn tolerate_decl(&self, p: P) -> R<TolerateDecl> {
        let span = self.span(&p);
        let ks = kids(&p);
        let path = ks.iter().find(|c| c.as_rule() == Rule::tol_path).ok_or_else(|| self.bug(&p, "tolerate path"))?;
        let by = ks
            .iter()
            .find(|c| c.as_rule() == Rule::string)
            .map(|s| Text { text: unquote(s.as_str()), span: self.span(s) });
        let np = match ks.iter().find(|c| c.as_rule() == Rule::np) {
            Some(n) => Some(self.np(n.clone())?),
            None => None,
        };
        Ok(TolerateDecl { path: self.text(path), by, np, span })
    }

    // ------------------------------------------------------------ expressions
}
