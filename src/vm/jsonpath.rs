//! JSONPath queries (RFC 9535, parsed by jsonpath-rust) evaluated over the
//! world's trees, with every node visited or produced counted against the
//! evaluation's step budget.
//!
//! jsonpath-rust queries `serde_json` values: it needed the subject copied
//! out whole, and it keeps a path string per result, so `$..*..*..*` on an
//! 11 KB object grew past many gigabytes in one VM step. Here the segments
//! (names, indexes, slices, wildcards, descendants) walk the tree in place
//! and yield its nodes, never copies. Only a filter (`[?...]`) is handed to
//! jsonpath-rust, on a copy of the one node whose children it tests; the
//! copy and an upper bound of the filter's own work are counted before it
//! runs. A query with a filter that reads the root `$` runs in jsonpath-rust
//! whole, once an upper bound of its work is counted.

use jsonpath_rust::parser::model::{
    Comparable, Comparison, FnArg, JpQuery, Segment, Selector, SingularQuery, Test, TestFunction,
};
use jsonpath_rust::parser::model::{Filter, FilterAtom};
use serde_json::Value as Json;

use crate::world::tree::NodeRef;

/// Nodes one query may hold at once (between two segments), whatever the
/// budget: 16 bytes each, so at most 16 MB.
pub const MAX_QUERY_NODES: usize = 1_000_000;

/// Why a query stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It needed more steps than were left.
    Budget,
    /// It held more than [`MAX_QUERY_NODES`] nodes.
    TooLarge,
}

struct Eval<'t> {
    left: u64,
    used: u64,
    _root: std::marker::PhantomData<NodeRef<'t>>,
}

/// Runs `q` (with no filter reading `$`) over the tree from `root`.
fn nodes<'t>(q: &JpQuery, root: NodeRef<'t>, left: u64) -> Result<(Vec<NodeRef<'t>>, u64), Stop> {
    let mut ev = Eval { left, used: 0, _root: std::marker::PhantomData };
    let mut cur = vec![root];
    ev.spend(1)?;
    for seg in &q.segments {
        let mut next = Vec::new();
        for &node in &cur {
            ev.segment(seg, node, &mut next)?;
        }
        cur = next;
    }
    Ok((cur, ev.used))
}

impl<'t> Eval<'t> {
    fn spend(&mut self, n: u64) -> Result<(), Stop> {
        self.used = self.used.saturating_add(n);
        if self.used > self.left { Err(Stop::Budget) } else { Ok(()) }
    }

    fn emit(&mut self, node: NodeRef<'t>, out: &mut Vec<NodeRef<'t>>) -> Result<(), Stop> {
        self.spend(1)?;
        if out.len() >= MAX_QUERY_NODES {
            return Err(Stop::TooLarge);
        }
        out.push(node);
        Ok(())
    }

    fn segment(&mut self, seg: &Segment, node: NodeRef<'t>, out: &mut Vec<NodeRef<'t>>) -> Result<(), Stop> {
        match seg {
            Segment::Selector(sel) => self.select(sel, node, out),
            Segment::Selectors(sels) => {
                for sel in sels {
                    self.select(sel, node, out)?;
                }
                Ok(())
            }
            Segment::Descendant(inner) => {
                // The node and its descendants, each before its children
                // (document order, as jsonpath-rust yields them).
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    self.spend(1)?;
                    self.segment(inner, n, out)?;
                    let before = stack.len();
                    stack.extend(n.iter());
                    stack[before..].reverse();
                }
                Ok(())
            }
        }
    }

    fn select(&mut self, sel: &Selector, node: NodeRef<'t>, out: &mut Vec<NodeRef<'t>>) -> Result<(), Stop> {
        self.spend(1)?;
        match sel {
            Selector::Name(k) => {
                if let Some(v) = node.get(k) {
                    self.emit(v, out)?;
                }
            }
            Selector::Wildcard => {
                for v in node.iter() {
                    self.emit(v, out)?;
                }
            }
            Selector::Index(i) if node.is_seq() => {
                let len = node.len() as i64;
                let at = if *i < 0 { len + i } else { *i };
                if let Some(v) = usize::try_from(at).ok().and_then(|a| node.at(a)) {
                    self.emit(v, out)?;
                }
            }
            Selector::Index(_) => {}
            Selector::Slice(start, end, step) if node.is_seq() => {
                for i in slice(node.len() as i64, *start, *end, *step) {
                    if let Some(v) = node.at(i) {
                        self.emit(v, out)?;
                    }
                }
            }
            Selector::Slice(..) => {}
            Selector::Filter(f) => self.filter(f, node, out)?,
        }
        Ok(())
    }

    /// `[?f]` on the children of `node`, by jsonpath-rust on a copy of
    /// `node`; the children it keeps are found by their address in the copy.
    /// (A filter that reads the root `$` makes the whole query run by
    /// jsonpath-rust instead: see [`query`].)
    fn filter(&mut self, f: &Filter, node: NodeRef<'t>, out: &mut Vec<NodeRef<'t>>) -> Result<(), Stop> {
        if !(node.is_seq() || node.is_map()) || node.is_empty() {
            return Ok(());
        }
        let size = subtree_size(node, self.left.saturating_sub(self.used))?;
        // Copying, then at most this much work per child.
        self.spend(size)?;
        self.spend(filter_cost(f, size, 0).saturating_mul(node.len() as u64))?;
        let json = node.to_json();
        let one = JpQuery::new(vec![Segment::Selector(Selector::Filter(f.clone()))]);
        let kept = jsonpath_rust::query::js_path_process(&one, &json).unwrap_or_default();
        let children: Vec<&Json> = match &json {
            Json::Array(a) => a.iter().collect(),
            Json::Object(o) => o.values().collect(),
            _ => Vec::new(),
        };
        let nodes: Vec<NodeRef<'t>> = node.iter().collect();
        let mut at = 0;
        for r in kept {
            let val = r.val();
            while at < children.len() && !std::ptr::eq(children[at], val) {
                at += 1;
            }
            if let Some(&n) = nodes.get(at) {
                self.emit(n, out)?;
            }
        }
        Ok(())
    }
}

/// What a query gave: the tree's own nodes, or (a query whose filters read
/// the root) copies made by jsonpath-rust.
pub enum Found<'t> {
    Nodes(Vec<NodeRef<'t>>),
    Copies(Vec<Json>),
}

/// Runs `q` from `root` with at most `left` steps; what it selects and the
/// steps it took. A query with a filter that reads `$` runs in jsonpath-rust
/// on a copy of the root, after an upper bound of its work (the copy, and
/// `n^(k+1)` for k multi-node segments, times its filters' work) is counted.
pub fn query<'t>(q: &JpQuery, root: NodeRef<'t>, left: u64) -> Result<(Found<'t>, u64), Stop> {
    let whole = segments_inner(&q.segments, true);
    if whole.filters.iter().any(|f| filter_reads_root(f)) {
        let size = subtree_size(root, left)?;
        let mut cost = size.saturating_pow(whole.multi.saturating_add(1)).saturating_add(size);
        for f in &whole.filters {
            cost = cost.saturating_add(filter_cost(f, size, size).saturating_mul(size));
        }
        if cost > left {
            return Err(Stop::Budget);
        }
        let json = root.to_json();
        let found = jsonpath_rust::query::js_path_process(q, &json).unwrap_or_default();
        if found.len() > MAX_QUERY_NODES {
            return Err(Stop::TooLarge);
        }
        return Ok((Found::Copies(found.into_iter().map(|r| r.val().clone()).collect()), cost));
    }
    let (nodes, used) = nodes(q, root, left)?;
    Ok((Found::Nodes(nodes), used))
}

/// The indexes a slice selects, as jsonpath-rust computes them.
fn slice(len: i64, start: Option<i64>, end: Option<i64>, step: Option<i64>) -> Vec<usize> {
    let norm = |i: i64| if i >= 0 { i } else { len + i };
    let mut out = Vec::new();
    match step.unwrap_or(1) {
        e if e > 0 => {
            let lower = norm(start.unwrap_or(0)).clamp(0, len);
            let upper = norm(end.unwrap_or(len)).clamp(0, len);
            let mut i = lower;
            while i < upper {
                out.push(i as usize);
                i = i.saturating_add(e);
            }
        }
        e if e < 0 => {
            let lower = norm(end.unwrap_or(-len - 1)).clamp(-1, len - 1);
            let upper = norm(start.unwrap_or(len - 1)).clamp(-1, len - 1);
            let mut i = upper;
            while lower < i {
                out.push(i as usize);
                i = i.saturating_add(e);
            }
        }
        _ => {}
    }
    out
}

/// Nodes in the subtree of `node`, counting at most `limit` of them.
fn subtree_size(node: NodeRef, limit: u64) -> Result<u64, Stop> {
    let mut n = 0u64;
    let mut stack = vec![node];
    while let Some(x) = stack.pop() {
        n += 1;
        if n > limit {
            return Err(Stop::Budget);
        }
        stack.extend(x.iter());
    }
    Ok(n)
}

/// Whether a filter has a query from the root (`$`).
fn filter_reads_root(f: &Filter) -> bool {
    let mut root = false;
    visit_filter(f, &mut |q| root |= q.from_root);
    root
}

/// A query inside a filter: whether it starts at the root, how many of its
/// segments may yield more than one node, and the filters it holds.
struct Inner<'a> {
    from_root: bool,
    multi: u32,
    filters: Vec<&'a Filter>,
}

/// An upper bound of the steps a filter takes on one child of a node of
/// `size` nodes (a query from the root reads `root_size` nodes): a query
/// whose segments may yield many nodes yields at most `n` per node and
/// segment, so it takes at most `n^(multi + 1)`, times the work of the
/// filters inside it.
fn filter_cost(f: &Filter, size: u64, root_size: u64) -> u64 {
    let mut cost: u64 = 1;
    visit_filter(f, &mut |q| {
        let n = if q.from_root { root_size.max(1) } else { size.max(1) };
        let mut c = n.saturating_pow(q.multi.saturating_add(1));
        for inner in &q.filters {
            c = c.saturating_mul(filter_cost(inner, size, root_size).saturating_mul(n));
        }
        cost = cost.saturating_add(c);
    });
    cost
}

fn segments_inner(segments: &[Segment], from_root: bool) -> Inner<'_> {
    let mut q = Inner { from_root, multi: 0, filters: Vec::new() };
    fn walk<'a>(seg: &'a Segment, q: &mut Inner<'a>) {
        match seg {
            Segment::Descendant(inner) => {
                q.multi += 1;
                walk(inner, q);
            }
            Segment::Selector(s) => sel(s, q, false),
            Segment::Selectors(ss) => {
                for s in ss {
                    sel(s, q, ss.len() > 1);
                }
            }
        }
    }
    fn sel<'a>(s: &'a Selector, q: &mut Inner<'a>, many: bool) {
        match s {
            Selector::Wildcard | Selector::Slice(..) => q.multi += 1,
            Selector::Filter(f) => {
                q.multi += 1;
                q.filters.push(f);
            }
            Selector::Name(_) | Selector::Index(_) if many => q.multi += 1,
            Selector::Name(_) | Selector::Index(_) => {}
        }
    }
    for s in segments {
        walk(s, &mut q);
    }
    q
}

/// Calls `f` with every query directly inside a filter (not those inside
/// its nested filters, which `filter_cost` reaches through `Inner`).
fn visit_filter(filter: &Filter, f: &mut dyn FnMut(&Inner)) {
    match filter {
        Filter::Or(v) | Filter::And(v) => v.iter().for_each(|x| visit_filter(x, f)),
        Filter::Atom(FilterAtom::Filter { expr, .. }) => visit_filter(expr, f),
        Filter::Atom(FilterAtom::Test { expr, .. }) => visit_test(expr, f),
        Filter::Atom(FilterAtom::Comparison(c)) => {
            let (a, b) = match c.as_ref() {
                Comparison::Eq(a, b)
                | Comparison::Ne(a, b)
                | Comparison::Gt(a, b)
                | Comparison::Gte(a, b)
                | Comparison::Lt(a, b)
                | Comparison::Lte(a, b) => (a, b),
            };
            visit_comparable(a, f);
            visit_comparable(b, f);
        }
    }
}

fn visit_comparable(c: &Comparable, f: &mut dyn FnMut(&Inner)) {
    match c {
        Comparable::Literal(_) => {}
        Comparable::Function(func) => visit_function(func, f),
        Comparable::SingularQuery(SingularQuery::Current(_)) => {
            f(&Inner { from_root: false, multi: 0, filters: Vec::new() })
        }
        Comparable::SingularQuery(SingularQuery::Root(_)) => {
            f(&Inner { from_root: true, multi: 0, filters: Vec::new() })
        }
    }
}

fn visit_test(t: &Test, f: &mut dyn FnMut(&Inner)) {
    match t {
        Test::RelQuery(segs) => f(&segments_inner(segs, false)),
        Test::AbsQuery(q) => f(&segments_inner(&q.segments, true)),
        Test::Function(func) => visit_function(func, f),
    }
}

fn visit_function(func: &TestFunction, f: &mut dyn FnMut(&Inner)) {
    let args: Vec<&FnArg> = match func {
        TestFunction::Custom(_, args) => args.iter().collect(),
        TestFunction::Length(a) => vec![a.as_ref()],
        TestFunction::Value(a) | TestFunction::Count(a) => vec![a],
        TestFunction::Search(a, b) | TestFunction::Match(a, b) => vec![a, b],
    };
    for a in args {
        match a {
            FnArg::Literal(_) => {}
            FnArg::Test(t) => visit_test(t, f),
            FnArg::Filter(x) => visit_filter(x, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tree::Tree;

    fn doc() -> Json {
        serde_json::json!({
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "app:1", "ports": [{"containerPort": 80}, {"containerPort": 443}]},
                {"name": "side", "image": "side:2", "ports": []},
                {"name": "log", "image": "log:3"}
            ]}}},
            "list": [0, 1, 2, 3, 4, 5, 6]
        })
    }

    /// Every query gives the same values, in the same order, as
    /// jsonpath-rust on a copy of the document.
    #[test]
    fn same_results_as_jsonpath_rust() {
        let json = doc();
        let (tree, root) = Tree::from_json(&json);
        for q in [
            "$.kind",
            "$.metadata.labels.*",
            "$..name",
            "$..*",
            "$..ports[*].containerPort",
            "$.spec.template.spec.containers[?(@.name == 'side')].image",
            "$.spec.template.spec.containers[?@.ports].name",
            "$.spec.template.spec.containers[?count(@.ports[*]) > 1].name",
            "$.spec.template.spec.containers[?@.name == $.metadata.name].name",
            "$..containers[-1].name",
            "$.list[1:5:2]",
            "$.list[::-1]",
            "$.list[-2:]",
            "$.list[5:1:-2]",
            "$['kind','metadata']",
            "$..[?@.containerPort > 100]",
            "$.missing.*",
        ] {
            let parsed = jsonpath_rust::parser::parse_json_path(q).expect(q);
            let want: Vec<Json> = jsonpath_rust::query::js_path_process(&parsed, &json)
                .expect(q)
                .into_iter()
                .map(|r| r.val().clone())
                .collect();
            let got: Vec<Json> = match query(&parsed, tree.get(root), u64::MAX).expect(q).0 {
                Found::Nodes(n) => n.into_iter().map(|n| n.to_json()).collect(),
                Found::Copies(c) => c,
            };
            assert_eq!(got, want, "{q}");
        }
    }

    #[test]
    fn every_node_counts_and_the_budget_stops_it() {
        let json = doc();
        let (tree, root) = Tree::from_json(&json);
        let q = jsonpath_rust::parser::parse_json_path("$..*..*..*").expect("parses");
        let (_, used) = query(&q, tree.get(root), u64::MAX).expect("small enough");
        assert!(used > 1000, "{used}");
        assert_eq!(query(&q, tree.get(root), used - 1).err(), Some(Stop::Budget));
        assert!(query(&q, tree.get(root), used).is_ok());
    }
}
