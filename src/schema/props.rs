//! The fields of an object type in the schema table ([`Ty::props`]): sorted
//! by name, as the JSON object they are read from, and looked up by a scan
//! that compares lengths and first bytes before any text (most types have
//! a few dozen fields), or a binary search for the largest. The validator
//! looks up every field of every object here; a `BTreeMap`'s string
//! comparisons were most of its cost.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::Ty;

/// Types with more fields than this are binary-searched.
const SCAN_MAX: usize = 32;

#[derive(Debug, Default)]
pub struct Props {
    /// Sorted by name, names unique.
    entries: Vec<(String, Ty)>,
    /// The first byte of each name (0 for an empty one), side by side:
    /// [`Props::walk`] skips fields by these without reaching into the
    /// names (each on the heap of its own).
    firsts: Vec<u8>,
}

fn first_byte(name: &str) -> u8 {
    name.as_bytes().first().copied().unwrap_or(0)
}

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Props, D::Error> {
        let map = BTreeMap::<String, Ty>::deserialize(d)?;
        let entries: Vec<(String, Ty)> = map.into_iter().collect();
        let firsts = entries.iter().map(|(k, _)| first_byte(k)).collect();
        Ok(Props { entries, firsts })
    }
}

impl Props {
    /// The type of field `key`.
    pub fn get(&self, key: &str) -> Option<&Ty> {
        let want = key.as_bytes();
        let at = if self.entries.len() <= SCAN_MAX {
            self.entries.iter().position(|(k, _)| {
                let k = k.as_bytes();
                k.len() == want.len() && k.first() == want.first() && k == want
            })?
        } else {
            self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?
        };
        Some(&self.entries[at].1)
    }

    /// The type of field `key`, looking from `*at` on and leaving `*at` at
    /// the first field not before `key`: called with ascending keys (an
    /// object's keys, which the tree keeps sorted by their bytes, as these
    /// are), it passes each field once instead of searching per key. Most
    /// steps are settled by the first bytes alone. A key that sorts before
    /// `*at` is not found: look it up with [`Props::get`].
    pub fn walk(&self, at: &mut usize, key: &[u8]) -> Option<&Ty> {
        use std::cmp::Ordering;
        let first = key.first().copied().unwrap_or(0);
        while let Some(&f) = self.firsts.get(*at) {
            let order = if f != first { f.cmp(&first) } else { self.entries[*at].0.as_bytes().cmp(key) };
            match order {
                Ordering::Less => *at += 1,
                Ordering::Equal => return Some(&self.entries[*at].1),
                Ordering::Greater => return None,
            }
        }
        None
    }

    /// The field names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Ty> {
        self.entries.iter().map(|(_, t)| t)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Ty> {
        self.entries.iter_mut().map(|(_, t)| t)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Ty)> {
        self.entries.iter().map(|(k, t)| (k, t))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Sets field `key`'s type (replacing one already there).
    pub fn insert(&mut self, key: String, ty: Ty) {
        match self.entries.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => self.entries[i].1 = ty,
            Err(i) => {
                self.firsts.insert(i, first_byte(&key));
                self.entries.insert(i, (key, ty));
            }
        }
    }

    /// Field `key`'s type, added as `f()` when it has none.
    pub fn get_or_insert_with(&mut self, key: &str, f: impl FnOnce() -> Ty) -> &mut Ty {
        let i = match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(i) => i,
            Err(i) => {
                self.firsts.insert(i, first_byte(key));
                self.entries.insert(i, (key.to_string(), f()));
                i
            }
        };
        &mut self.entries[i].1
    }
}

impl<'a> IntoIterator for &'a Props {
    type Item = (&'a String, &'a Ty);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Ty)>, fn(&'a (String, Ty)) -> (&'a String, &'a Ty)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, t)| (k, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(t: &str) -> Ty {
        Ty { t: t.into(), ..Ty::default() }
    }

    #[test]
    fn lookups_find_every_field_and_nothing_else_by_scan_and_by_search() {
        for n in [0, 1, 5, SCAN_MAX, SCAN_MAX + 1, 100] {
            let mut p = Props::default();
            // Inserted out of order, with names sharing lengths and first bytes.
            for i in (0..n).rev() {
                p.insert(format!("f{i:03}"), ty("s"));
            }
            p.insert("f000".into(), ty("i"));
            assert_eq!(p.len(), n.max(1));
            let keys: Vec<&String> = p.keys().collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted");
            for i in 1..n {
                assert_eq!(p.get(&format!("f{i:03}")).map(|t| t.t.as_str()), Some("s"));
            }
            assert_eq!(p.get("f000").map(|t| t.t.as_str()), Some("i"));
            for missing in ["", "f", "f0000", "g000", "F001"] {
                assert!(p.get(missing).is_none(), "{missing}");
            }
        }
        let mut p = Props::default();
        for k in ["a", "ab", "b", "ba", "bb", "c", "é"] {
            p.insert(k.into(), ty(k));
        }
        // Walked with ascending keys (present, absent, empty), it finds what
        // `get` finds; a key before the walk's place is not found by it.
        let keys = ["", "a", "aa", "ab", "b", "bb", "bc", "d", "é", "ê"];
        let mut at = 0;
        for k in keys {
            assert_eq!(p.walk(&mut at, k.as_bytes()).map(|t| &t.t), p.get(k).map(|t| &t.t), "{k}");
        }
        let mut at = 0;
        assert!(p.walk(&mut at, b"c").is_some());
        assert!(p.walk(&mut at, b"a").is_none(), "passed by the walk");
        let mut p = Props::default();
        p.get_or_insert_with("b", || ty("s"));
        p.get_or_insert_with("a", || ty("i")).t = "n".into();
        p.get_or_insert_with("a", || ty("b"));
        assert_eq!(p.iter().map(|(k, t)| format!("{k}:{}", t.t)).collect::<Vec<_>>(), ["a:n", "b:s"]);
    }

    #[test]
    fn reads_a_json_object_sorted() {
        let p: Props = serde_json::from_str(r#"{"z": {"t": "s"}, "a": {"t": "i"}}"#).expect("props");
        assert_eq!(p.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "z"]);
    }
}
