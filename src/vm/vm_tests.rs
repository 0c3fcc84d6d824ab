use super::regex_size;

#[test]
fn regex_size_expands_counted_repetitions() {
    assert_eq!(regex_size("a[ab]{10000}c"), 10_002);
    assert_eq!(regex_size("^[a-z0-9-]+$"), 3);
    assert_eq!(regex_size("(ab){3}|x*"), 7);
    assert!(regex_size("(a{1,1000}){1,1000}") >= 1_000_000);
}
