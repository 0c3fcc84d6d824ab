use super::*;

#[test]
fn plain_text_is_borrowed() {
    assert!(matches!(text("web/api v1.2 \\ ok é 日本"), Cow::Borrowed(_)));
}

#[test]
fn controls_and_bidi_are_visible() {
    assert_eq!(text("a\nb\rc\td"), "a\\nb\\rc\\td");
    assert_eq!(text("x\x1b]8;;http://e\x07y"), "x\\u{1b}]8;;http://e\\u{7}y");
    assert_eq!(text("\u{0}\u{7f}\u{85}\u{9b}"), "\\u{0}\\u{7f}\\u{85}\\u{9b}");
    assert_eq!(text("a\u{202e}b\u{2066}c\u{2069}\u{2028}"), "a\\u{202e}b\\u{2066}c\\u{2069}\\u{2028}");
}

#[test]
fn no_line_of_output_can_start_a_workflow_command() {
    let hostile = "web\n::add-mask::x\r\n::stop-commands::t\n  ::error file=a::b";
    let out = text(hostile);
    assert_eq!(out.lines().count(), 1);
    assert!(out.starts_with("web"));
}

#[test]
fn keep_lines_keeps_line_feeds_only() {
    assert_eq!(keep_lines("a\x1b[2J\nb\rc"), "a\\u{1b}[2J\nb\\rc");
}
