//! Lowers pest's parse tree into the [`ast`](super::ast). The grammar has
//! already fixed the shape, so this is a plain walk; keyword tokens are
//! skipped and spans are carried over.

use pest::iterators::Pair;

use super::ast::*;
use super::grammar::Rule;
use crate::diag::Diag;

type P<'a> = Pair<'a, Rule>;
type R<T> = Result<T, Diag>;

struct Cx {
    source: SourceId,
}

impl Cx {
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        Span::new(self.source, s.start(), s.end())
    }

    fn text(&self, p: &P) -> Text {
        Text { text: p.as_str().to_string(), span: self.span(p) }
    }

    fn bug(&self, p: &P, what: &str) -> Diag {
        Diag::new("parity::syntax::internal", self.span(p), format!("internal parser error: unexpected {what}"))
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
    let cx = Cx { source };
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

pub fn body_only(source: SourceId, p: P) -> R<Expr> {
    let cx = Cx { source };
    let e = p.into_inner().find(|c| c.as_rule() == Rule::expr);
    match e {
        Some(e) => cx.expr(e),
        None => Err(Diag::new("parity::syntax", Span::new(source, 0, 0), "empty rule body")),
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
            return Err(Diag::new("parity::syntax::two-bodies", span, "a rule has one body; this is a second one")
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
                    Text { text: text.trim().to_string(), span: Span::new(self.source, s.start(), end.max(s.start())) }
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
                            "parity::syntax",
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
            other => return Err(Diag::new("parity::syntax", self.span(&key), format!("unknown key `{other}`"))),
        };
        if slot.is_some() {
            return Err(Diag::new(
                "parity::syntax::duplicate-key",
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

    fn expr(&self, p: P) -> R<Expr> {
        match p.as_rule() {
            Rule::expr | Rule::inner_expr | Rule::cond_atom => {
                let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "empty expression"))?;
                self.expr(inner)
            }
            Rule::or_expr | Rule::cond | Rule::fcond => self.nary(p, ExprKind::Or),
            Rule::and_expr | Rule::cond_and | Rule::fcond_and => self.nary(p, ExprKind::And),
            Rule::not_expr | Rule::cond_not | Rule::fcond_not => {
                let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "empty condition"))?;
                self.expr(inner)
            }
            Rule::neg | Rule::cond_neg | Rule::fcond_neg => {
                let span = self.span(&p);
                let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "`not` without operand"))?;
                Ok(Expr { kind: ExprKind::Not(Box::new(self.expr(inner)?)), span })
            }
            Rule::env_subject => {
                let span = self.span(&p);
                let mut ks = kids(&p).into_iter();
                let env = ks.next().ok_or_else(|| self.bug(&p, "env subject"))?;
                let pred = ks.next().ok_or_else(|| self.bug(&p, "env predicate"))?;
                Ok(Expr { kind: ExprKind::EnvSubject { env: self.single_env(env)?, pred: self.pred(pred)? }, span })
            }
            Rule::filter_quantified => {
                let span = self.span(&p);
                let mut ks = kids(&p).into_iter();
                let quant = self.quant(ks.next().ok_or_else(|| self.bug(&p, "quantifier"))?)?;
                let np = self.np(ks.next().ok_or_else(|| self.bug(&p, "noun phrase"))?)?;
                Ok(Expr { kind: ExprKind::Quantified { quant, np, pred: None }, span })
            }
            Rule::quantified => {
                let span = self.span(&p);
                let mut ks = kids(&p).into_iter();
                let quant = self.quant(ks.next().ok_or_else(|| self.bug(&p, "quantifier"))?)?;
                let np = self.np(ks.next().ok_or_else(|| self.bug(&p, "noun phrase"))?)?;
                let tail = ks.next();
                if let Some(t) = tail.as_ref().filter(|t| t.as_rule() == Rule::agree_tail) {
                    return self.agree(quant, np, t.clone(), span);
                }
                let pred = tail.map(|x| self.pred(x)).transpose()?;
                Ok(Expr { kind: ExprKind::Quantified { quant, np, pred }, span })
            }
            Rule::bare | Rule::np | Rule::cond_np => {
                let span = self.span(&p);
                if p.as_rule() == Rule::cond_np {
                    let np = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "noun phrase"))?;
                    return Ok(Expr { kind: ExprKind::Bare { np: self.np(np)?, pred: None }, span });
                }
                if p.as_rule() == Rule::np {
                    return Ok(Expr { kind: ExprKind::Bare { np: self.np(p)?, pred: None }, span });
                }
                let mut ks = kids(&p).into_iter();
                let np = self.np(ks.next().ok_or_else(|| self.bug(&p, "noun phrase"))?)?;
                let pred = ks.next().map(|x| self.pred(x)).transpose()?;
                Ok(Expr { kind: ExprKind::Bare { np, pred }, span })
            }
            Rule::comparison => self.comparison(p),
            Rule::it_has => {
                let span = self.span(&p);
                let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "has"))?;
                Ok(Expr { kind: ExprKind::Has(Box::new(self.expr(inner)?)), span })
            }
            Rule::value => self.value(p),
            _ => Err(self.bug(&p, "expression")),
        }
    }

    /// `all envs [filters] agree on VALUE`.
    fn agree(&self, quant: Quant, np: NounPhrase, tail: P, span: Span) -> R<Expr> {
        let envs = matches!(np.words[..], [Word::Env(_)]);
        if quant != Quant::Every || !envs {
            return Err(Diag::new(
                "parity::syntax",
                np.span,
                "only envs agree: write `all envs [filters] agree on VALUE`",
            )
            .label("not `all envs`")
            .help("`agree on` compares one value across envs"));
        }
        let v = kids(&tail)
            .into_iter()
            .find(|c| c.as_rule() == Rule::value)
            .ok_or_else(|| self.bug(&tail, "agree value"))?;
        Ok(Expr { kind: ExprKind::Agree { filters: np.filters, value: Box::new(self.value(v)?) }, span })
    }

    fn nary(&self, p: P, make: fn(Vec<Expr>) -> ExprKind) -> R<Expr> {
        let span = self.span(&p);
        let mut parts = kids(&p).into_iter().map(|k| self.expr(k)).collect::<R<Vec<_>>>()?;
        if parts.len() == 1 {
            return parts.pop().ok_or_else(|| self.bug(&p, "operand"));
        }
        Ok(Expr { kind: make(parts), span })
    }

    fn quant(&self, p: P) -> R<Quant> {
        let inner = p.clone().into_inner().next().ok_or_else(|| self.bug(&p, "quantifier"))?;
        let int = |x: &P| -> R<u64> {
            let i = kids(x).into_iter().find(|c| c.as_rule() == Rule::int).ok_or_else(|| self.bug(x, "count"))?;
            i.as_str().parse::<u64>().map_err(|_| {
                Diag::new("parity::syntax::number", self.span(&i), format!("count `{}` is too large", i.as_str()))
            })
        };
        Ok(match inner.as_rule() {
            Rule::kw_every | Rule::kw_each | Rule::kw_all => Quant::Every,
            Rule::kw_some | Rule::kw_any => Quant::Some,
            Rule::kw_no => Quant::No,
            Rule::at_least => Quant::AtLeast(int(&inner)?),
            Rule::at_most => Quant::AtMost(int(&inner)?),
            Rule::exactly => Quant::Exactly(int(&inner)?),
            _ => return Err(self.bug(&inner, "quantifier")),
        })
    }

    fn np(&self, p: P) -> R<NounPhrase> {
        let span = self.span(&p);
        let mut words = Vec::new();
        let mut alts = Vec::new();
        let mut filters = Vec::new();
        for k in kids(&p) {
            match k.as_rule() {
                Rule::phrase if words.is_empty() => words = self.phrase(k)?,
                Rule::phrase => alts.push(self.phrase(k)?),
                _ => filters.push(self.filter(k)?),
            }
        }
        Ok(NounPhrase { words, alts, filters, span })
    }

    fn phrase(&self, p: P) -> R<Vec<Word>> {
        kids(&p).into_iter().map(|w| self.word(w)).collect()
    }

    fn word(&self, w: P) -> R<Word> {
        Ok(match w.as_rule() {
            Rule::resource_word => Word::Resource(self.text(&w)),
            Rule::env_word => Word::Env(self.span(&w)),
            Rule::call_word => {
                let span = self.span(&w);
                let ks = kids(&w);
                let name = ks.first().map(|n| self.text(n)).ok_or_else(|| self.bug(&w, "call name"))?;
                let args = match ks.get(1) {
                    Some(a) => self.args(a.clone())?,
                    None => Vec::new(),
                };
                Word::Call { name, args, span }
            }
            Rule::path => {
                let path = self.path(w)?;
                if path.segs.is_empty() { Word::Name(path.head) } else { Word::Path(path) }
            }
            _ => return Err(self.bug(&w, "word")),
        })
    }

    fn filter(&self, f: P) -> R<Filter> {
        let span = self.span(&f);
        let ks = kids(&f);
        let first = || ks.first().cloned().ok_or_else(|| self.bug(&f, "filter"));
        Ok(match f.as_rule() {
            Rule::with_f => Filter::With(self.expr(first()?)?),
            Rule::where_f => Filter::Where(self.expr(first()?)?),
            Rule::in_f => Filter::In(self.scope(first()?)?, span),
            Rule::not_in_f => Filter::NotIn(self.scope(first()?)?, span),
            Rule::as_f => Filter::As(self.text(&first()?)),
            Rule::tagged_f => Filter::Tagged(Text { text: unquote(first()?.as_str()), span: self.span(&first()?) }),
            Rule::counterpart_f => {
                let env = self.single_env(first()?)?;
                let bind = ks.get(1).map(|b| self.text(b));
                Filter::Counterpart { env, bind, span }
            }
            _ => return Err(self.bug(&f, "filter")),
        })
    }

    fn scope(&self, p: P) -> R<Scope> {
        match p.as_rule() {
            Rule::env_sel => Ok(Scope::Env(self.env_sel(p)?)),
            Rule::ns_sel => {
                let v = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "namespace"))?;
                Ok(Scope::Namespace(self.value(v)?))
            }
            _ => Err(self.bug(&p, "scope")),
        }
    }

    fn env_sel(&self, p: P) -> R<EnvSel> {
        let span = self.span(&p);
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "env selector"))?;
        let kind = match inner.as_rule() {
            Rule::every_env => EnvSelKind::Every,
            Rule::other_envs => EnvSelKind::Others,
            Rule::tagged_envs => {
                let t = kids(&inner).into_iter().next().ok_or_else(|| self.bug(&inner, "tag"))?;
                EnvSelKind::Tagged(unquote(t.as_str()))
            }
            Rule::single_env => return self.single_env(inner),
            _ => return Err(self.bug(&inner, "env selector")),
        };
        Ok(EnvSel { kind, span })
    }

    fn single_env(&self, p: P) -> R<EnvSel> {
        let span = self.span(&p);
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "env"))?;
        let kind = match inner.as_rule() {
            Rule::named_env => {
                let n = kids(&inner).into_iter().next().ok_or_else(|| self.bug(&inner, "env name"))?;
                EnvSelKind::Named(unquote(n.as_str()))
            }
            Rule::reference_env => EnvSelKind::Reference,
            Rule::previous_env => EnvSelKind::Previous,
            Rule::next_env => EnvSelKind::Next,
            _ => return Err(self.bug(&inner, "env")),
        };
        Ok(EnvSel { kind, span })
    }

    fn pred(&self, p: P) -> R<Pred> {
        let span = self.span(&p);
        let ks = kids(&p);
        let kind = match p.as_rule() {
            Rule::has_p => {
                let e = ks.into_iter().next().ok_or_else(|| self.bug(&p, "has"))?;
                PredKind::Has(Box::new(self.expr(e)?))
            }
            Rule::exists_p => {
                let e = ks.into_iter().next().ok_or_else(|| self.bug(&p, "exists"))?;
                PredKind::ExistsIn(self.env_sel(e)?)
            }
            Rule::is_p => {
                let negated = has_kw(&p, Rule::kw_not);
                let ph = ks.into_iter().find(|c| c.as_rule() == Rule::phrase).ok_or_else(|| self.bug(&p, "is"))?;
                PredKind::Is { negated, words: self.phrase(ph)? }
            }
            Rule::matches_p => {
                let e = ks.into_iter().next().ok_or_else(|| self.bug(&p, "matches"))?;
                PredKind::Matches(Box::new(self.value(e)?))
            }
            Rule::verb_p => {
                let ph = ks.into_iter().next().ok_or_else(|| self.bug(&p, "verb"))?;
                PredKind::Verb(self.phrase(ph)?)
            }
            _ => return Err(self.bug(&p, "predicate")),
        };
        Ok(Pred { kind, span })
    }

    fn comparison(&self, p: P) -> R<Expr> {
        let span = self.span(&p);
        let mut ks = kids(&p).into_iter();
        let lhs = self.value(ks.next().ok_or_else(|| self.bug(&p, "comparison"))?)?;
        let Some(t) = ks.next() else { return Ok(lhs) };
        let negated = has_kw(&t, Rule::kw_not);
        let rhs = |t: &P| -> R<Box<Expr>> {
            let v = kids(t).into_iter().find(|c| c.as_rule() == Rule::value).ok_or_else(|| self.bug(t, "operand"))?;
            Ok(Box::new(self.value(v)?))
        };
        let test = match t.as_rule() {
            Rule::cmp => {
                let ks = kids(&t);
                let op = match ks.first().map(|o| o.as_str()) {
                    Some("=") | Some("==") => CmpOp::Eq,
                    Some("!=") => CmpOp::Ne,
                    Some("<") => CmpOp::Lt,
                    Some("<=") => CmpOp::Le,
                    Some(">") => CmpOp::Gt,
                    Some(">=") => CmpOp::Ge,
                    _ => return Err(self.bug(&t, "operator")),
                };
                Test::Cmp(op, rhs(&t)?)
            }
            Rule::is_test => {
                if has_kw(&t, Rule::kw_missing) {
                    Test::Missing { negated }
                } else if has_kw(&t, Rule::kw_empty) {
                    Test::Empty { negated }
                } else {
                    Test::Null { negated }
                }
            }
            Rule::exists_test => Test::Exists,
            Rule::in_test => Test::In { negated: false, rhs: rhs(&t)? },
            Rule::not_in_test => Test::In { negated: true, rhs: rhs(&t)? },
            Rule::like_test => Test::Like { negated, rhs: rhs(&t)? },
            Rule::matches_test => Test::Matches { negated, rhs: rhs(&t)? },
            Rule::starts_test => Test::StartsWith { negated: negated || has_kw(&t, Rule::does_not), rhs: rhs(&t)? },
            Rule::ends_test => Test::EndsWith { negated: negated || has_kw(&t, Rule::does_not), rhs: rhs(&t)? },
            Rule::contains_test => Test::Contains { negated: negated || has_kw(&t, Rule::does_not), rhs: rhs(&t)? },
            Rule::subset_test => Test::SubsetOf(rhs(&t)?),
            Rule::same_set_test => Test::SameSetAs(rhs(&t)?),
            _ => return Err(self.bug(&t, "test")),
        };
        Ok(Expr { kind: ExprKind::Test { value: Box::new(lhs), test }, span })
    }

    // ------------------------------------------------------------ values

    /// `term (op term)*`: `*` first, then `+` and `-` left to right; a run
    /// of `+` only is one `Add` (strings join, lists concatenate).
    fn value(&self, p: P) -> R<Expr> {
        let span = self.span(&p);
        // Terms and the operator before each (the first has none).
        let mut items: Vec<(Option<Rule>, Expr)> = Vec::new();
        let mut op = None;
        for k in p.clone().into_inner() {
            match k.as_rule() {
                Rule::plus | Rule::minus | Rule::times => op = Some(k.as_rule()),
                _ => items.push((op.take(), self.term(k)?)),
            }
        }
        // Products first.
        let mut sums: Vec<(Option<Rule>, Expr)> = Vec::new();
        for (op, e) in items {
            match (op, sums.pop()) {
                (Some(Rule::times), Some((before, lhs))) => {
                    let s = lhs.span.to(e.span);
                    sums.push((
                        before,
                        Expr { kind: ExprKind::Arith(ArithOp::Mul, Box::new(lhs), Box::new(e)), span: s },
                    ));
                }
                (op, prev) => {
                    sums.extend(prev);
                    sums.push((op, e));
                }
            }
        }
        if sums.len() == 1 {
            return sums.pop().map(|(_, e)| e).ok_or_else(|| self.bug(&p, "value"));
        }
        if sums.iter().skip(1).all(|(op, _)| *op == Some(Rule::plus)) {
            return Ok(Expr { kind: ExprKind::Add(sums.into_iter().map(|(_, e)| e).collect()), span });
        }
        let mut it = sums.into_iter();
        let (_, mut acc) = it.next().ok_or_else(|| self.bug(&p, "value"))?;
        for (op, e) in it {
            let s = acc.span.to(e.span);
            acc = match op {
                Some(Rule::minus) => Expr { kind: ExprKind::Arith(ArithOp::Sub, Box::new(acc), Box::new(e)), span: s },
                _ => Expr { kind: ExprKind::Add(vec![acc, e]), span: s },
            };
        }
        Ok(acc)
    }

    fn term(&self, p: P) -> R<Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::version => ExprKind::Lit(Lit::Version(p.as_str().to_string())),
            Rule::quantity => ExprKind::Lit(Lit::Quantity(p.as_str().to_string())),
            // An integer a float cannot hold exactly (above 2^53) is kept
            // exact, as a quantity: `9007199254740993` is not `...992`.
            Rule::number
                if p.as_str().parse::<i128>().is_ok_and(|i| (i as f64) as i128 != i)
                    && p.as_str().parse::<i128>().is_ok_and(|i| i.checked_mul(1_000_000_000).is_some()) =>
            {
                ExprKind::Lit(Lit::Quantity(p.as_str().to_string()))
            }
            Rule::number => {
                let n = p.as_str().parse::<f64>().map_err(|_| {
                    Diag::new("parity::syntax::number", span, format!("`{}` is not a number", p.as_str()))
                })?;
                if !n.is_finite() {
                    return Err(Diag::new(
                        "parity::syntax::number",
                        span,
                        format!("number `{}` is too large", p.as_str()),
                    ));
                }
                ExprKind::Lit(Lit::Num(n))
            }
            Rule::string => ExprKind::Lit(Lit::Str(unquote(p.as_str()))),
            Rule::kw_true => ExprKind::Lit(Lit::Bool(true)),
            Rule::kw_false => ExprKind::Lit(Lit::Bool(false)),
            Rule::kw_null => ExprKind::Lit(Lit::Null),
            Rule::jsonpath => ExprKind::JsonPath(p.as_str().to_string()),
            Rule::path => ExprKind::Path(self.path(p)?),
            Rule::env_ref => {
                let segs = p
                    .clone()
                    .into_inner()
                    .filter(|c| c.as_rule() != Rule::kw_env)
                    .map(|s| self.seg(s))
                    .collect::<R<_>>()?;
                ExprKind::EnvRef(segs)
            }
            Rule::counterpart => {
                let e = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "counterpart env"))?;
                ExprKind::Counterpart(self.single_env(e)?)
            }
            Rule::call => {
                let mut ks = kids(&p).into_iter();
                let name = ks.next().map(|n| self.text(&n)).ok_or_else(|| self.bug(&p, "call"))?;
                let mut args = Vec::new();
                let mut tail = Vec::new();
                for k in ks {
                    match k.as_rule() {
                        Rule::args => args = self.args(k)?,
                        _ => tail.push(self.seg(k)?),
                    }
                }
                ExprKind::Call { name, args, tail }
            }
            Rule::paren => {
                let mut ks = kids(&p).into_iter();
                let inner = ks.next().ok_or_else(|| self.bug(&p, "parenthesis"))?;
                let expr = self.expr(inner)?;
                let tail = ks.map(|s| self.seg(s)).collect::<R<Vec<_>>>()?;
                if tail.is_empty() {
                    return Ok(expr);
                }
                ExprKind::Paren { expr: Box::new(expr), tail }
            }
            Rule::comprehension => {
                let mut ks = kids(&p).into_iter();
                let value = self.value(ks.next().ok_or_else(|| self.bug(&p, "comprehension value"))?)?;
                let np = self.np(ks.next().ok_or_else(|| self.bug(&p, "comprehension source"))?)?;
                ExprKind::Comprehension { value: Box::new(value), np }
            }
            Rule::map_lit => {
                let mut entries = Vec::new();
                for e in kids(&p) {
                    let mut ks = kids(&e).into_iter();
                    let k = ks.next().ok_or_else(|| self.bug(&e, "map key"))?;
                    let key = Text {
                        text: if k.as_rule() == Rule::string { unquote(k.as_str()) } else { k.as_str().to_string() },
                        span: self.span(&k),
                    };
                    let v = self.value(ks.next().ok_or_else(|| self.bug(&e, "map value"))?)?;
                    entries.push((key, v));
                }
                ExprKind::Map(entries)
            }
            Rule::list_lit => ExprKind::List(kids(&p).into_iter().map(|v| self.value(v)).collect::<R<_>>()?),
            _ => return Err(self.bug(&p, "value")),
        };
        Ok(Expr { kind, span })
    }

    fn args(&self, p: P) -> R<Vec<Expr>> {
        kids(&p).into_iter().map(|v| self.value(v)).collect()
    }

    fn path(&self, p: P) -> R<Path> {
        let span = self.span(&p);
        let mut ks = p.clone().into_inner();
        let head = ks.next().map(|h| self.text(&h)).ok_or_else(|| self.bug(&p, "path"))?;
        let segs = ks.map(|s| self.seg(s)).collect::<R<Vec<_>>>()?;
        Ok(Path { head, segs, span })
    }

    fn seg(&self, s: P) -> R<Seg> {
        match s.as_rule() {
            Rule::dot_seg => {
                let k = s.clone().into_inner().next().ok_or_else(|| self.bug(&s, "segment"))?;
                Ok(Seg::Key(if k.as_rule() == Rule::string { unquote(k.as_str()) } else { k.as_str().to_string() }))
            }
            Rule::index => {
                let k = s.clone().into_inner().next().ok_or_else(|| self.bug(&s, "index"))?;
                match k.as_rule() {
                    Rule::star => Ok(Seg::Star),
                    Rule::int => k.as_str().parse::<i64>().map(Seg::Index).map_err(|_| {
                        Diag::new(
                            "parity::syntax::number",
                            self.span(&k),
                            format!("index `{}` is too large", k.as_str()),
                        )
                    }),
                    Rule::value => Ok(Seg::Expr(Box::new(self.value(k)?))),
                    _ => Err(self.bug(&k, "index")),
                }
            }
            _ => Err(self.bug(&s, "path segment")),
        }
    }
}

/// Strips quotes from a string literal and resolves escapes (`\"`, `\\`,
/// `\n`, `\t`). Triple-quoted strings are taken verbatim, with common
/// indentation removed.
pub fn unquote(s: &str) -> String {
    if let Some(inner) = s.strip_prefix("\"\"\"").and_then(|x| x.strip_suffix("\"\"\"")) {
        return dedent(inner);
    }
    let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn dedent(s: &str) -> String {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let indent = s.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let lines: Vec<&str> = s.lines().map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() }).collect();
    lines.join("\n").trim_end().to_string()
}
