use super::*;

#[test]
fn full_config() {
    let text = r#"
promotion = ["dev", "staging", "prod"]
[[env]]
name = "dev"
sources = ["manifests/dev"]
tags = ["nonprod"]
[[env]]
name = "staging"
source = "cluster/shared"
namespaces = ["staging-*"]
strip-prefix = "staging-"
namespace-map = { "stg-web" = "web" }
[[exception]]
rule = "x"
reason = "r"
owner = "o"
"#;
    let c = match parse_config(text, "parity.toml") {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(c.promotion.as_deref().map(<[String]>::len), Some(3));
    assert_eq!(c.envs[0].all_sources(), vec!["manifests/dev"]);
    assert_eq!(c.envs[1].strip_prefix.as_deref(), Some("staging-"));
    assert_eq!(c.envs[1].namespace_map.get("stg-web").map(String::as_str), Some("web"));
    assert_eq!(c.exceptions.len(), 1);
}

#[test]
fn unknown_key_is_an_error_with_line() {
    let text = "[[env]]\nname = \"dev\"\nsource = \"a\"\nnamespcae = [\"x\"]\n";
    let e = parse_config(text, "parity.toml").unwrap_err();
    assert_eq!(e.code, "parity::load::config");
    assert_eq!(e.file, "parity.toml");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("namespcae"), "{}", e.message);
}

#[test]
fn env_without_source_is_an_error() {
    let e = parse_config("[[env]]\nname = \"dev\"\n", "p.toml").unwrap_err();
    assert!(e.message.contains("no `source`"), "{}", e.message);
}

#[test]
fn env_errors_point_at_the_env_and_unknown_keys_suggest_the_closest() {
    let text = "[[env]]\nname = \"dev\"\nsource = \"a\"\n\n[[env]]\nname = \"dev\"\nsource = \"b\"\n";
    let e = parse_config(text, "parity.toml").unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (5, "env `dev` is declared twice"));
    let e =
        parse_config("promotion = [\"a\"]\n[[env]]\nname = \"a\"\nsources = [\"a\"]\nstrip_prefix = \"x\"\n", "p.toml")
            .unwrap_err();
    assert_eq!((e.line, e.column), (5, 1));
    assert!(e.message.ends_with("did you mean `strip-prefix`?"), "{}", e.message);
    let e = parse_config("promotions = [\"a\"]\n", "p.toml").unwrap_err();
    assert!(e.message.contains("did you mean `promotion`?"), "{}", e.message);
}

#[test]
fn the_folder_of_the_file_is_the_base_of_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parity.toml");
    std::fs::write(&path, "[[env]]\nname = \"a\"\nsource = \"x\"\n").unwrap();
    let c = read_config(&path).unwrap();
    assert_eq!(c.base, dir.path());
    assert_eq!(c.envs[0].span.start, 0);
}

#[test]
fn env_version_is_read_and_checked() {
    let ok = "[[env]]\nname = \"dev\"\nsource = \"a\"\nversion = \"1.30\"\n";
    let c = parse_config(ok, "parity.toml").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.envs[0].version.as_ref().map(|v| v.get_ref().as_str()), Some("1.30"));
    for bad in ["\"1\"", "\"latest\"", "\"1.x\""] {
        let text = format!("[[env]]\nname = \"dev\"\nsource = \"a\"\nversion = {bad}\n");
        let e = parse_config(&text, "parity.toml").unwrap_err();
        assert_eq!((e.line, e.column), (4, 11), "{bad}: {e:?}");
        assert!(e.message.contains("not a Kubernetes version"), "{}", e.message);
    }
    // TOML reads an unquoted 1.30 as the number 1.3: a type error with its line.
    let e = parse_config("[[env]]\nname = \"dev\"\nsource = \"a\"\nversion = 1.30\n", "p.toml").unwrap_err();
    assert_eq!(e.line, 4, "{e:?}");
}
