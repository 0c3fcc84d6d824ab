//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), compared by value.
//!
//! A [`Quantity`] holds its value exactly, as a signed count of nano-units
//! (1e-9), the finest precision Kubernetes keeps. Parsing follows the
//! `resource.Quantity` grammar; a value with a remainder below one nano-unit
//! is rounded *away from zero* to the next nano-unit, as Kubernetes does
//! (`inf.RoundUp` on the magnitude), so a tiny positive request never becomes
//! zero.
//!
//! Equality, ordering and hashing are by value: `0.5`, `500m` and `5e-1` are
//! the same quantity, and `1Gi > 1000Mi`.

use std::fmt;

/// A quantity, held exactly as a count of nano-units (1e-9): an `i128`
/// kept as its high (signed) and low halves, so that it is aligned to 8
/// bytes, not 16, and evaluation values holding one stay 24 bytes instead
/// of 32. The derived order on (high, low) is the `i128`'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity {
    hi: i64,
    lo: u64,
}

/// Nano-units per unit.
const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// Binary suffixes and their power of 1024.
const BINARY_SUFFIXES: &[(&str, u32)] = &[("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];

/// Decimal suffixes and their power of ten, largest first (the order
/// [`Quantity`]'s `Display` tries them in). The empty suffix is unity.
const DECIMAL_SUFFIXES: &[(&str, i32)] =
    &[("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3), ("", 0), ("m", -3), ("u", -6), ("n", -9)];

impl Quantity {
    /// The zero quantity.
    pub const ZERO: Quantity = Quantity { hi: 0, lo: 0 };

    /// A quantity of exactly `nanos` nano-units.
    pub const fn from_nanos(nanos: i128) -> Quantity {
        Quantity { hi: (nanos >> 64) as i64, lo: nanos as u64 }
    }

    /// The exact value, in nano-units.
    pub const fn nanos(&self) -> i128 {
        ((self.hi as i128) << 64) | self.lo as i128
    }

    /// Whether the quantity is zero.
    pub const fn is_zero(&self) -> bool {
        self.hi == 0 && self.lo == 0
    }

    /// Parses a quantity written in the Kubernetes grammar:
    ///
    /// ```text
    /// quantity ::= sign? digits suffix?        (surrounding whitespace trimmed)
    /// digits   ::= D+ | D+ "." D* | "." D+
    /// suffix   ::= "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ///            | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
    ///            | ("e" | "E") sign? D+
    /// ```
    ///
    /// Returns `None` for anything else, and when the value does not fit in
    /// an `i128` count of nano-units.
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let (negative, rest) = split_sign(s);
        let mantissa_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (mantissa, suffix) = rest.split_at(mantissa_len);
        let (int_digits, frac_digits) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if frac_digits.contains('.') || (int_digits.is_empty() && frac_digits.is_empty()) {
            return None;
        }
        let (exp10, pow1024) = parse_suffix(suffix)?;
        let magnitude = scale_to_nanos(int_digits, frac_digits, exp10, pow1024)?;
        Some(Quantity::from_nanos(if negative { -magnitude } else { magnitude }))
    }

    /// The quantity a JSON number stands for (`cpu: 2`, `cpu: 0.5`). The
    /// number is converted through its shortest decimal text, so `0.1`
    /// becomes exactly `100m` rather than the nearest binary fraction.
    /// Returns `None` for NaN, infinities and out-of-range values.
    pub fn from_f64(x: f64) -> Option<Quantity> {
        if !x.is_finite() {
            return None;
        }
        // `Display` for f64 prints the shortest round-tripping decimal text
        // and never uses an exponent, so the result is in the grammar.
        Quantity::parse(&x.to_string())
    }

    /// The value as a float (approximate for values that need more than 53
    /// bits).
    pub fn as_f64(&self) -> f64 {
        let whole = self.nanos() / NANOS_PER_UNIT;
        let frac = self.nanos() % NANOS_PER_UNIT;
        whole as f64 + frac as f64 / NANOS_PER_UNIT as f64
    }
}

/// Splits an optional leading `+` or `-`; returns whether it was `-`.
fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') { (true, rest) } else { (false, s.strip_prefix('+').unwrap_or(s)) }
}

/// The power of ten and power of 1024 a suffix multiplies by.
fn parse_suffix(suffix: &str) -> Option<(i64, u32)> {
    if let Some(&(_, k)) = BINARY_SUFFIXES.iter().find(|(name, _)| *name == suffix) {
        return Some((0, k));
    }
    if let Some(&(_, e)) = DECIMAL_SUFFIXES.iter().find(|(name, _)| *name == suffix) {
        return Some((i64::from(e), 0));
    }
    // `E` alone is exa (handled above); followed by a number it is an exponent.
    let exp = suffix.strip_prefix('e').or_else(|| suffix.strip_prefix('E'))?;
    let (negative, digits) = split_sign(exp);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    Some((if negative { -value } else { value }, 0))
}

/// `int_digits.frac_digits × 10^exp10 × 1024^pow1024`, in nano-units,
/// with any sub-nano remainder rounded up. `None` on overflow.
fn scale_to_nanos(int_digits: &str, frac_digits: &str, exp10: i64, pow1024: u32) -> Option<i128> {
    // The value is M × 10^d × B, with M the digits as an integer.
    let frac_digits = frac_digits.trim_end_matches('0');
    let digits: Vec<u8> =
        int_digits.bytes().chain(frac_digits.bytes()).skip_while(|&b| b == b'0').map(|b| b - b'0').collect();
    if digits.is_empty() {
        return Some(0);
    }
    let frac_len = i64::try_from(frac_digits.len()).ok()?;
    let d = exp10.checked_add(9)?.checked_sub(frac_len)?;
    let b: i128 = 1i128 << (10 * pow1024);

    if d >= 0 {
        let d = u32::try_from(d).ok()?;
        let m = digits_to_i128(&digits)?;
        return m.checked_mul(10i128.checked_pow(d)?)?.checked_mul(b);
    }

    // d < 0: split M / 10^q into an integer part and a fraction.
    let q = usize::try_from(d.unsigned_abs()).ok()?;
    let split = digits.len().saturating_sub(q);
    let (int_part, frac_part) = digits.split_at(split);
    let whole = digits_to_i128(int_part)?.checked_mul(b)?;
    // fraction × B by long multiplication from the least significant digit:
    // the carry out of the top is floor(fraction × B); any non-zero digit
    // left behind is a sub-nano remainder. Leading zeros of the fraction
    // (those beyond the written digits) only shift the carry further right.
    let mut carry: i128 = 0;
    let mut remainder = false;
    for &digit in frac_part.iter().rev() {
        let t = i128::from(digit) * b + carry;
        remainder |= t % 10 != 0;
        carry = t / 10;
    }
    let mut zeros = q - frac_part.len();
    while zeros > 0 && carry > 0 {
        remainder |= carry % 10 != 0;
        carry /= 10;
        zeros -= 1;
    }
    whole.checked_add(carry)?.checked_add(i128::from(remainder))
}

/// The integer a run of decimal digits (values 0..=9) spells; `None` on
/// overflow.
fn digits_to_i128(digits: &[u8]) -> Option<i128> {
    digits.iter().try_fold(0i128, |acc, &d| acc.checked_mul(10)?.checked_add(i128::from(d)))
}

/// Canonical form, chosen from the value alone (not from how it was
/// written):
///
/// * zero prints as `0`;
/// * otherwise take the largest decimal suffix that keeps the value an
///   integer (`500m`, `1`, `1500m`, `2k`, `1000` → `1k`, `1T`);
/// * but if the value is a whole number of magnitude at least 1024 and a
///   multiple of 1024, also take the largest binary suffix that keeps it an
///   integer, and print that instead when its number is no larger than the
///   decimal one (`1Gi`, `1536Mi`, `2Ki`, `1000Mi`).
///
/// The last comparison only matters for decimal powers that happen to be
/// multiples of 1024: `1T` stays `1T` rather than `976562500Ki`. Parsing
/// the output always gives back the same value.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos() == 0 {
            return f.write_str("0");
        }
        let (decimal, decimal_suffix) = DECIMAL_SUFFIXES
            .iter()
            .find_map(|&(suffix, e)| {
                // Every suffix is at least nano, so the exponent is >= 0.
                let per = 10i128.pow((e + 9).unsigned_abs());
                (self.nanos() % per == 0).then(|| (self.nanos() / per, suffix))
            })
            .unwrap_or((self.nanos(), "n"));
        if let Some((binary, binary_suffix)) = self.binary_form()
            && binary.unsigned_abs() <= decimal.unsigned_abs()
        {
            return write!(f, "{binary}{binary_suffix}");
        }
        write!(f, "{decimal}{decimal_suffix}")
    }
}

impl Quantity {
    /// The value with the largest binary suffix that keeps it an integer,
    /// for whole values of magnitude at least 1024 that are multiples
    /// of 1024.
    fn binary_form(&self) -> Option<(i128, &'static str)> {
        if self.nanos() % NANOS_PER_UNIT != 0 {
            return None;
        }
        let units = self.nanos() / NANOS_PER_UNIT;
        if units.unsigned_abs() < 1024 || units % 1024 != 0 {
            return None;
        }
        BINARY_SUFFIXES.iter().rev().find_map(|&(suffix, k)| {
            let per = 1i128 << (10 * k);
            (units % per == 0).then(|| (units / per, suffix))
        })
    }
}

#[cfg(test)]
#[path = "quantity_tests.rs"]
mod tests;
