//! `tolerate PATH [by "PATTERN"] [for NP]` → [`Tolerance`]: the path and
//! value patterns, and the noun phrase compiled as a top-level subject is
//! (a domain of kinds and envs, and its filters as code run on the object).

use super::codegen::{Cx, Gen, Subj, split_predicate};
use super::top_filters_into;
use crate::bytecode::{Code, DomainSource, EnvScope, Op, TolScope, Tolerance};
use crate::diag::Diag;
use crate::diag::DiagCode;
use crate::diff::pattern::{Pattern, ValuePattern};
use crate::syntax::ast::{Filter, Quant as AQuant, Scope, TolerateDecl};

pub(super) fn compile_tolerance(g: &mut Gen, t: &TolerateDecl) -> Result<Tolerance, Diag> {
    let path = Pattern::parse(&t.path.text).map_err(|m| {
        Diag::new(DiagCode::Tolerance, t.path.span, m)
            .help("write a field path: `spec.replicas`, `podspec.containers[*].image`, `metadata.labels.\"team\"`")
    })?;
    let by = match &t.by {
        Some(b) => Some(ValuePattern::new(&b.text).map_err(|m| {
            Diag::new(DiagCode::Regex, b.span, m).help("`by` takes a regex; `{env}` stands for the env's name")
        })?),
        None => None,
    };
    let scope = match &t.np {
        None => None,
        Some(np) => {
            let r = g.resolve_np(np)?;
            let (filters, psrc) = split_predicate(AQuant::Some, &r, None, np.span)?;
            if psrc.is_some() {
                return Err(Diag::new(
                    DiagCode::Tolerance,
                    np.span,
                    "these words follow the noun; a tolerance takes a noun phrase",
                )
                .help("write filters: `for deployments where metadata.name = \"web\" in envs tagged nonprod`"));
            }
            let source = g.domain_source(&r, &Cx::default(), None, np.span)?;
            if !matches!(source, DomainSource::Objects { envs: EnvScope::Sel(..) | EnvScope::All, .. }) {
                return Err(Diag::new(DiagCode::Tolerance, np.span, "a tolerance is for objects")
                    .help("name a kind or `object`: `for deployments`, `for objects in envs tagged nonprod`"));
            }
            let label = g.sources.slice(np.span).to_string();
            let domain = g.domain(source, label);
            g.next_slot = 2;
            g.max_slot = 2;
            let mut cx = Cx::of(Subj { slot: 0, ty: r.ty() }, Some(1), vec![], None);
            let env_filters = filters.iter().filter(|f| matches!(f, Filter::In(Scope::Env(_), _))).count();
            let has_filter = !r.quals.is_empty()
                || env_filters > 1
                || filters.iter().any(|f| !matches!(f, Filter::As(_) | Filter::In(Scope::Env(_), _)));
            let filter = if has_filter {
                let entry = g.prog.ops.len() as u32;
                top_filters_into(g, &r, &filters, &mut cx)?;
                g.emit(Op::Ret);
                Some(Code { entry })
            } else {
                None
            };
            Some(TolScope { domain, filter, slots: g.max_slot })
        }
    };
    let (line, _) = g.sources.line_col(t.span);
    Ok(Tolerance {
        path,
        by,
        scope,
        origin: format!("{}:{line}", g.sources.get(t.span.source).name),
        text: g.sources.slice(t.span).split_whitespace().collect::<Vec<_>>().join(" "),
    })
}
