use super::file_name;

/// The context a snapshot file name was made from, if it is one.
fn context_of(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".json")?.as_bytes();
    let mut out = Vec::with_capacity(stem.len());
    let mut i = 0;
    while i < stem.len() {
        if stem[i] == b'%' {
            let hex = std::str::from_utf8(stem.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(stem[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[test]
fn file_names_are_unique_and_reversible() {
    let names =
        ["a/b", "a_b", "a%2Fb", "a b", "prod", "..", ".", "é", "x.y", "-", "arn:aws:eks:eu-west-1:1:cluster/prod"];
    let files: Vec<String> = names.iter().map(|n| file_name(n)).collect();
    assert_eq!(files[0], "a%2Fb.json");
    assert_eq!(files[1], "a_b.json");
    assert_eq!(files[2], "a%252Fb.json");
    assert_eq!(files[4], "prod.json");
    assert_eq!(files[5], "%2E..json");
    assert_eq!(files[10], "arn%3Aaws%3Aeks%3Aeu-west-1%3A1%3Acluster%2Fprod.json");
    for (n, f) in names.iter().zip(&files) {
        assert!(!f.contains('/') && !f.starts_with('.'), "{f}");
        assert_eq!(context_of(f).as_deref(), Some(*n), "{f}");
    }
    let mut unique = files.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), files.len());
}
