//! Unit tests for [`Version`].

use std::collections::HashSet;

use super::Version;

fn v(s: &str) -> Version {
    match Version::parse(s) {
        Some(v) => v,
        None => panic!("{s:?} should parse"),
    }
}

/// Input, release parts, pre-release, build metadata, `v` prefix.
type Expected<'a> = (&'a str, &'a [u64], Option<&'a str>, Option<&'a str>, bool);

#[test]
fn accepts() {
    let table: &[Expected] = &[
        ("v1.30.4", &[1, 30, 4], None, None, true),
        ("1.30.4", &[1, 30, 4], None, None, false),
        ("V1.30", &[1, 30], None, None, true),
        ("1.30", &[1, 30], None, None, false),
        ("1", &[1], None, None, false),
        ("v1.30.4-rc.1", &[1, 30, 4], Some("rc.1"), None, true),
        ("v1.30.4+k3s1", &[1, 30, 4], None, Some("k3s1"), true),
        ("1.7.2-1", &[1, 7, 2], Some("1"), None, false),
        ("  v1.30.4 \n", &[1, 30, 4], None, None, true),
        ("v1.2.3-alpha.2+build.5", &[1, 2, 3], Some("alpha.2"), Some("build.5"), true),
        ("1.0.0-rc-1", &[1, 0, 0], Some("rc-1"), None, false),
        ("v1.29.3+rke2r1", &[1, 29, 3], None, Some("rke2r1"), true),
        ("10.0.17763.1", &[10, 0, 17763, 1], None, None, false),
    ];
    for &(s, parts, pre, build, prefix) in table {
        let x = v(s);
        assert_eq!(x.major(), parts[0], "{s}");
        assert_eq!(x.minor_number(), parts.get(1).copied().unwrap_or(0), "{s}");
        assert_eq!(x.patch(), parts.get(2).copied().unwrap_or(0), "{s}");
        assert_eq!(x.parts_written(), parts.len(), "{s}");
        assert_eq!(x.pre_release(), pre, "{s}");
        assert_eq!(x.build(), build, "{s}");
        assert_eq!(x.has_v_prefix(), prefix, "{s}");
    }
}

#[test]
fn rejects() {
    for s in [
        "",
        "   ",
        "v",
        "x1.2",
        "1..2",
        "1.",
        ".1",
        "1.x",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-rc..1",
        "1.2.3-rc_1",
        "1.2.3+b+c",
        "containerd://1.7.2",
        "vv1.2",
        "1.2 3",
        "-1.2",
        "1.-2",
        "18446744073709551616",
        "1.2.3-é",
    ] {
        assert_eq!(Version::parse(s), None, "{s:?}");
    }
}

#[test]
fn required_orderings() {
    assert!(v("v1.9.0") < v("v1.30.4"));
    assert!(v("v1.30.4") > v("v1.30.3"));
    assert!(v("v1.30.0-rc.1") < v("v1.30.0"));
    assert!(v("v1.30.0-alpha") < v("v1.30.0-alpha.1"));
    assert_eq!(v("v1.30"), v("v1.30.0"));
    assert_eq!(v("1.30.4"), v("v1.30.4"));
    assert_eq!(v("v1.30.4+k3s1"), v("v1.30.4"));
    assert_eq!(v("v1.30.4+k3s1"), v("v1.30.4+k3s2"));
}

#[test]
fn semver_precedence_chain() {
    // The example chain from the semver spec, then release bumps; each
    // strictly increases.
    let chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1-0",
        "1.0.1",
        "1.1",
        "1.2.0",
        "1.10",
        "2",
        "v2.0.1",
        "2.0.1.1",
    ];
    for (i, a) in chain.iter().enumerate() {
        for b in &chain[i + 1..] {
            assert!(v(a) < v(b), "{a} < {b}");
            assert!(v(b) > v(a), "{b} > {a}");
            assert_ne!(v(a), v(b), "{a} != {b}");
        }
    }
}

#[test]
fn numeric_identifiers_by_value() {
    assert!(v("1.0.0-rc.2") < v("1.0.0-rc.10"));
    assert!(v("1.0.0-1") < v("1.0.0-alpha"));
    assert!(v("1.7.2-1") < v("1.7.2"));
    assert!(v("1.0.0-99999999999999999999999") < v("1.0.0-100000000000000000000000"));
    assert_eq!(v("1.0.0-rc.01"), v("1.0.0-rc.1"));
}

#[test]
fn equal_values_hash_alike() {
    let groups: &[&[&str]] =
        &[&["v1.30", "1.30.0", "V1.30.0+k3s1", "1.30.0.0"], &["1", "v1.0", "1.0.0"], &["1.0.0-rc.1", "v1.0-rc.01+x"]];
    for group in groups {
        let set: HashSet<Version> = group.iter().map(|s| v(s)).collect();
        assert_eq!(set.len(), 1, "{group:?}");
        for a in *group {
            for b in *group {
                assert_eq!(v(a), v(b), "{a} == {b}");
                assert_eq!(v(a).cmp(&v(b)), std::cmp::Ordering::Equal);
            }
        }
    }
    let all: HashSet<Version> = groups.iter().flat_map(|g| g.iter()).map(|s| v(s)).collect();
    assert_eq!(all.len(), groups.len());
}

#[test]
fn ordering_is_total_and_consistent() {
    let samples = [
        "0",
        "0.0.1",
        "1",
        "1.0.0-0",
        "1.0.0-a",
        "1.0.0-a.1",
        "1.0.0-b",
        "v1.9.0",
        "v1.29",
        "v1.30.0-rc.1",
        "v1.30",
        "v1.30.4+k3s1",
        "1.30.5",
        "2.0.0-beta",
    ];
    for a in samples {
        for b in samples {
            let (x, y) = (v(a), v(b));
            assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "{a} vs {b}");
            assert_eq!(x == y, x.cmp(&y).is_eq(), "{a} vs {b}");
            assert_eq!(x.partial_cmp(&y), Some(x.cmp(&y)), "{a} vs {b}");
        }
    }
    let mut sorted: Vec<Version> = samples.iter().map(|s| v(s)).collect();
    sorted.reverse();
    sorted.sort();
    let shown: Vec<String> = sorted.iter().map(Version::to_string).collect();
    assert_eq!(
        shown,
        [
            "0",
            "0.0.1",
            "1.0.0-0",
            "1.0.0-a",
            "1.0.0-a.1",
            "1.0.0-b",
            "1",
            "v1.9.0",
            "v1.29",
            "v1.30.0-rc.1",
            "v1.30",
            "v1.30.4",
            "1.30.5",
            "2.0.0-beta",
        ]
    );
}

#[test]
fn minor_release() {
    let table: &[(&str, &str, u64)] = &[
        ("v1.30.4", "v1.30", 30),
        ("1.30.4", "1.30", 30),
        ("v1.30.4-rc.1+k3s1", "v1.30", 30),
        ("V1.29", "v1.29", 29),
        ("1", "1.0", 0),
        ("2.0.1.7", "2.0", 0),
    ];
    for &(s, minor, number) in table {
        let x = v(s);
        let m = x.minor();
        assert_eq!(m.to_string(), minor, "{s}");
        assert_eq!(x.minor_number(), number, "{s}");
        assert_eq!(m.parts_written(), 2);
        assert_eq!(m.pre_release(), None);
        assert_eq!(m.build(), None);
        assert_eq!(m.has_v_prefix(), x.has_v_prefix());
        assert!(m <= x || x.pre_release().is_some(), "{s}");
    }
    assert_eq!(v("v1.30.4").minor(), v("v1.30.0"));
    assert_eq!(v("v1.30.4").minor(), v("1.30"));
}

#[test]
fn display() {
    let table: &[(&str, &str)] = &[
        ("v1.30.4", "v1.30.4"),
        ("1.30.4", "1.30.4"),
        ("V1.30", "v1.30"),
        ("1", "1"),
        ("v1.30.4-rc.1", "v1.30.4-rc.1"),
        ("v1.30.4+k3s1", "v1.30.4"),
        ("1.7.2-1", "1.7.2-1"),
        (" v1.2.3-alpha.2+build ", "v1.2.3-alpha.2"),
        ("10.0.17763.1", "10.0.17763.1"),
    ];
    for &(s, shown) in table {
        let x = v(s);
        assert_eq!(x.to_string(), shown, "{s}");
        // Display output parses back to an equal version, displayed the same.
        let back = v(&x.to_string());
        assert_eq!(back, x, "{s}");
        assert_eq!(back.to_string(), shown, "{s}");
    }
}
