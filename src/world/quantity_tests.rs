//! Unit tests for [`Quantity`].

use super::Quantity;

fn q(s: &str) -> Quantity {
    match Quantity::parse(s) {
        Some(v) => v,
        None => panic!("{s:?} should parse"),
    }
}

#[test]
fn required_relations() {
    assert!(q("500m") < q("1"));
    assert!(q("1Gi") > q("1000Mi"));
    assert_eq!(q("0.5"), q("500m"));
    assert_eq!(q("1"), q("1000m"));
    assert_eq!(q("1k"), q("1000"));
    assert_eq!(q("1Ki"), q("1024"));
    assert_eq!(q("1e3"), q("1k"));
    assert!(q("100n") < q("1u"));
    assert_eq!(q("2Gi"), q("2048Mi"));
    assert_eq!(q("1.5Gi"), q("1536Mi"));
}

#[test]
fn exact_nanos() {
    let table: &[(&str, i128)] = &[
        ("0", 0),
        ("1", 1_000_000_000),
        ("1n", 1),
        ("1u", 1_000),
        ("1m", 1_000_000),
        ("1k", 1_000_000_000_000),
        ("1M", 1_000_000_000_000_000),
        ("1E", 1_000_000_000_000_000_000_000_000_000),
        ("1Ki", 1024 * 1_000_000_000),
        ("1Ei", (1i128 << 60) * 1_000_000_000),
        (".5", 500_000_000),
        ("5.", 5_000_000_000),
        ("1.25", 1_250_000_000),
        ("+1", 1_000_000_000),
        ("-1", -1_000_000_000),
        ("1e-3", 1_000_000),
        ("1E3", 1_000_000_000_000),
        ("1e+3", 1_000_000_000_000),
        ("1.5e1", 15_000_000_000),
        ("  2Gi \n", 2 * (1 << 30) * 1_000_000_000),
        ("000.000", 0),
        ("0e999999", 0),
        ("0.1000000000000000000000000000000000000000000000", 100_000_000),
    ];
    for &(s, nanos) in table {
        assert_eq!(q(s).nanos(), nanos, "{s}");
    }
}

#[test]
fn sub_nano_rounds_away_from_zero() {
    let table: &[(&str, i128)] = &[
        ("0.1n", 1),
        ("1.1n", 2),
        ("1.9n", 2),
        ("-0.1n", -1),
        ("-1.5n", -2),
        ("1e-10", 1),
        ("1e-1000000000", 1),
        ("0.0000000001", 1),
        ("1.0000000001", 1_000_000_001),
        ("1.00000000000000000000000000000000000000000000001", 1_000_000_001),
        ("0.5Ki", 512_000_000_000),
        ("0.001Ki", 1_024_000_000),
        ("0.000000000001Ki", 2),
    ];
    for &(s, nanos) in table {
        assert_eq!(q(s).nanos(), nanos, "{s}");
    }
}

#[test]
fn rejects() {
    for s in [
        "", " ", "abc", "1Qi", "1.2.3", ".", "-", "+", "1 Gi", "Gi", "1ki", "1K", "1e", "1e+", "1e3.5", "1Gi1", "--1",
        "+-1", "1e3k", "e3", "0x10", "1_000",
    ] {
        assert_eq!(Quantity::parse(s), None, "{s:?}");
    }
}

#[test]
fn overflow_is_none() {
    for s in [
        "1e30",
        "1000000000000000000000000000000000000000",
        "200000000000E",
        "1e9223372036854775807",
        "1e99999999999999999999",
        "-1e30",
    ] {
        assert_eq!(Quantity::parse(s), None, "{s:?}");
    }
    // Largest values that still fit.
    assert!(Quantity::parse("170000000000E").is_some());
    assert!(Quantity::parse("1e20").is_some());
}

#[test]
fn negative_values_order() {
    assert!(q("-1") < q("0"));
    assert!(q("-1") < q("-500m"));
    assert!(q("-1Gi") < q("-1000Mi"));
    assert!(q("-1Ki") < q("1m"));
    assert_eq!(q("-0"), q("0"));
}

#[test]
fn ordering_is_by_value_across_suffixes() {
    // Each row is strictly increasing.
    let rows: &[&[&str]] = &[
        &["-1Ki", "-1k", "-1", "-1m", "0", "1n", "1u", "1m", "1", "1k", "1Ki", "1M", "1Mi"],
        &["1G", "1Gi", "1T", "1Ti", "1P", "1Pi", "1E", "1Ei"],
        &["100m", "0.25", "500m", "1", "1.5", "2"],
    ];
    for row in rows {
        for w in row.windows(2) {
            assert!(q(w[0]) < q(w[1]), "{} < {}", w[0], w[1]);
        }
    }
}

#[test]
fn display_canonical() {
    let table: &[(&str, &str)] = &[
        ("0", "0"),
        ("0Gi", "0"),
        ("500m", "500m"),
        ("0.5", "500m"),
        ("1", "1"),
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("2000", "2k"),
        ("1000", "1k"),
        ("1024", "1Ki"),
        ("1Gi", "1Gi"),
        ("1000Mi", "1000Mi"),
        ("1.5Gi", "1536Mi"),
        ("2048Mi", "2Gi"),
        ("1e3", "1k"),
        ("1e-9", "1n"),
        ("100n", "100n"),
        ("1.5u", "1500n"),
        ("-1Gi", "-1Gi"),
        ("-1500m", "-1500m"),
        ("512", "512"),
        ("0.5Ki", "512"),
        ("1M", "1M"),
        ("1E", "1E"),
        ("1T", "1T"),
        ("1024000", "1000Ki"),
        ("2048k", "2000Ki"),
        ("1000k", "1M"),
        ("-1T", "-1T"),
        ("-1024", "-1Ki"),
        ("1Ei", "1Ei"),
        ("1024Ei", "1024Ei"),
    ];
    for &(input, shown) in table {
        assert_eq!(q(input).to_string(), shown, "{input}");
    }
}

#[test]
fn display_round_trips() {
    let inputs = [
        "0",
        "1n",
        "999n",
        "1u",
        "1m",
        "1",
        "1.5",
        "7",
        "1023",
        "1024",
        "1025",
        "3000Ki",
        "1.5Gi",
        "2Ti",
        "-3Mi",
        "-0.001",
        "123456789.123456789",
        "1e18",
        "170000000000E",
        "1.1n",
    ];
    for s in inputs {
        let v = q(s);
        assert_eq!(q(&v.to_string()), v, "{s} → {v}");
    }
}

#[test]
fn from_f64_is_exact_for_json_numbers() {
    let table: &[(f64, &str)] = &[
        (2.0, "2"),
        (0.5, "500m"),
        (0.1, "100m"),
        (0.3, "300m"),
        (1.25, "1250m"),
        (-0.25, "-250m"),
        (1e21, "1000000000000000000000"),
        (1e-10, "1n"),
        (0.0, "0"),
        (-0.0, "0"),
    ];
    for &(x, s) in table {
        assert_eq!(Quantity::from_f64(x), Some(q(s)), "{x}");
    }
    assert_eq!(Quantity::from_f64(f64::NAN), None);
    assert_eq!(Quantity::from_f64(f64::INFINITY), None);
    assert_eq!(Quantity::from_f64(f64::NEG_INFINITY), None);
    assert_eq!(Quantity::from_f64(1e300), None);
}

#[test]
fn as_f64_values() {
    let table: &[(&str, f64)] = &[("0", 0.0), ("500m", 0.5), ("1", 1.0), ("1Ki", 1024.0), ("-1.5", -1.5), ("1n", 1e-9)];
    for &(s, x) in table {
        assert!((q(s).as_f64() - x).abs() <= x.abs() * 1e-12, "{s}");
    }
}

#[test]
fn eq_hash_consistent() {
    use std::collections::HashSet;
    let set: HashSet<Quantity> = ["0.5", "500m", "5e-1", "500000u", "500000000n"].iter().map(|s| q(s)).collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn accessors() {
    assert_eq!(Quantity::ZERO, q("0"));
    assert!(q("0m").is_zero());
    assert_eq!(Quantity::from_nanos(1_500), q("1.5u"));
    assert_eq!(Quantity::default(), Quantity::ZERO);
}

#[test]
fn order_and_value_survive_the_split_representation() {
    let values: [i128; 9] =
        [i128::MIN / 2, -(1 << 64) - 1, -(1 << 64), -1, 0, 1, (1 << 64) - 1, 1 << 64, i128::MAX / 2];
    for a in values {
        assert_eq!(Quantity::from_nanos(a).nanos(), a);
        assert_eq!(Quantity::from_nanos(a).is_zero(), a == 0);
        for b in values {
            assert_eq!(Quantity::from_nanos(a).cmp(&Quantity::from_nanos(b)), a.cmp(&b), "{a} vs {b}");
        }
    }
}
