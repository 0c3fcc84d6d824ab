//! Scalar resolution, the way kubectl reads YAML: sigs.k8s.io/yaml decodes
//! with go-yaml v2 (YAML 1.1 rules, `resolve.go`) into Go values, then
//! writes JSON. Each rule below is that code's, checked against it:
//!
//! - null: `""`, `~`, `null`, `Null`, `NULL`; booleans `true`/`false` in
//!   three cases, and the YAML 1.1 `y`, `yes`, `on`, `n`, `no`, `off` (three
//!   cases each; flagged, to warn about).
//! - A plain scalar starting with a digit or sign has every `_` removed,
//!   then is read as Go's `strconv.ParseInt(s, 0, 64)` (decimal, `0x`/`0X`
//!   hex, `0o`/`0O` octal, `0b`/`0B` binary, and a leading `0` octal: `010`
//!   is 8), then as an unsigned 64-bit integer, then as a float of the form
//!   `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `09` is the
//!   float 9); a float out of range stays a string.
//! - One starting with `.` is a Go float (`.5`, `.5e3`, `_` only between
//!   digits).
//! - `.inf`, `-.inf`, `+.inf`, `.nan` (in their three cases) are floats
//!   JSON cannot hold: kubectl fails with `json: unsupported value`.
//! - There are no sexagesimal numbers (`190:20:30` is a string) and
//!   timestamps stay strings.
//!
//! A number whose text is not a YAML 1.2 core-schema number (underscores,
//! `0b`, a leading `0`, upper-case or signed prefixes) is flagged like the
//! YAML 1.1 booleans: a YAML 1.2 reader (and most people) read it
//! differently.
//!
//! Kept apart from the event walker in `yaml` so the rules can be tested on
//! their own.

use serde_json::{Number, Value as Json};

/// What a plain scalar is, without copying its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    /// A YAML 1.1 boolean (`yes`, `off`...), to warn about.
    Yaml11Bool(bool),
    Number(Number),
    /// A number in a form only YAML 1.1 reads this way (`1_000`, `0b101`,
    /// `010`...), to warn about.
    Yaml11Number(Number),
    /// `.inf`, `-.inf` or `.nan`: a float with no JSON form. Its text as a
    /// mapping key (`.inf`, `-.inf`, `.nan`), which kubectl accepts.
    NonFinite(&'static str),
    /// The text itself, as a string.
    Str,
}

/// Classifies a plain (unquoted, untagged) scalar.
pub fn classify_plain(text: &str) -> Plain {
    // Most scalars are words: one starting with a letter no fixed word
    // below starts with (null, booleans, YAML 1.1 booleans) is a string,
    // without comparing it to each of them (numbers and non-finite floats
    // start with a digit, sign or `.`).
    if let Some(&c) = text.as_bytes().first()
        && c.is_ascii_alphabetic()
        && !matches!(c.to_ascii_lowercase(), b'n' | b't' | b'f' | b'y' | b'o')
    {
        return Plain::Str;
    }
    // Decimal integers without a sign or leading zero (ports, replicas,
    // counts): what `go_int` reads them as, without its general steps.
    let b = text.as_bytes();
    if (1..=18).contains(&b.len()) && (b[0] != b'0' || b.len() == 1) && b.iter().all(u8::is_ascii_digit) {
        let n = b.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        return Plain::Number(Number::from(n));
    }
    classify_words(text)
}

/// [`classify_plain`] without its shortcut for words.
fn classify_words(text: &str) -> Plain {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    if let Some(b) = yaml11_bool(text) {
        return Plain::Yaml11Bool(b);
    }
    if let Some(key) = non_finite(text) {
        return Plain::NonFinite(key);
    }
    let Some(n) = go_number(text) else { return Plain::Str };
    if is_core_number(text) { Plain::Number(n) } else { Plain::Yaml11Number(n) }
}

/// go-yaml's `.inf`/`.nan` spellings, with the key text kubectl gives each.
fn non_finite(text: &str) -> Option<&'static str> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(".inf"),
        "-.inf" | "-.Inf" | "-.INF" => Some("-.inf"),
        ".nan" | ".NaN" | ".NAN" => Some(".nan"),
        _ => None,
    }
}

/// The number go-yaml v2 reads from a plain scalar that is not in its table
/// of fixed words, if any.
fn go_number(text: &str) -> Option<Number> {
    match text.as_bytes().first()? {
        b'.' => go_dot_float(text),
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: std::borrow::Cow<str> =
                if text.contains('_') { text.replace('_', "").into() } else { text.into() };
            go_int(&plain).or_else(|| if is_float_form(&plain) { finite_float(&plain) } else { None })
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)` (no sign).
fn go_int(text: &str) -> Option<Number> {
    let (sign, body) = match text.as_bytes().first()? {
        b'-' => (Some(true), &text[1..]),
        b'+' => (Some(false), &text[1..]),
        _ => (None, text),
    };
    let b = body.as_bytes();
    let (radix, digits) = match b {
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'x') => (16, &body[2..]),
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'o') => (8, &body[2..]),
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'b') => (2, &body[2..]),
        [b'0', ..] => (8, &body[1..]),
        _ => (10, body),
    };
    if body.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = if digits.is_empty() { 0 } else { u64::from_str_radix(digits, radix).ok()? };
    match sign {
        Some(true) if magnitude <= i64::MAX as u64 + 1 => Some(Number::from((magnitude as i128).wrapping_neg() as i64)),
        Some(true) => None,
        Some(false) if magnitude > i64::MAX as u64 => None,
        _ => Some(Number::from(magnitude)),
    }
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`: go-yaml's float
/// form after an integer failed (and YAML 1.2's core float form).
fn is_float_form(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)))
}

/// A float in range; Go's `ParseFloat` fails beyond it (`1e400` stays a
/// string).
fn finite_float(text: &str) -> Option<Number> {
    let f: f64 = text.parse().ok()?;
    if f.is_finite() { Number::from_f64(f) } else { None }
}

/// Go's `ParseFloat` on a scalar starting with `.`: `.5`, `.5e3`, with `_`
/// allowed only between digits.
fn go_dot_float(text: &str) -> Option<Number> {
    if text.contains('_') {
        let b = text.as_bytes();
        let between_digits =
            |i: usize| i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(0..b.len()).filter(|&i| b[i] == b'_').all(between_digits) {
            return None;
        }
        let plain = text.replace('_', "");
        return if is_float_form(&plain) { finite_float(&plain) } else { None };
    }
    if is_float_form(text) { finite_float(text) } else { None }
}

/// Whether `text` is a YAML 1.2 core-schema number that reads the same
/// there: `[-+]?[0-9]+` without a leading zero, `0o[0-7]+`,
/// `0x[0-9a-fA-F]+`, or the float form.
fn is_core_number(text: &str) -> bool {
    if text.contains('_') {
        return false;
    }
    if let Some(d) = text.strip_prefix("0x") {
        return !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(d) = text.strip_prefix("0o") {
        return !d.is_empty() && d.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    is_float_form(text)
}

/// How go-yaml reads a scalar with an explicit tag, as kubectl sends it:
/// the JSON value, or the reason kubectl rejects the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Tagged {
    Value(Json),
    /// `!!binary`: the decoded bytes as a string (invalid UTF-8 replaced as
    /// Go's JSON encoder does) and how many bytes there were.
    Binary(String, usize),
    Error(String),
}

/// Resolves a scalar with a `!!` tag (`tag:yaml.org,2002:SUFFIX`), as
/// go-yaml's `resolve` does for an explicit tag, whatever the quoting.
pub fn resolve_tagged(suffix: &str, text: &str) -> Tagged {
    // What the text is without the tag, as go-yaml names it in its errors.
    let plain = || match classify_plain(text) {
        Plain::Null => ("!!null", None),
        Plain::Bool(b) | Plain::Yaml11Bool(b) => ("!!bool", Some(Json::Bool(b))),
        Plain::Number(n) | Plain::Yaml11Number(n) if n.is_f64() => ("!!float", Some(Json::Number(n))),
        Plain::Number(n) | Plain::Yaml11Number(n) => ("!!int", Some(Json::Number(n))),
        Plain::NonFinite(_) => ("!!float", None),
        Plain::Str => ("!!str", None),
    };
    let reject = |found: &str| {
        let reason = if found == "!!float" && matches!(classify_plain(text), Plain::NonFinite(_)) {
            format!("`{text}` is a float JSON cannot hold (json: unsupported value)")
        } else {
            format!("cannot decode {found} `{text}` as a !!{suffix}")
        };
        Tagged::Error(reason)
    };
    match suffix {
        "str" => Tagged::Value(Json::String(text.to_string())),
        "binary" => match go_base64(text) {
            Some(bytes) => Tagged::Binary(go_string(&bytes), bytes.len()),
            None => Tagged::Error("!!binary value contains invalid base64 data".into()),
        },
        "null" | "bool" | "int" => match plain() {
            ("!!null", _) if suffix == "null" => Tagged::Value(Json::Null),
            (found, Some(v)) if found[2..] == *suffix => Tagged::Value(v),
            (found, _) => reject(found),
        },
        "float" => match plain() {
            ("!!float", Some(v)) => Tagged::Value(v),
            ("!!int", Some(Json::Number(n))) => match n.as_f64().and_then(Number::from_f64) {
                Some(f) => Tagged::Value(Json::Number(f)),
                None => reject("!!int"),
            },
            (found, _) => reject(found),
        },
        "timestamp" => match plain() {
            ("!!str", _) if is_timestamp(text) => Tagged::Value(Json::String(text.to_string())),
            ("!!str", _) => reject("!!str"),
            (found, _) => reject(found),
        },
        // Tags go-yaml does not resolve (`!!merge`, `!!set`, `!!python/..`)
        // leave the text as a string.
        _ => Tagged::Value(Json::String(text.to_string())),
    }
}

/// Go's `base64.StdEncoding.DecodeString`: line breaks are ignored, padding
/// is required, anything else is an error.
fn go_base64(text: &str) -> Option<Vec<u8>> {
    let s: Vec<u8> = text.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let quanta = s.len() / 4;
    for (i, q) in s.chunks_exact(4).enumerate() {
        let pads = match q {
            [_, _, b'=', b'='] => 2,
            [_, _, _, b'='] => 1,
            _ => 0,
        };
        if pads > 0 && i + 1 != quanta {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pads] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pads as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pads]);
    }
    Some(out)
}

/// Bytes as Go's JSON encoder writes a Go string: each byte that does not
/// start a valid UTF-8 sequence becomes U+FFFD.
fn go_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &bad[1..];
            }
        }
    }
    out
}

/// go-yaml's timestamp forms: `YYYY-M-D`, then optionally `T`/`t` and
/// `H:M:S[.frac]` with `Z` or `±hh:mm`, or a space and `H:M:S[.frac]`.
fn is_timestamp(s: &str) -> bool {
    fn num(s: &mut &[u8], min: usize, max: usize) -> Option<u32> {
        let n = s.iter().take(max).take_while(|b| b.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v = s[..n].iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
        *s = &s[n..];
        Some(v)
    }
    fn lit(s: &mut &[u8], c: u8) -> Option<()> {
        let (&first, rest) = s.split_first()?;
        (first == c).then(|| *s = rest)
    }
    let check = || -> Option<()> {
        let mut s = s.as_bytes();
        let year = num(&mut s, 4, 4)?;
        lit(&mut s, b'-')?;
        let month = num(&mut s, 1, 2)?;
        lit(&mut s, b'-')?;
        let day = num(&mut s, 1, 2)?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if !(1..=12).contains(&month) || day == 0 || day > days[month as usize - 1] {
            return None;
        }
        let Some((&sep, rest)) = s.split_first() else { return Some(()) };
        s = rest;
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        let (h, _) = (num(&mut s, 1, 2)?, lit(&mut s, b':')?);
        let (m, _) = (num(&mut s, 1, 2)?, lit(&mut s, b':')?);
        let sec = num(&mut s, 1, 2)?;
        if h > 23 || m > 59 || sec > 59 {
            return None;
        }
        if s.first() == Some(&b'.') && s.get(1).is_some_and(u8::is_ascii_digit) {
            s = &s[1..];
            let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
            s = &s[n..];
        }
        if sep == b' ' {
            return s.is_empty().then_some(());
        }
        match s {
            [b'Z'] => Some(()),
            [b'+' | b'-', rest @ ..] => {
                let mut z = rest;
                let zh = num(&mut z, 2, 2)?;
                lit(&mut z, b':')?;
                let zm = num(&mut z, 2, 2)?;
                (z.is_empty() && zh < 24 && zm < 60).then_some(())
            }
            _ => None,
        }
    };
    check().is_some()
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

#[cfg(test)]
#[path = "scalar_tests.rs"]
mod tests;
