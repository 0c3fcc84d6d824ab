//! Comparisons typed by the schemas: a field path whose schema type is
//! known in every Kubernetes version that has it (docs/language.md,
//! "Comparing two values"). A string literal compared with a
//! `resource.Quantity` field is read as a quantity (`limits.memory > "1Gi"`
//! compares as `limits.memory > 1Gi`); one that is not a quantity is a
//! compile error, since that comparison could only hold for an object the
//! API server rejects. Every other field type keeps the usual rules.

use super::{Cx, Gen, PathSeg, R};
use crate::diag::{Diag, DiagCode};
use crate::syntax::ast::{Expr, ExprKind, Lit, Seg};
use crate::world::Quantity;

impl Gen<'_, '_> {
    /// The schema type of a plain field path (no function, no computed
    /// key), as `compile::schema_paths::field_type` gives it.
    fn path_schema_type(&self, e: &Expr, cx: &Cx) -> Option<String> {
        let ExprKind::Path(p) = &e.kind else { return None };
        let head = p.head.text.as_str();
        let mut segs: Vec<PathSeg> = Vec::new();
        let mut tail = &p.segs[..];
        let ty = if head == "it" || cx.bound(head).is_some() {
            let s = if head == "it" { cx.it.clone()? } else { cx.bound(head)?.clone() };
            match tail.first() {
                Some(Seg::Key(k)) if k == "podspec" => {
                    segs.push(PathSeg::PodSpec);
                    tail = &tail[1..];
                }
                Some(Seg::Key(k)) if k == "containers" => {
                    segs.push(PathSeg::Containers);
                    tail = &tail[1..];
                }
                _ => {}
            }
            s.ty
        } else if self.defs.value(head).is_some() {
            return None;
        } else {
            let s = cx.it.clone()?;
            segs.push(match head {
                "podspec" => PathSeg::PodSpec,
                "containers" => PathSeg::Containers,
                _ => PathSeg::Key(head.to_string()),
            });
            s.ty
        };
        for s in tail {
            segs.push(match s {
                Seg::Key(k) => PathSeg::Key(k.clone()),
                Seg::Index(i) => PathSeg::Index(*i),
                Seg::Star => PathSeg::Star,
                Seg::Expr(_) => return None,
            });
        }
        crate::compile::schema_paths::field_type(&ty, &segs)
    }

    /// For `A op B` where one side is a quantity field and the other a
    /// string literal: the literal as a quantity literal (the comparison
    /// then reads the field as a quantity). `None` leaves the comparison as
    /// written.
    pub(super) fn schema_typed_literal(&self, a: &Expr, b: &Expr, cx: &Cx) -> R<Option<(bool, Expr)>> {
        for (field, lit, lit_is_rhs) in [(a, b, true), (b, a, false)] {
            let ExprKind::Lit(Lit::Str(text)) = &lit.kind else { continue };
            if self.path_schema_type(field, cx).as_deref() != Some("q") {
                continue;
            }
            if Quantity::parse(text.trim()).is_none() {
                return Err(Diag::new(
                    DiagCode::Type,
                    lit.span,
                    format!(
                        "`{}` is a quantity field in the Kubernetes schemas, and \"{}\" is not a quantity",
                        self.src(field.span),
                        text.escape_debug()
                    ),
                )
                .label("not a quantity")
                .help("write a quantity (`\"500m\"`, `1Gi`), or compare the text with `string(...)`"));
            }
            let typed = Expr { kind: ExprKind::Lit(Lit::Quantity(text.trim().to_string())), span: lit.span };
            return Ok(Some((lit_is_rhs, typed)));
        }
        Ok(None)
    }
}
