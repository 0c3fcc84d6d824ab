use std::ffi::OsStr;

use super::*;

fn os(s: &str) -> Option<&OsStr> {
    Some(OsStr::new(s))
}

#[test]
fn auto_colours_a_terminal_unless_no_color_is_set() {
    assert!(auto(true, None, None));
    assert!(!auto(false, None, None));
    assert!(!auto(true, os("1"), None));
    // An empty NO_COLOR does not count (no-color.org).
    assert!(auto(true, os(""), None));
}

#[test]
fn clicolor_force_colours_a_pipe_but_no_color_wins() {
    assert!(auto(false, None, os("1")));
    assert!(!auto(false, None, os("0")));
    assert!(!auto(false, None, os("")));
    assert!(!auto(false, os("1"), os("1")));
}

#[test]
fn prescan_finds_the_last_color_flag_before_the_separator() {
    assert_eq!(prescan(["parity", "check", "x"]), ColorWhen::Auto);
    assert_eq!(prescan(["parity", "--color", "always", "check"]), ColorWhen::Always);
    assert_eq!(prescan(["parity", "check", "--color=never"]), ColorWhen::Never);
    assert_eq!(prescan(["parity", "check", "--color=always", "--color", "never"]), ColorWhen::Never);
    assert_eq!(prescan(["parity", "check", "--no-color"]), ColorWhen::Never);
    assert_eq!(prescan(["parity", "check", "--", "--color=always"]), ColorWhen::Auto);
    // Not a value: left to clap to report.
    assert_eq!(prescan(["parity", "check", "--color=sometimes"]), ColorWhen::Auto);
}
