use std::sync::Arc;

use super::Names;

#[test]
fn names_share_repeated_strings_and_stay_correct_past_their_window() {
    let mut names = Names::default();
    let a = names.share("Deployment");
    let b = names.share("Deployment");
    assert!(Arc::ptr_eq(&a, &b), "a repeated kind is one string");
    // Far more distinct namespaces than the window keeps: every answer is
    // still the string asked for, and a recent one is still shared.
    for i in 0..200 {
        let ns = format!("team-{i}");
        assert_eq!(&*names.share(&ns), ns);
        let again = names.share(&ns);
        assert_eq!(&*again, ns);
        assert!(Arc::ptr_eq(&names.share(&ns), &again));
    }
}
