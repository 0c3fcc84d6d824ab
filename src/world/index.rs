//! Join indexes (issue 18): for one env, one kind and one field path, the
//! objects of that kind by the text their path holds. The evaluator
//! (`crate::vm`) looks up `configmaps where metadata.namespace = X` here
//! instead of scanning every ConfigMap for every `X`.
//!
//! The world only keeps them: each is built the first time a rule asks for
//! it (by the evaluator, which knows how a path reads an object), once per
//! run, and then shared by every thread. A thread that asks while another
//! builds the same index waits for it rather than building it twice.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use super::EnvId;

/// One index: object indexes (into [`super::Env::objects`]) by the string
/// their path holds, each list in the order of [`super::Env::of_kind`].
/// Objects whose path holds anything but a string are in no list.
#[derive(Debug, Default)]
pub struct JoinIndex {
    by_text: HashMap<Box<str>, Arc<[u32]>>,
}

impl JoinIndex {
    /// Builds an index from (object index, text) pairs given in
    /// [`super::Env::of_kind`] order.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (u32, &'a str)>) -> JoinIndex {
        let mut lists: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (i, text) in pairs {
            match lists.get_mut(text) {
                Some(l) => l.push(i),
                None => {
                    lists.insert(text.into(), vec![i]);
                }
            }
        }
        JoinIndex { by_text: lists.into_iter().map(|(k, v)| (k, Arc::from(v))).collect() }
    }

    /// The objects whose path holds exactly `text` (none: an empty list).
    pub fn get(&self, text: &str) -> Option<&Arc<[u32]>> {
        self.by_text.get(text)
    }

    /// How many distinct texts the index holds.
    pub fn len(&self) -> usize {
        self.by_text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_text.is_empty()
    }
}

/// (env, kind, path as the evaluator spells it).
type Key = (EnvId, String, String);

/// The join indexes of one world, built on demand.
#[derive(Default)]
pub struct JoinIndexes {
    cells: Mutex<HashMap<Key, Arc<OnceLock<Arc<JoinIndex>>>>>,
}

impl fmt::Debug for JoinIndexes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.cells.lock().map(|c| c.len()).unwrap_or(0);
        write!(f, "JoinIndexes({n})")
    }
}

impl JoinIndexes {
    /// The index of `kind` objects of env `env` by `path`, built with
    /// `build` the first time any thread asks.
    pub fn get_or_build(
        &self,
        env: EnvId,
        kind: &str,
        path: &str,
        build: impl FnOnce() -> JoinIndex,
    ) -> Arc<JoinIndex> {
        let cell = {
            // A panic elsewhere while holding the lock leaves the map
            // itself intact: keep using it.
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry((env, kind.to_string(), path.to_string())).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(build())).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_the_order_given_and_are_built_once() {
        let idx = JoinIndexes::default();
        let built = std::sync::atomic::AtomicUsize::new(0);
        let make = || {
            built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            JoinIndex::from_pairs([(3, "a"), (5, "b"), (7, "a")])
        };
        let a = idx.get_or_build(0, "ConfigMap", "metadata.namespace", make);
        let b = idx.get_or_build(0, "ConfigMap", "metadata.namespace", make);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(built.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(a.get("a").map(|l| l.to_vec()), Some(vec![3, 7]));
        assert_eq!(a.get("b").map(|l| l.to_vec()), Some(vec![5]));
        assert!(a.get("c").is_none());
        assert_eq!(a.len(), 2);
        let other = idx.get_or_build(1, "ConfigMap", "metadata.namespace", make);
        assert!(!Arc::ptr_eq(&a, &other));
    }
}
