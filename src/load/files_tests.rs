use super::*;

fn write(root: &Path, rel: &str, text: &[u8]) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, text).unwrap();
}

#[test]
fn candidates() {
    assert!(is_candidate("a.yaml") && is_candidate("b.YML") && is_candidate("c.json"));
    assert!(!is_candidate("rules.parity") && !is_candidate(".hidden.yaml") && !is_candidate("x.txt"));
}

#[test]
fn walk_is_sorted_and_skips_hidden() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for rel in ["b.yaml", "a/z.yml", "a/y.json", ".git/c.yaml", "a/.d.yaml", "r.parity", "c.txt"] {
        write(root, rel, b"x: 1\n");
    }
    let mut errors = Vec::new();
    let files = walk(root, "top", false, &mut errors, &mut Vec::new());
    let shown: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(shown, vec!["top/b.yaml", "top/a/y.json", "top/a/z.yml"]);
    assert!(errors.is_empty());
}

#[test]
fn walk_lists_a_folders_files_before_its_sub_folders_at_every_depth() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for rel in ["a.yaml", "b/c.yaml", "b/d/e.yaml", "b/z.yaml", "c.yaml", "b/d/.f/g.yaml", "b/notes.parity"] {
        write(root, rel, b"x: 1\n");
    }
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let files = walk(root, "top", false, &mut errors, &mut warnings);
    let shown: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(shown, ["top/a.yaml", "top/c.yaml", "top/b/c.yaml", "top/b/z.yaml", "top/b/d/e.yaml"]);
    assert!(errors.is_empty());
    let warned: Vec<(&str, &str)> = warnings.iter().map(|w| (w.code.as_str(), w.file.as_str())).collect();
    assert_eq!(warned, [("parity::load::rule-file-in-manifests", "top/b/notes.parity")]);
}

#[cfg(unix)]
#[test]
fn symlinks_skipped_by_default_and_loops_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "d/a.yaml", b"x: 1\n");
    std::os::unix::fs::symlink(root.join("d"), root.join("d/loop")).unwrap();
    std::os::unix::fs::symlink(root.join("d/a.yaml"), root.join("link.yaml")).unwrap();
    let mut errors = Vec::new();
    let files = walk(root, "r", false, &mut errors, &mut Vec::new());
    assert_eq!(files.len(), 1);
    assert!(errors.is_empty());
    let files = walk(root, "r", true, &mut errors, &mut Vec::new());
    let shown: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(shown, vec!["r/link.yaml", "r/d/a.yaml"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "parity::load::symlink-loop");
    assert_eq!(errors[0].file, "r/d/loop");
}

#[test]
fn read_limits_and_encoding() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "big.yaml", &[b'a'; 100]);
    write(root, "bin.yaml", b"a: \0\n");
    write(root, "latin.yaml", b"a: \xe9\n");
    let e = read_text(&root.join("big.yaml"), "big.yaml", 10).unwrap_err();
    assert_eq!((e.code.as_str(), e.file.as_str()), ("parity::load::too-large", "big.yaml"));
    assert_eq!(read_text(&root.join("big.yaml"), "big.yaml", 100).map(|t| t.len()), Ok(100));
    for name in ["bin.yaml", "latin.yaml"] {
        let e = read_text(&root.join(name), name, 1000).unwrap_err();
        assert_eq!(e.message, "file is not UTF-8 text");
    }
    let e = read_text(&root.join("gone.yaml"), "gone.yaml", 1000).unwrap_err();
    assert_eq!(e.code, "parity::load::io");
    assert!(e.message.starts_with("cannot read file: "), "{}", e.message);
}

/// A file is read again only as the text it was: the same length and hash;
/// a longer file is not read past the old length.
#[test]
fn read_again_takes_only_the_same_text() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.yaml");
    let text = "kind: ConfigMap\nmetadata: {name: a}\n";
    std::fs::write(&path, text).unwrap();
    let (len, hash) = (text.len() as u64, text_hash(text));
    assert_eq!(read_again(&path, len, hash).as_deref(), Some(text));
    std::fs::write(&path, text.replace('a', "b")).unwrap();
    assert_eq!(read_again(&path, len, hash), None, "same length, other text");
    std::fs::write(&path, format!("{text}# more\n")).unwrap();
    assert_eq!(read_again(&path, len, hash), None, "longer");
    std::fs::write(&path, &text[1..]).unwrap();
    assert_eq!(read_again(&path, len, hash), None, "shorter");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(read_again(&path, len, hash), None, "gone");
    assert_ne!(text_hash("a"), text_hash("b"));
}
