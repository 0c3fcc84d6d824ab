//! The reading of a sentence: an AST printed back as rule text with every
//! condition, filter and operand parenthesised, so that how the grammar
//! bound each part is visible (`parity compile --explain`). The text parses
//! back to the same AST (a property test checks it).

use super::ast::*;

/// The fully parenthesised reading of an expression.
pub fn reading(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

fn paren(out: &mut String, e: &Expr) {
    out.push('(');
    expr(out, e);
    out.push(')');
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Or(parts) | ExprKind::And(parts) => {
            let sep = if matches!(e.kind, ExprKind::Or(_)) { " or " } else { " and " };
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                paren(out, p);
            }
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            paren(out, inner);
        }
        ExprKind::Agree { filters, value: v } => {
            out.push_str("all envs");
            for f in filters {
                out.push(' ');
                filter(out, f);
            }
            out.push_str(" agree on ");
            value(out, v);
        }
        ExprKind::EnvSubject { env, pred: p } => {
            env_sel(out, env);
            out.push(' ');
            pred(out, p);
        }
        ExprKind::Quantified { quant, np: n, pred: p } => {
            out.push_str(&quant.to_string());
            out.push(' ');
            np(out, n);
            if let Some(p) = p {
                out.push(' ');
                pred(out, p);
            }
        }
        ExprKind::Bare { np: n, pred: p } => {
            np(out, n);
            if let Some(p) = p {
                out.push(' ');
                pred(out, p);
            }
        }
        ExprKind::Has(inner) => {
            out.push_str("has ");
            paren(out, inner);
        }
        ExprKind::Test { value: v, test: t } => {
            value(out, v);
            out.push(' ');
            test(out, t);
        }
        _ => value(out, e),
    }
}

/// A noun phrase: its words (nouns of a union joined by `or`), then its
/// filters, each condition in parentheses.
fn np(out: &mut String, n: &NounPhrase) {
    words(out, &n.words);
    for alt in &n.alts {
        out.push_str(" or ");
        words(out, alt);
    }
    for f in &n.filters {
        out.push(' ');
        filter(out, f);
    }
}

fn words(out: &mut String, ws: &[Word]) {
    for (i, w) in ws.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match w {
            Word::Name(t) | Word::Resource(t) => out.push_str(&t.text),
            Word::Call { name, args, .. } => call(out, &name.text, args),
            Word::Env(_) => out.push_str("env"),
            Word::Path(p) => path(out, p),
        }
    }
}

fn filter(out: &mut String, f: &Filter) {
    match f {
        Filter::With(e) => {
            out.push_str("with ");
            paren(out, e);
        }
        Filter::Where(e) => {
            out.push_str("where ");
            paren(out, e);
        }
        Filter::In(s, _) => {
            out.push_str("in ");
            scope(out, s);
        }
        Filter::NotIn(s, _) => {
            out.push_str("not in ");
            scope(out, s);
        }
        Filter::As(t) => {
            out.push_str("as ");
            out.push_str(&t.text);
        }
        Filter::Tagged(t) => {
            out.push_str("tagged ");
            string(out, &t.text);
        }
        Filter::Counterpart { env, bind, .. } => {
            out.push_str("with counterpart in ");
            env_sel(out, env);
            if let Some(b) = bind {
                out.push_str(" as ");
                out.push_str(&b.text);
            }
        }
    }
}

fn scope(out: &mut String, s: &Scope) {
    match s {
        Scope::Env(sel) => env_sel(out, sel),
        Scope::Namespace(v) => {
            out.push_str("namespace ");
            value(out, v);
        }
    }
}

fn env_sel(out: &mut String, s: &EnvSel) {
    match &s.kind {
        EnvSelKind::Every => out.push_str("every env"),
        EnvSelKind::Others => out.push_str("every other env"),
        EnvSelKind::Tagged(t) => {
            out.push_str("envs tagged ");
            string(out, t);
        }
        EnvSelKind::Named(n) => {
            out.push_str("env ");
            string(out, n);
        }
        EnvSelKind::Reference => out.push_str("reference env"),
        EnvSelKind::Previous => out.push_str("previous env"),
        EnvSelKind::Next => out.push_str("next env"),
    }
}

fn pred(out: &mut String, p: &Pred) {
    match &p.kind {
        PredKind::Has(e) => {
            out.push_str("has ");
            paren(out, e);
        }
        PredKind::ExistsIn(sel) => {
            out.push_str("exists in ");
            env_sel(out, sel);
        }
        PredKind::Is { negated, words: ws } => {
            out.push_str(if *negated { "is not " } else { "is " });
            words(out, ws);
        }
        PredKind::Verb(ws) => words(out, ws),
        PredKind::Matches(e) => {
            out.push_str("matches ");
            value(out, e);
        }
    }
}

fn test(out: &mut String, t: &Test) {
    let neg = |n: &bool| if *n { "not " } else { "" };
    let (word, rhs): (String, Option<&Expr>) = match t {
        Test::Cmp(op, r) => (op.as_str().to_string(), Some(r)),
        Test::Missing { negated } => (format!("is {}missing", neg(negated)), None),
        Test::Empty { negated } => (format!("is {}empty", neg(negated)), None),
        Test::Null { negated } => (format!("is {}null", neg(negated)), None),
        Test::Exists => ("exists".into(), None),
        Test::In { negated, rhs } => (format!("{}in", neg(negated)), Some(rhs)),
        Test::Like { negated, rhs } => (format!("{}like", neg(negated)), Some(rhs)),
        Test::Matches { negated, rhs } => (format!("{}matches", neg(negated)), Some(rhs)),
        Test::StartsWith { negated, rhs } => (format!("{}starts with", neg(negated)), Some(rhs)),
        Test::EndsWith { negated, rhs } => (format!("{}ends with", neg(negated)), Some(rhs)),
        Test::Contains { negated, rhs } => (format!("{}contains", neg(negated)), Some(rhs)),
        Test::SubsetOf(r) => ("subset of".into(), Some(r)),
        Test::SameSetAs(r) => ("same set as".into(), Some(r)),
    };
    out.push_str(&word);
    if let Some(r) = rhs {
        out.push(' ');
        value(out, r);
    }
}

fn value(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Lit(l) => match l {
            Lit::Null => out.push_str("null"),
            Lit::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Lit::Num(n) => out.push_str(format!("{n:?}").trim_end_matches(".0")),
            Lit::Str(s) => string(out, s),
            Lit::Quantity(q) | Lit::Version(q) => out.push_str(q),
        },
        ExprKind::Path(p) => path(out, p),
        ExprKind::Call { name, args, tail } => {
            call(out, &name.text, args);
            segs(out, tail);
        }
        ExprKind::EnvRef(tail) => {
            out.push_str("env");
            segs(out, tail);
        }
        ExprKind::Counterpart(sel) => {
            out.push_str("(counterpart in ");
            env_sel(out, sel);
            out.push(')');
        }
        ExprKind::Comprehension { value: v, np: n } => {
            out.push_str("{ ");
            value(out, v);
            out.push_str(" for ");
            np(out, n);
            out.push_str(" }");
        }
        ExprKind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(out, &k.text);
                out.push_str(": ");
                value(out, v);
            }
            out.push('}');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(out, v);
            }
            out.push(']');
        }
        ExprKind::JsonPath(text) => out.push_str(text),
        ExprKind::Add(parts) => {
            out.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" + ");
                }
                value(out, p);
            }
            out.push(')');
        }
        ExprKind::Arith(op, a, b) => {
            out.push('(');
            value(out, a);
            out.push_str(if *op == ArithOp::Sub { " - " } else { " * " });
            value(out, b);
            out.push(')');
        }
        ExprKind::Paren { expr: inner, tail } => {
            paren(out, inner);
            segs(out, tail);
        }
        // A condition in value position (a sentence in parentheses).
        _ => paren(out, e),
    }
}

fn call(out: &mut String, name: &str, args: &[Expr]) {
    out.push_str(name);
    out.push('(');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        value(out, a);
    }
    out.push(')');
}

fn path(out: &mut String, p: &Path) {
    out.push_str(&p.head.text);
    segs(out, &p.segs);
}

fn segs(out: &mut String, segs: &[Seg]) {
    for s in segs {
        match s {
            Seg::Key(k) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Key(k) => {
                out.push('.');
                string(out, k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Star => out.push_str("[*]"),
            Seg::Expr(e) => {
                out.push('[');
                value(out, e);
                out.push(']');
            }
        }
    }
}

/// A string literal, escaped as the grammar reads it.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}
