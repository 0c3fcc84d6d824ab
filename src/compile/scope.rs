//! The names in scope when rules compile: built-in nouns (every kind,
//! `workload`, `object`, `env`), then the prelude's definitions, then the
//! user's, each layer shadowing the one below. Two definitions of one name
//! in one layer are an error.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::diag::Diag;
use crate::diag::DiagCode;
use crate::syntax::ast::{CollectionDef, Item, Module, NounDef, QualifierDef, Span, ValueDef};
use crate::world::WORKLOAD_KINDS;
use crate::world::kinds::{KINDS, plural};

/// Where a module comes from: the prelude is shadowed by everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Prelude,
    User,
}

/// A built-in noun.
#[derive(Debug, Clone, PartialEq)]
pub enum Builtin {
    Env,
    /// Objects of these kinds; `None`: every kind.
    Kinds(Option<Vec<String>>),
}

/// What a noun name refers to.
#[derive(Debug, Clone, Copy)]
pub enum NounRef<'a> {
    Builtin(&'a Builtin),
    Def(&'a NounDef),
    Collection(&'a str),
}

#[derive(Default)]
pub struct Defs<'a> {
    builtins: HashMap<String, Builtin>,
    nouns: HashMap<String, &'a NounDef>,
    collections: HashMap<String, Vec<&'a CollectionDef>>,
    qualifiers: HashMap<String, Vec<&'a QualifierDef>>,
    values: HashMap<String, &'a ValueDef>,
    /// plural (and singular) spelling → singular noun name.
    spelling: HashMap<String, String>,
}

impl<'a> Defs<'a> {
    /// Builds the scope from modules in layer order; definitions of a higher
    /// layer replace those of a lower one.
    pub fn new(modules: &'a [(Module, Layer)]) -> Result<Defs<'a>, Vec<Diag>> {
        let mut defs = Defs::default();
        let workload: Vec<String> = WORKLOAD_KINDS.iter().map(|(k, _)| k.to_string()).collect();
        defs.builtin("env", Builtin::Env);
        defs.builtin("object", Builtin::Kinds(None));
        defs.builtin("workload", Builtin::Kinds(Some(workload)));
        for (k, _) in KINDS {
            defs.builtin(k, Builtin::Kinds(Some(vec![k.to_string()])));
        }
        let mut errors = Vec::new();
        for layer in [Layer::Prelude, Layer::User] {
            // Names defined in this layer, to find duplicates and to drop
            // the lower layer's definitions of the same name.
            let mut seen: HashSet<(u8, String)> = HashSet::new();
            let mut qual_seen: HashSet<(String, String)> = HashSet::new();
            let mut replaced_quals: BTreeSet<String> = BTreeSet::new();
            for (module, _) in modules.iter().filter(|(_, l)| *l == layer) {
                for item in &module.items {
                    let (ns, name, span) = match item {
                        Item::Noun(n) => (0u8, n.name.text.to_ascii_lowercase(), n.name.span),
                        Item::Collection(c) => (0, c.name.text.to_ascii_lowercase(), c.name.span),
                        Item::Value(v) => (2, v.name.text.clone(), v.name.span),
                        Item::Qualifier(q) => {
                            if replaced_quals.insert(q.name.text.clone()) {
                                defs.qualifiers.remove(&q.name.text);
                            }
                            for noun in &q.nouns {
                                let key = (q.name.text.clone(), noun.text.to_ascii_lowercase());
                                if !qual_seen.insert(key) {
                                    errors.push(duplicate(&q.name.text, q.name.span));
                                }
                            }
                            defs.qualifiers.entry(q.name.text.clone()).or_default().push(q);
                            continue;
                        }
                        Item::Rule(_) | Item::Tolerate(_) => continue,
                    };
                    if seen.contains(&(ns, name.clone())) && !matches!(item, Item::Collection(_)) {
                        errors.push(duplicate(&name, span));
                        continue;
                    }
                    seen.insert((ns, name.clone()));
                    match item {
                        Item::Noun(n) => {
                            defs.collections.remove(&name);
                            defs.nouns.insert(name.clone(), n);
                            defs.spell(&name);
                        }
                        Item::Collection(c) => {
                            if !defs
                                .collections
                                .get(&name)
                                .is_some_and(|v| v.iter().any(|d| same_layer(modules, d, layer)))
                            {
                                defs.collections.remove(&name);
                            }
                            defs.nouns.remove(&name);
                            defs.collections.entry(name.clone()).or_default().push(c);
                            defs.spell(&name);
                        }
                        Item::Value(v) => {
                            defs.values.insert(name, v);
                        }
                        _ => {}
                    }
                }
            }
        }
        if errors.is_empty() { Ok(defs) } else { Err(errors) }
    }

    fn builtin(&mut self, name: &str, b: Builtin) {
        self.builtins.insert(name.to_string(), b);
        self.spell(name);
    }

    fn spell(&mut self, name: &str) {
        self.spelling.insert(name.to_string(), name.to_string());
        self.spelling.entry(plural(name)).or_insert_with(|| name.to_string());
    }

    /// Resolves a noun as written (any case, singular or plural).
    pub fn noun(&self, written: &str) -> Option<(String, NounRef<'_>)> {
        let lower = written.to_ascii_lowercase();
        let name = self.spelling.get(&lower)?;
        if let Some(d) = self.nouns.get(name) {
            return Some((name.clone(), NounRef::Def(d)));
        }
        if self.collections.contains_key(name) {
            return Some((name.clone(), NounRef::Collection(self.collections.get_key_value(name)?.0)));
        }
        self.builtins.get(name).map(|b| (name.clone(), NounRef::Builtin(b)))
    }

    pub fn collection(&self, name: &str) -> &[&'a CollectionDef] {
        self.collections.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn qualifier(&self, name: &str) -> &[&'a QualifierDef] {
        self.qualifiers.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn value(&self, name: &str) -> Option<&'a ValueDef> {
        self.values.get(name).copied()
    }

    /// Every name a rule can write, for "did you mean".
    pub fn all_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.spelling.keys().map(String::as_str).collect();
        v.extend(self.qualifiers.keys().map(String::as_str));
        v.extend(self.values.keys().map(String::as_str));
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn qualifier_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.qualifiers.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

fn same_layer(modules: &[(Module, Layer)], def: &CollectionDef, layer: Layer) -> bool {
    modules
        .iter()
        .any(|(m, l)| *l == layer && m.items.iter().any(|i| matches!(i, Item::Collection(c) if std::ptr::eq(c, def))))
}

fn duplicate(name: &str, span: Span) -> Diag {
    Diag::new(DiagCode::Duplicate, span, format!("`{name}` is defined twice")).label("second definition").help(
        "rename one of them; a definition in your rules may replace one of the prelude's, but not another of yours",
    )
}
