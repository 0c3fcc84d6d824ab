use super::{LINE_STEP, cut_frame, key_line_above, line_start, line_starts};

/// Frames cut with the line index equal frames cut by scanning the text
/// from its start, for every line of texts around the index's steps.
#[test]
fn frames_from_the_line_index_equal_frames_from_the_start() {
    let numbered = |n: usize, end: &str| (1..=n).map(|i| format!("line {i}{end}")).collect::<String>();
    let texts = [
        String::new(),
        "one line, no newline".to_string(),
        numbered(LINE_STEP - 1, "\n"),
        numbered(LINE_STEP, "\n"),
        numbered(LINE_STEP + 1, "\n"),
        numbered(3 * LINE_STEP + 5, "\n"),
        numbered(2 * LINE_STEP, "\r\n"),
        format!("{}last line without newline", numbered(LINE_STEP, "\n")),
        format!("{}\n\n\n{}", numbered(LINE_STEP - 2, "\n"), "é".repeat(200)),
        "\n".repeat(3 * LINE_STEP),
    ];
    for text in &texts {
        let starts = line_starts(text);
        let lines = text.lines().count() as u32;
        for line in 0..=lines + 2 {
            assert_eq!(cut_frame(text, Some(&starts), line), cut_frame(text, None, line), "line {line} of {text:?}");
        }
    }
    // And the frame is what it should be.
    let text = numbered(2 * LINE_STEP, "\n");
    let frame = cut_frame(&text, Some(&line_starts(&text)), LINE_STEP as u32 + 1);
    let want: Vec<(u32, String)> = (LINE_STEP..=LINE_STEP + 2).map(|i| (i as u32, format!("line {i}"))).collect();
    assert_eq!(frame, want);
}

/// The key a block value belongs to is found past blank and comment lines,
/// plain, quoted or after a list's dash, and not past anything else.
#[test]
fn a_block_values_key_is_on_the_line_above_it() {
    let text =
        "a:\n  affinityy:\n    # note\n\n    nodeAffinity: {}\n  - \"ports\" :\n    - 80\n  other: 1\n    x: 2\n";
    let starts = line_starts(text);
    let at = |line: u32, key: &str| key_line_above(text, line_start(text, &starts, line).expect("line"), line, key);
    assert_eq!(at(5, "affinityy"), Some(2), "past a comment and a blank line");
    assert_eq!(at(7, "ports"), Some(6), "quoted, after a dash, space before the colon");
    assert_eq!(at(9, "x"), None, "the line above holds another key");
    assert_eq!(at(2, "a"), Some(1));
    assert_eq!(at(1, "a"), None, "nothing above the first line");
    let numbered: String = (1..=3 * LINE_STEP).map(|i| format!("k{i}:\n")).collect();
    let starts = line_starts(&numbered);
    for line in [2, LINE_STEP as u32, LINE_STEP as u32 + 1, 2 * LINE_STEP as u32 + 3] {
        let start = line_start(&numbered, &starts, line).expect("line");
        assert!(numbered[start..].starts_with(&format!("k{line}:")), "line {line}");
        assert_eq!(key_line_above(&numbered, start, line, &format!("k{}", line - 1)), Some(line - 1));
    }
}
