//! The dispatch loop: one match over the ops of the program.

use super::*;

impl<'w> Vm<'w> {
    pub(super) fn exec(&mut self, mut pc: usize) -> Result<Val<'w>, EvalError> {
        let ops = &self.prog.ops;
        let mut steps: u64 = 0;
        // Steps already reported to the rule's meter, and when to next.
        let mut reported: u64 = 0;
        let mut next_tick = match self.current_meter() {
            Some(m) if m.stopped() => return Err(EvalError::RuleBudget),
            Some(_) => TICK,
            None => u64::MAX,
        };
        loop {
            steps += 1;
            if steps > self.budget {
                return Err(EvalError::Budget(self.budget));
            }
            if steps >= next_tick {
                self.tick(&mut reported, steps, false)?;
                next_tick = steps.saturating_add(TICK);
            }
            let op = *ops.get(pc).ok_or(EvalError::Internal("jump out of program"))?;
            pc += 1;
            match op {
                Op::Const(c) => {
                    let v = self.constant(c);
                    self.stack.push(v);
                }
                Op::Absent => self.stack.push(Val::Absent),
                Op::Load(s) => {
                    let v = self.slots.get(s as usize).cloned().unwrap_or(Val::Absent);
                    self.stack.push(v);
                }
                Op::Store(s) => {
                    let v = self.pop();
                    if let Some(slot) = self.slots.get_mut(s as usize) {
                        *slot = v;
                    }
                }
                Op::Path(p) => {
                    let spec = &self.prog.paths[p.index()];
                    let n = spec.dyn_count();
                    let at = self.stack.len().saturating_sub(n);
                    let dyns: Vec<Val<'w>> = self.stack.split_off(at);
                    let base = self.pop();
                    if let (Some(t), Val::Obj(o)) = (&self.trace, &base)
                        && t.subject.is_some_and(|s| std::ptr::eq(s, *o))
                        && n == 0
                        && self.tracing_here()
                    {
                        self.record(TraceItem::Field { path: p });
                    }
                    let v = if n == 0 {
                        self.cached_path(p, base, &spec.segs)
                    } else {
                        self.path_value(base, &spec.segs, &dyns)
                    };
                    self.stack.push(v);
                }
                Op::Query(q) => {
                    let base = self.pop();
                    let root = match &base {
                        Val::Obj(o) => Some(o.value()),
                        Val::J(j) => Some(*j),
                        _ => None,
                    };
                    let v = match root {
                        Some(root) => {
                            let (_, query) = &self.prog.queries[q.index()];
                            // Every node visited or selected is a step; the
                            // results are the tree's own nodes.
                            match jsonpath::query(query, root, self.budget.saturating_sub(steps)) {
                                Ok((found, used)) => {
                                    self.spend(&mut steps, used)?;
                                    Val::List(Rc::new(match found {
                                        jsonpath::Found::Nodes(n) => n.into_iter().map(Val::json).collect(),
                                        jsonpath::Found::Copies(c) => c.iter().map(Val::owned).collect(),
                                    }))
                                }
                                Err(jsonpath::Stop::Budget) => {
                                    return Err(EvalError::TooCostly(
                                        "a JSONPath query",
                                        self.budget.saturating_sub(steps).saturating_add(1),
                                        self.budget,
                                    ));
                                }
                                Err(jsonpath::Stop::TooLarge) => {
                                    return Err(EvalError::QueryTooLarge(jsonpath::MAX_QUERY_NODES));
                                }
                            }
                        }
                        None => Val::Absent,
                    };
                    self.stack.push(v);
                }
                Op::List(n) => {
                    let at = self.stack.len().saturating_sub(n as usize);
                    let items = self.stack.split_off(at);
                    self.stack.push(Val::List(Rc::new(items)));
                }
                Op::Map(n) => {
                    let at = self.stack.len().saturating_sub(2 * n as usize);
                    let items = self.stack.split_off(at);
                    let mut map = std::collections::BTreeMap::new();
                    for pair in items.chunks(2) {
                        if let [k, v] = pair
                            && let Some(k) = k.as_str()
                        {
                            map.insert(k.to_string(), v.clone());
                        }
                    }
                    self.stack.push(Val::Map(Rc::new(map)));
                }
                Op::Call(f, argc) => {
                    // The arguments are read where they lie on the stack (a
                    // call per object must not allocate a vector for them).
                    let at = self.stack.len().saturating_sub(argc as usize);
                    let func = functions::implementation(f).ok_or(EvalError::Internal("unknown function"))?;
                    let args = &self.stack[at..];
                    let v = match args {
                        [arg @ Val::List(l)] if l.len() >= MEMO_MIN_LEN => {
                            let key = (f, Rc::as_ptr(l) as usize);
                            match self.call_memo.get(&key) {
                                Some((_, v)) => v.clone(),
                                None => {
                                    let v = func(args);
                                    self.call_memo.insert(key, (arg.clone(), v.clone()));
                                    v
                                }
                            }
                        }
                        _ if args.len() == argc as usize => func(args),
                        _ => Val::Absent,
                    };
                    let located = if self.tracing_here() {
                        functions::locator(f).and_then(|locate| locate(&self.stack[at..]))
                    } else {
                        None
                    };
                    self.stack.truncate(at);
                    if let Some(node) = located {
                        self.record(TraceItem::At { node });
                    }
                    self.stack.push(v);
                }
                Op::Add(n) => {
                    let at = self.stack.len().saturating_sub(n as usize);
                    let items = self.stack.split_off(at);
                    let v = self.add(items);
                    self.stack.push(v);
                }
                Op::Sub | Op::Mul => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    self.stack.push(arith(op == Op::Sub, &lhs, &rhs));
                }
                Op::Cmp(c, t) | Op::CmpText(c, t) => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    let typed = if matches!(op, Op::Cmp(..)) { typed_strings(&lhs, &rhs) } else { None };
                    // The evidence shows the values as written, labelled
                    // with the type they were compared as.
                    let (lhs, rhs, typing) = match typed {
                        Some((typing, l, r)) => (l, r, Some((typing, lhs, rhs))),
                        None => (lhs, rhs, None),
                    };
                    let holds = match c {
                        Cmp::Eq => equal(&lhs, &rhs),
                        Cmp::Ne => not_equal(&lhs, &rhs),
                        Cmp::Lt => compare(&lhs, &rhs).is_some_and(|o| o.is_lt()),
                        Cmp::Le => compare(&lhs, &rhs).is_some_and(|o| o.is_le()),
                        Cmp::Gt => compare(&lhs, &rhs).is_some_and(|o| o.is_gt()),
                        Cmp::Ge => compare(&lhs, &rhs).is_some_and(|o| o.is_ge()),
                    };
                    match typing {
                        Some((typing, l, r)) => self.trace_typed(t, &l, &r, holds, typing),
                        None => self.trace_compared(t, &lhs, &rhs, holds),
                    }
                    self.stack.push(Val::Bool(holds));
                }
                Op::Test(kind, t) => {
                    let v = self.pop();
                    let holds = match kind {
                        Check1::Exists => v.exists(),
                        Check1::Empty => v.is_empty(),
                        Check1::Null => matches!(v, Val::Null),
                        Check1::Truthy => v.truthy(),
                    };
                    if kind != Check1::Truthy {
                        self.trace_compared(t, &v, &Val::Absent, holds);
                    }
                    self.stack.push(Val::Bool(holds));
                }
                Op::Test2(kind, t) => {
                    let rhs = self.pop();
                    let lhs = self.pop();
                    let holds = match (kind, &lhs, &rhs) {
                        (Check2::In, Val::S(_) | Val::Str(_), Val::List(l)) if l.len() >= MEMO_MIN_LEN => {
                            self.string_member(&lhs, &rhs).unwrap_or_else(|| test2(kind, &lhs, &rhs))
                        }
                        _ => test2(kind, &lhs, &rhs),
                    };
                    self.trace_compared(t, &lhs, &rhs, holds);
                    self.stack.push(Val::Bool(holds));
                }
                Op::Match(r, t) => {
                    let v = self.pop();
                    let holds = match v.as_str() {
                        Some(s) => {
                            // A match takes at most (length + 1) × program
                            // size steps of the automaton: counted before it
                            // runs, so a costly one never starts.
                            let size = self.regex_sizes.get(r.index()).copied().unwrap_or(1);
                            let cost = (s.len() as u64 + 1).saturating_mul(size);
                            if steps.saturating_add(cost) > self.budget {
                                return Err(EvalError::TooCostly("matching a regex", cost, self.budget));
                            }
                            self.spend(&mut steps, cost)?;
                            self.prog.regexes[r.index()].is_match(s)
                        }
                        None => false,
                    };
                    self.trace_compared(t, &v, &Val::Absent, holds);
                    self.stack.push(Val::Bool(holds));
                }
                Op::Not => {
                    let v = self.pop();
                    self.stack.push(Val::Bool(!v.truthy()));
                }
                Op::JumpIfFalse(target) => {
                    if !self.pop().truthy() {
                        pc = target as usize;
                    }
                }
                Op::AndJump(target) => {
                    if self.stack.last().is_some_and(|v| !v.truthy()) {
                        pc = target as usize;
                    } else {
                        self.pop();
                    }
                }
                Op::OrJump(target) => {
                    if self.stack.last().is_some_and(|v| v.truthy()) {
                        pc = target as usize;
                    } else {
                        self.pop();
                    }
                }
                Op::Jump(target) => pc = target as usize,
                Op::KindIn(k) => {
                    let v = self.pop();
                    let set = &self.prog.kind_sets[k.index()];
                    let holds = matches!(&v, Val::Obj(o) if set.iter().any(|s| o.kind.eq_ignore_ascii_case(s)));
                    self.stack.push(Val::Bool(holds));
                }
                Op::IterStart(d, slot) => {
                    let scanned = match self.prog.domains.get(d.index()).map(|x| &x.source) {
                        Some(DomainSource::Objects { envs, .. })
                            if self.trace.as_ref().is_some_and(|t| t.depth == self.iters.len())
                                && self.tracing_here() =>
                        {
                            Some(self.scope_envs(envs))
                        }
                        _ => None,
                    };
                    let elems = self.domain(d)?;
                    if let Some(envs) = scanned {
                        self.record(TraceItem::Scanned { envs });
                    }
                    // Also while tracing: a comprehension's body runs at
                    // iteration depth >= 1, where nothing is recorded.
                    let cache_key = if self.prog.invariant.contains(&d) || self.join_invariant(d, &elems) {
                        cache_key(d, &elems)
                    } else {
                        None
                    };
                    if let Some(key) = &cache_key
                        && let Some(v) = self.memo.get(key)
                        && let Some(Op::IterNext(end)) = ops.get(pc)
                    {
                        // Skip the body and its `CollectEnd`.
                        self.stack.push(v.clone());
                        pc = *end as usize + 1;
                        continue;
                    }
                    self.iters.push(Iter {
                        cache_key,
                        elems,
                        seg: 0,
                        pos: 0,
                        slot,
                        trues: 0,
                        total: 0,
                        label: d,
                        collected: Vec::new(),
                    });
                }
                Op::IterNext(end) => {
                    if !self.advance() {
                        pc = end as usize;
                    }
                }
                Op::QStep(q, end) => {
                    let verdict = self.pop().truthy();
                    let traced = self.trace.as_ref().is_some_and(|t| t.depth + 1 == self.iters.len());
                    let it = self.iters.last_mut().ok_or(EvalError::Internal("QStep outside iteration"))?;
                    it.total += 1;
                    it.trues += u32::from(verdict);
                    let decided = match q {
                        Quant::Every => !verdict,
                        Quant::Some => verdict,
                        Quant::No => verdict,
                        Quant::AtLeast(n) => it.trues >= n,
                        Quant::AtMost(n) | Quant::Exactly(n) => it.trues > n,
                    };
                    let (slot, label) = (it.slot, it.label);
                    let notable = match q {
                        Quant::Every => !verdict,
                        _ => verdict,
                    };
                    if traced && notable {
                        let elem = self.slots.get(slot as usize).cloned().unwrap_or(Val::Absent);
                        let domain = label;
                        let label = self.prog.domains.get(label.index()).map(|d| d.label.clone()).unwrap_or_default();
                        self.record(TraceItem::Element { label, elem, domain });
                    }
                    if decided && self.trace.is_none() {
                        pc = end as usize;
                    }
                }
                Op::QEnd(q) => {
                    let it = self.iters.pop().ok_or(EvalError::Internal("QEnd outside iteration"))?;
                    let r = match q {
                        Quant::Every => it.trues == it.total,
                        Quant::Some => it.trues > 0,
                        Quant::No => it.trues == 0,
                        Quant::AtLeast(n) => it.trues >= n,
                        Quant::AtMost(n) => it.trues <= n,
                        Quant::Exactly(n) => it.trues == n,
                    };
                    self.stack.push(Val::Bool(r));
                }
                Op::Collect => {
                    let v = self.pop();
                    if let Some(it) = self.iters.last_mut()
                        && !v.is_absent()
                    {
                        it.collected.push(v);
                    }
                }
                Op::CollectEnd => {
                    let it = self.iters.pop().ok_or(EvalError::Internal("CollectEnd outside iteration"))?;
                    let set = Val::List(Rc::new(into_set(it.collected)));
                    if let Some(key) = it.cache_key {
                        self.memo.insert(key, set.clone());
                    }
                    self.stack.push(set);
                }
                Op::Counterpart(sel) => {
                    let v = self.pop();
                    let r = match v {
                        Val::Obj(o) => {
                            let envs = self.select_envs(sel, Some(o.env));
                            envs.first().and_then(|e| self.counterpart(o, *e)).map(Val::Obj).unwrap_or(Val::Absent)
                        }
                        _ => Val::Absent,
                    };
                    self.stack.push(r);
                }
                Op::ExistsIn(sel) => {
                    let v = self.pop();
                    let r = match v {
                        Val::Obj(o) => {
                            let missing: Vec<EnvId> = self
                                .select_envs(sel, Some(o.env))
                                .into_iter()
                                .filter(|e| *e != o.env && self.counterpart(o, *e).is_none())
                                .collect();
                            let ok = missing.is_empty();
                            if !ok && self.tracing_here() {
                                self.record(TraceItem::Missing { envs: missing });
                            }
                            ok
                        }
                        _ => false,
                    };
                    self.stack.push(Val::Bool(r));
                }
                Op::Drift => {
                    let right = self.pop();
                    let left = self.pop();
                    let ok = match (left, right) {
                        (Val::Obj(l), Val::Obj(r)) if !std::ptr::eq(l, r) => {
                            let (diffs, visited) = self.drift(l, r)?;
                            self.spend(&mut steps, visited)?;
                            let ok = diffs.is_empty();
                            if !ok && self.tracing_here() {
                                self.record(TraceItem::Drift { other: r, diffs });
                            }
                            ok
                        }
                        // Nothing to compare with (no counterpart): no difference.
                        _ => true,
                    };
                    self.stack.push(Val::Bool(ok));
                }
                Op::EnvOf(sel) => {
                    let cur = match self.slots.get(1) {
                        Some(Val::Env(e)) => Some(*e),
                        _ => None,
                    };
                    let v = self.select_envs(sel, cur).first().map(|e| Val::Env(*e)).unwrap_or(Val::Absent);
                    self.stack.push(v);
                }
                Op::EnvMemo(skip) => {
                    if self.trace.is_none()
                        && !env_memo_off()
                        && let Some(v) = self.env_memo.get(&(pc as u32 - 1, self.memo_env()))
                    {
                        self.stack.push(v.clone());
                        pc = skip as usize;
                    }
                }
                Op::EnvMemoPut(at) => {
                    if let Some(v) = self.stack.last() {
                        let key = (at, self.memo_env());
                        self.env_memo.insert(key, v.clone());
                    }
                }
                Op::Ret => {
                    if self.meters.is_some() {
                        self.tick(&mut reported, steps, true)?;
                    }
                    return Ok(self.pop());
                }
            }
        }
    }

    /// A comparison of two data strings read as `typing`: the evidence says
    /// so next to each side (`resources.limits.cpu (as quantity)`).
    pub(super) fn trace_typed(&mut self, t: TextId, lhs: &Val<'w>, rhs: &Val<'w>, holds: bool, typing: value::Typing) {
        if self.tracing_here() {
            let label = |s: String| if s.is_empty() { s } else { format!("{s} (as {})", typing.name()) };
            let (l, r) = (label(self.text(t)), label(self.text(t.rhs())));
            self.record(TraceItem::Compared { lhs: l, lhs_val: lhs.clone(), rhs: r, rhs_val: rhs.clone(), holds });
        }
    }

    pub(super) fn trace_compared(&mut self, t: TextId, lhs: &Val<'w>, rhs: &Val<'w>, holds: bool) {
        if self.tracing_here() {
            let (l, r) = (self.text(t), self.text(t.rhs()));
            self.record(TraceItem::Compared { lhs: l, lhs_val: lhs.clone(), rhs: r, rhs_val: rhs.clone(), holds });
        }
    }

    pub(super) fn constant(&self, c: ConstId) -> Val<'w> {
        use crate::bytecode::Const;
        match &self.prog.consts[c.index()] {
            Const::Null => Val::Null,
            Const::Bool(b) => Val::Bool(*b),
            Const::Num(n) => Val::Num(*n),
            Const::Str(s) => Val::S(s.as_str()),
            Const::Quantity(q) => Val::Qty(*q),
            Const::Version(v) => Val::Ver(Rc::new(v.clone())),
        }
    }

    pub(super) fn add(&self, items: Vec<Val<'w>>) -> Val<'w> {
        if items.iter().any(Val::is_absent) {
            return Val::Absent;
        }
        if items.iter().all(|v| matches!(v, Val::Num(_))) {
            return Val::Num(items.iter().map(|v| if let Val::Num(n) = v { *n } else { 0.0 }).sum());
        }
        // A quantity makes the sum a quantity, by value: every other term
        // must read as one (a number, or a string in quantity syntax), else
        // the sum is absent. Never the terms' text joined.
        if items.iter().any(|v| matches!(v, Val::Qty(_))) {
            let mut nanos: i128 = 0;
            for v in &items {
                let Some(q) = value::as_quantity(v) else { return Val::Absent };
                let Some(n) = nanos.checked_add(q.nanos()) else { return Val::Absent };
                nanos = n;
            }
            return Val::Qty(crate::world::Quantity::from_nanos(nanos));
        }
        if items.iter().all(|v| v.elements().is_some() && !v.is_map()) {
            return Val::List(Rc::new(items.iter().flat_map(|v| v.elements().unwrap_or_default()).collect()));
        }
        let names = |e: EnvId| self.env_name(e);
        let mut s = String::new();
        for v in &items {
            s.push_str(&value::display(v, &names));
        }
        Val::str(s)
    }

    /// `x in list` for a string `x` and a large list, through a hash index
    /// built once per list; `None` when the list holds non-strings (whose
    /// equality with a string may coerce), so the caller scans.
    pub(super) fn string_member(&mut self, x: &Val<'w>, list: &Val<'w>) -> Option<bool> {
        let (Val::List(l), Some(x)) = (list, x.as_str()) else { return None };
        let (_, index) = self.in_index.entry(Rc::as_ptr(l) as usize).or_insert_with(|| {
            let strings: StringIndex = l
                .iter()
                .map(|v| match v {
                    Val::S(s) => Some(Rc::from(*s)),
                    Val::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            (list.clone(), strings)
        });
        index.as_ref().map(|set| set.contains(x))
    }
}
