//! Versions as Kubernetes and container runtimes print them (`v1.30.4`,
//! `1.7.2`, `v1.30.4-rc.1`, `v1.30.4+k3s1`), compared semver-style.
//!
//! Equality, hashing and ordering look only at the numeric release (missing
//! parts count as 0) and the pre-release. The `v` prefix, how many parts were
//! written and build metadata are remembered for display but never compared,
//! so `v1.30 == 1.30.0` and `v1.30.4+k3s1 == v1.30.4`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A parsed version.
///
/// Release parts beyond the third are accepted and compared too (missing
/// ones as 0), though only major, minor and patch have accessors.
#[derive(Debug, Clone)]
pub struct Version {
    /// Numeric release parts, as written (at least one).
    parts: Vec<u64>,
    /// Pre-release identifiers, without the leading `-` (`rc.1`).
    pre: Option<String>,
    /// Build metadata, without the leading `+` (`k3s1`). Never compared.
    build: Option<String>,
    /// Whether the text started with `v` or `V`.
    v_prefix: bool,
}

impl Version {
    /// Parses a version: optional `v`/`V`, one or more dot-separated numeric
    /// parts, an optional `-pre.release` and an optional `+build.metadata`
    /// (identifiers of ASCII letters, digits and `-`), surrounding
    /// whitespace trimmed. Following semver, `1.7.2-1` has pre-release `1`.
    ///
    /// Rejects empty text, empty or non-numeric parts (`1..2`, `1.x`),
    /// numbers that overflow `u64`, and schemes (`containerd://1.7.2`; the
    /// caller strips those).
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let (v_prefix, rest) = match s.strip_prefix(['v', 'V']) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (rest, build) = match rest.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (rest, None),
        };
        let (release, pre) = match rest.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (rest, None),
        };
        let parts = release.split('.').map(parse_part).collect::<Option<Vec<u64>>>()?;
        if !pre.is_none_or(valid_identifiers) || !build.is_none_or(valid_identifiers) {
            return None;
        }
        Some(Version { parts, pre: pre.map(str::to_string), build: build.map(str::to_string), v_prefix })
    }

    /// The major version (`1` in `v1.30.4`).
    pub fn major(&self) -> u64 {
        self.part(0)
    }

    /// The minor version number (`30` in `v1.30.4`); 0 when not written.
    pub fn minor_number(&self) -> u64 {
        self.part(1)
    }

    /// The patch version (`4` in `v1.30.4`); 0 when not written.
    pub fn patch(&self) -> u64 {
        self.part(2)
    }

    /// The minor release this version belongs to, as Kubernetes names it:
    /// `v1.30.4-rc.1+k3s1` → `v1.30`. Two parts, no pre-release or build
    /// metadata, and the `v` prefix kept if the original had one.
    pub fn minor(&self) -> Version {
        Version { parts: vec![self.major(), self.minor_number()], pre: None, build: None, v_prefix: self.v_prefix }
    }

    /// The pre-release, without its `-` (`rc.1`), if any.
    pub fn pre_release(&self) -> Option<&str> {
        self.pre.as_deref()
    }

    /// The build metadata, without its `+` (`k3s1`), if any.
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }

    /// Whether the text had a leading `v` (or `V`).
    pub fn has_v_prefix(&self) -> bool {
        self.v_prefix
    }

    /// How many release parts were written (`v1.30` → 2).
    pub fn parts_written(&self) -> usize {
        self.parts.len()
    }

    /// Release part `i`, 0 when not written.
    fn part(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }

    /// The release parts with trailing zeros dropped, so `1.30` and `1.30.0`
    /// agree.
    fn significant_parts(&self) -> &[u64] {
        let len = self.parts.iter().rposition(|&p| p != 0).map_or(0, |i| i + 1);
        &self.parts[..len]
    }
}

/// One numeric release part: ASCII digits only, fitting a `u64`.
fn parse_part(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether `s` is a non-empty dot-separated list of non-empty identifiers
/// of ASCII letters, digits and `-`.
fn valid_identifiers(s: &str) -> bool {
    s.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Whether a pre-release identifier is numeric.
fn is_numeric(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_digit())
}

/// A numeric identifier without its leading zeros, so `01` compares and
/// hashes as `1`, without overflow for long ones.
fn strip_zeros(id: &str) -> &str {
    id.trim_start_matches('0')
}

/// Semver precedence of two pre-release identifiers: numeric ones by value,
/// alphanumeric ones by ASCII order, numeric before alphanumeric.
fn cmp_identifier(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => {
            let (a, b) = (strip_zeros(a), strip_zeros(b));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Semver precedence of two pre-releases; on a common prefix, the one with
/// fewer identifiers is lower (`alpha < alpha.1`).
fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match cmp_identifier(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

impl Ord for Version {
    /// Release parts numerically (missing ones are 0), then a pre-release
    /// sorts before the release itself, then pre-releases by semver
    /// precedence. The `v` prefix and build metadata are ignored.
    fn cmp(&self, other: &Version) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        (0..n).map(|i| self.part(i).cmp(&other.part(i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal).then_with(
            || match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_pre(a, b),
            },
        )
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    /// Hashes exactly what [`Ord`] compares: the release without trailing
    /// zeros and the pre-release with numeric identifiers normalised.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.significant_parts().hash(state);
        match &self.pre {
            None => state.write_u8(0),
            Some(pre) => {
                state.write_u8(1);
                for id in pre.split('.') {
                    if is_numeric(id) {
                        state.write_u8(0);
                        strip_zeros(id).hash(state);
                    } else {
                        state.write_u8(1);
                        id.hash(state);
                    }
                }
            }
        }
    }
}

/// Prints the version as written, minus build metadata: the `v` prefix if
/// the original had one (always lower-case), the release parts that were
/// written, and `-pre.release`. `v1.30.4+k3s1` → `v1.30.4`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v_prefix {
            f.write_str("v")?;
        }
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "version_tests.rs"]
mod tests;
