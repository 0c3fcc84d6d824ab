//! Values and how each style writes them as YAML.

use super::*;

/// A tiny xorshift64* generator: deterministic for a given seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A JSON-shaped value, emitted as block YAML or compact JSON.
pub(crate) enum V {
    S(String),
    N(i64),
    B(bool),
    A(Vec<V>),
    M(Vec<(&'static str, V)>),
    /// A map with computed keys (labels, resource names).
    K(Vec<(String, V)>),
}

pub(crate) fn s(x: impl Into<String>) -> V {
    V::S(x.into())
}

pub(crate) fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl V {
    pub(crate) fn entries(&self) -> Option<Vec<(&str, &V)>> {
        match self {
            V::M(m) => Some(m.iter().map(|(k, v)| (*k, v)).collect()),
            V::K(m) => Some(m.iter().map(|(k, v)| (k.as_str(), v)).collect()),
            _ => None,
        }
    }

    pub(crate) fn is_empty_collection(&self) -> bool {
        match self {
            V::A(a) => a.is_empty(),
            V::M(m) => m.is_empty(),
            V::K(m) => m.is_empty(),
            _ => false,
        }
    }

    pub(crate) fn json(&self, out: &mut String) {
        match self {
            V::S(x) => quote(out, x),
            V::N(n) => {
                let _ = write!(out, "{n}");
            }
            V::B(b) => out.push_str(if *b { "true" } else { "false" }),
            V::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.json(out);
                }
                out.push(']');
            }
            V::M(_) | V::K(_) => {
                out.push('{');
                for (i, (k, v)) in self.entries().unwrap_or_default().into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(out, k);
                    out.push(':');
                    v.json(out);
                }
                out.push('}');
            }
        }
    }

    /// Writes a scalar or a flow-style empty collection (strings quoted
    /// when `quote`, or when they would not read back as strings).
    pub(crate) fn yaml_inline(&self, out: &mut String, quote_all: bool) {
        match self {
            V::S(x) => {
                let plain = !quote_all
                    && !x.is_empty()
                    && x.chars().all(|c| c.is_ascii_alphanumeric() || "-./_".contains(c))
                    && x.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && !matches!(
                        x.to_ascii_lowercase().as_str(),
                        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
                    );
                if plain { out.push_str(x) } else { quote(out, x) }
            }
            V::A(_) => out.push_str("[]"),
            V::M(_) | V::K(_) => out.push_str("{}"),
            other => other.json(out),
        }
    }

    pub(crate) fn is_block(&self) -> bool {
        matches!(self, V::A(_) | V::M(_) | V::K(_)) && !self.is_empty_collection()
    }

    /// Flow YAML on one line: `{a: b, c: [1, 2]}`.
    pub(crate) fn flow(&self, out: &mut String) {
        match self {
            V::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.flow(out);
                }
                out.push(']');
            }
            V::M(_) | V::K(_) => {
                out.push('{');
                for (i, (k, v)) in self.entries().unwrap_or_default().into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    V::S(k.to_string()).yaml_inline(out, false);
                    out.push_str(": ");
                    v.flow(out);
                }
                out.push('}');
            }
            other => other.yaml_inline(out, false),
        }
    }

    /// Block YAML for a map or sequence at `indent`.
    pub(crate) fn yaml(&self, out: &mut String, indent: usize, st: Style) {
        match self {
            V::A(items) => {
                for item in items {
                    out.extend(std::iter::repeat_n(' ', indent));
                    out.push_str("- ");
                    if let Some(entries) = item.entries().filter(|e| !e.is_empty()) {
                        for (i, (k, v)) in entries.into_iter().enumerate() {
                            if i > 0 {
                                out.extend(std::iter::repeat_n(' ', indent + 2));
                            }
                            yaml_entry(out, k, v, indent + 2, st);
                        }
                    } else if item.is_block() {
                        out.push('\n');
                        item.yaml(out, indent + 2, st);
                    } else {
                        item.yaml_inline(out, st.quote_values());
                        out.push('\n');
                    }
                }
            }
            V::M(_) | V::K(_) => {
                for (k, v) in self.entries().unwrap_or_default() {
                    out.extend(std::iter::repeat_n(' ', indent));
                    yaml_entry(out, k, v, indent, st);
                }
            }
            other => {
                other.yaml_inline(out, st.quote_values());
                out.push('\n');
            }
        }
    }
}

pub(crate) fn yaml_entry(out: &mut String, key: &str, v: &V, indent: usize, st: Style) {
    V::S(key.to_string()).yaml_inline(out, st == Style::Quoted);
    out.push(':');
    if v.is_block() {
        out.push('\n');
        v.yaml(out, indent + 2, st);
    } else {
        out.push(' ');
        v.yaml_inline(out, st.quote_values());
        out.push('\n');
    }
    if st == Style::BlockScalars && indent == 0 && key == "metadata" {
        // Annotations as CRDs and operators write them: block scalars.
        out.push_str(
            "  annotations:\n    description: |\n      Generated by parity-corpus for the benchmarks.\n      \
             A literal block scalar: \"quotes\" and # are text here.\n\n      Last line.\n    \
             summary: >-\n      A folded block scalar\n      over two lines.\n",
        );
    }
}

/// How `--format yaml` writes each document.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Style {
    /// Block YAML, plain scalars where they read back as strings.
    Plain,
    /// Block YAML, every key and string value double-quoted.
    Quoted,
    /// One flow mapping per document, on one line.
    Flow,
    /// One JSON object per document (JSON saved as YAML).
    Json,
    /// Plain, with block-scalar annotations (`|`, `>-`) on every object.
    BlockScalars,
    /// Like `helm template`: a `# Source:` comment per document, string
    /// values quoted.
    Helm,
}

impl Style {
    pub(crate) fn quote_values(self) -> bool {
        matches!(self, Style::Quoted | Style::Helm)
    }
}
