//! Expressions: conditions, quantifiers, noun phrases, scopes and predicates.

use super::*;
use crate::diag::DiagCode;

impl Cx {
    pub(super) fn expr(&self, p: P) -> R<Expr> {
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
    pub(super) fn agree(&self, quant: Quant, np: NounPhrase, tail: P, span: Span) -> R<Expr> {
        let envs = matches!(np.words[..], [Word::Env(_)]);
        if quant != Quant::Every || !envs {
            return Err(Diag::new(
                DiagCode::Syntax,
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

    pub(super) fn nary(&self, p: P, make: fn(Vec<Expr>) -> ExprKind) -> R<Expr> {
        let span = self.span(&p);
        let mut parts = kids(&p).into_iter().map(|k| self.expr(k)).collect::<R<Vec<_>>>()?;
        if parts.len() == 1 {
            return parts.pop().ok_or_else(|| self.bug(&p, "operand"));
        }
        Ok(Expr { kind: make(parts), span })
    }

    pub(super) fn quant(&self, p: P) -> R<Quant> {
        let inner = p.clone().into_inner().next().ok_or_else(|| self.bug(&p, "quantifier"))?;
        let int = |x: &P| -> R<u64> {
            let i = kids(x).into_iter().find(|c| c.as_rule() == Rule::int).ok_or_else(|| self.bug(x, "count"))?;
            i.as_str().parse::<u64>().map_err(|_| {
                Diag::new(DiagCode::SyntaxNumber, self.span(&i), format!("count `{}` is too large", i.as_str()))
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

    pub(super) fn np(&self, p: P) -> R<NounPhrase> {
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

    pub(super) fn phrase(&self, p: P) -> R<Vec<Word>> {
        kids(&p).into_iter().map(|w| self.word(w)).collect()
    }

    pub(super) fn word(&self, w: P) -> R<Word> {
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

    pub(super) fn filter(&self, f: P) -> R<Filter> {
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

    pub(super) fn scope(&self, p: P) -> R<Scope> {
        match p.as_rule() {
            Rule::env_sel => Ok(Scope::Env(self.env_sel(p)?)),
            Rule::ns_sel => {
                let v = kids(&p).into_iter().next().ok_or_else(|| self.bug(&p, "namespace"))?;
                Ok(Scope::Namespace(self.value(v)?))
            }
            _ => Err(self.bug(&p, "scope")),
        }
    }

    pub(super) fn env_sel(&self, p: P) -> R<EnvSel> {
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

    pub(super) fn single_env(&self, p: P) -> R<EnvSel> {
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

    pub(super) fn pred(&self, p: P) -> R<Pred> {
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
}
