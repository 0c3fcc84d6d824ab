use super::{LINE_STEP, cut_frame, line_starts};

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
