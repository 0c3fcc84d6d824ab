//! Values: comparisons, terms, paths, and string literals.

use super::*;
use crate::diag::DiagCode;

impl Cx {
    pub(super) fn comparison(&self, p: P) -> R<Expr> {
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
    pub(super) fn value(&self, p: P) -> R<Expr> {
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

    pub(super) fn term(&self, p: P) -> R<Expr> {
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
                    Diag::new(DiagCode::SyntaxNumber, span, format!("`{}` is not a number", p.as_str()))
                })?;
                if !n.is_finite() {
                    return Err(Diag::new(
                        DiagCode::SyntaxNumber,
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

    pub(super) fn args(&self, p: P) -> R<Vec<Expr>> {
        kids(&p).into_iter().map(|v| self.value(v)).collect()
    }

    pub(super) fn path(&self, p: P) -> R<Path> {
        let span = self.span(&p);
        let mut ks = p.clone().into_inner();
        let head = ks.next().map(|h| self.text(&h)).ok_or_else(|| self.bug(&p, "path"))?;
        let segs = ks.map(|s| self.seg(s)).collect::<R<Vec<_>>>()?;
        Ok(Path { head, segs, span })
    }

    pub(super) fn seg(&self, s: P) -> R<Seg> {
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
                        Diag::new(DiagCode::SyntaxNumber, self.span(&k), format!("index `{}` is too large", k.as_str()))
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

pub(super) fn dedent(s: &str) -> String {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let indent = s.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let lines: Vec<&str> = s.lines().map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() }).collect();
    lines.join("\n").trim_end().to_string()
}
