use super::*;

#[test]
fn clean_escapes_control_characters_and_bidi_overrides() {
    assert_eq!(clean("v1.30.4", 64), "v1.30.4");
    assert_eq!(clean("a\u{1b}]0;x\u{7}\n::error::b", 64), "a\\u{1b}]0;x\\u{7}\\u{a}::error::b");
    assert_eq!(clean("x\u{202e}gnp.exe\r", 64), "x\\u{202e}gnp.exe\\u{d}");
    assert_eq!(clean("ééééé", 3), "ééé…");
}

#[test]
fn an_exec_plugin_is_named_by_its_file_name_only() {
    // kube words the command as `Command`'s Debug: env values, then the
    // program, then the arguments.
    let mut cmd = std::process::Command::new("/opt/bin/get-token");
    cmd.arg("--secret=ARG").env("PLUGIN_SECRET", "a \"/x/ENV value");
    let debug = format!("{cmd:?}");
    assert!(debug.contains("ARG") && debug.contains("ENV"), "{debug}");
    assert_eq!(plugin_name(&debug), "get-token");
    assert_eq!(plugin_name(""), "?");
}

#[test]
fn a_failed_plugin_is_worded_without_its_output() {
    let out = std::process::Command::new("sh")
        .args(["-c", "echo TOKEN-CANARY; echo ERR-CANARY >&2; exit 3"])
        .output()
        .expect("sh runs");
    let e = AuthError::AuthExecRun {
        cmd: "PLUGIN_SECRET=\"ENV-CANARY\" \"/bin/sh\" \"ARG-CANARY\"".into(),
        out: Box::new(out),
    };
    let text = auth_reason(&e);
    assert_eq!(
        text,
        "the credential plugin `sh` failed (exit status 3); its arguments, environment and output are not shown"
    );
}
