//! Plain-scalar resolution, the way kubectl reads YAML: YAML 1.2 core schema
//! (null, bool, int, float) plus the YAML 1.1 booleans (`yes`, `on`, `y`...)
//! that kubectl's YAML 1.1 reader still turns into booleans.
//!
//! Kept apart from the event walker in `yaml` so the rules can be tested on
//! their own.

use serde_json::{Number, Value as Json};

/// What a scalar resolved to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Value(Json),
    /// A YAML 1.1 boolean (`yes`, `off`...): the value plus the text, so the
    /// caller can warn about it.
    Yaml11Bool(bool),
}

/// What a plain scalar is, without copying its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    /// A YAML 1.1 boolean (`yes`, `off`...), to warn about.
    Yaml11Bool(bool),
    Number(Number),
    /// The text itself, as a string.
    Str,
}

/// Classifies a plain (unquoted, untagged) scalar.
pub fn classify_plain(text: &str) -> Plain {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    if let Some(b) = yaml11_bool(text) {
        return Plain::Yaml11Bool(b);
    }
    // Every number starts with a digit, a sign or a dot.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        return Plain::Str;
    }
    if let Some(n) = parse_int(text) {
        return Plain::Number(n);
    }
    if let Some(n) = parse_float(text) {
        return Plain::Number(n);
    }
    Plain::Str
}

/// Resolves a plain (unquoted, untagged) scalar.
pub fn resolve_plain(text: &str) -> Resolved {
    match classify_plain(text) {
        Plain::Null => Resolved::Value(Json::Null),
        Plain::Bool(b) => Resolved::Value(Json::Bool(b)),
        Plain::Yaml11Bool(b) => Resolved::Yaml11Bool(b),
        Plain::Number(n) => Resolved::Value(Json::Number(n)),
        Plain::Str => Resolved::Value(Json::String(text.to_string())),
    }
}

/// Resolves a scalar carrying a core-schema tag (`!!str`, `!!int`...).
/// Returns `None` for tags this loader does not interpret.
pub fn resolve_tagged(suffix: &str, text: &str) -> Option<Json> {
    match suffix {
        "str" => Some(Json::String(text.to_string())),
        "null" => Some(Json::Null),
        "bool" => match text {
            "true" | "True" | "TRUE" => Some(Json::Bool(true)),
            "false" | "False" | "FALSE" => Some(Json::Bool(false)),
            _ => yaml11_bool(text).map(Json::Bool),
        },
        "int" => parse_int(text).map(Json::Number),
        "float" => parse_float(text).or_else(|| parse_int(text)).map(Json::Number),
        _ => None,
    }
}

/// The YAML 1.1 booleans kubectl still honours, in their three case forms.
pub fn yaml11_bool(text: &str) -> Option<bool> {
    const TRUE: &[&str] = &["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"];
    const FALSE: &[&str] = &["n", "N", "no", "No", "NO", "off", "Off", "OFF"];
    if TRUE.contains(&text) {
        Some(true)
    } else if FALSE.contains(&text) {
        Some(false)
    } else {
        None
    }
}

/// Decimal, `0x` and `0o` integers with an optional sign. Integers too large
/// for 64 bits become floats, as in Go.
fn parse_int(text: &str) -> Option<Number> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = match u64::from_str_radix(digits, radix) {
        Ok(m) => m,
        Err(_) => {
            let f: f64 = if radix == 10 {
                digits.parse().ok()?
            } else {
                return None;
            };
            return Number::from_f64(if neg { -f } else { f });
        }
    };
    if !neg {
        return Some(Number::from(magnitude));
    }
    if magnitude <= i64::MAX as u64 + 1 {
        Some(Number::from((magnitude as i128).wrapping_neg() as i64))
    } else {
        Number::from_f64(-(magnitude as f64))
    }
}

/// YAML 1.2 core floats. `.inf` and `.nan` have no JSON form, so they are not
/// floats here and stay strings.
fn parse_float(text: &str) -> Option<Number> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(frac) => all_digits(int_part) && all_digits(frac) && !(int_part.is_empty() && frac.is_empty()),
        None => !int_part.is_empty() && all_digits(int_part),
    };
    if !mantissa_ok {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    let f: f64 = text.parse().ok()?;
    Number::from_f64(f)
}

#[cfg(test)]
#[path = "scalar_tests.rs"]
mod tests;
