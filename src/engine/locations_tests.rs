use std::sync::Arc;

use super::{Below, LINE_STEP, Lines, NEAR_LINES, cut_frame, key_line_above, line_start, line_starts};

/// Frames found from the line index, or by scanning from any nearby line
/// (an object's first line), equal frames cut by scanning the text from its
/// start, for every line of texts around the index's steps.
#[test]
fn frames_from_the_line_index_or_a_near_line_equal_frames_from_the_start() {
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
        numbered(NEAR_LINES as usize + 10, "\n"),
    ];
    for text in &texts {
        let lines = Lines::new(Arc::new(text.clone()));
        let count = text.lines().count() as u32;
        // A byte offset on each line (its start, and its last byte).
        let mut points = vec![(0, 1)];
        for (i, _) in text.match_indices('\n') {
            let n = text[..i].matches('\n').count() as u32 + 1;
            points.push((i, n));
            points.push((i + 1, n + 1));
        }
        for line in 0..=count + 2 {
            let want = cut_frame(text, line);
            assert_eq!(lines.frame(line, None), want, "line {line} of {text:?}");
            for &near in points.iter().filter(|(at, _)| *at <= text.len()) {
                assert_eq!(lines.frame(line, Some(near)), want, "line {line} near {near:?} of {text:?}");
            }
        }
    }
    // And the frame is what it should be.
    let text = numbered(2 * LINE_STEP, "\n");
    let frame = Lines::new(Arc::new(text)).frame(LINE_STEP as u32 + 1, None);
    let want: Vec<(u32, String)> = (LINE_STEP..=LINE_STEP + 2).map(|i| (i as u32, format!("line {i}"))).collect();
    assert_eq!(frame, want);
}

/// An object's `doc_offset` is on its first line, in every style, so that
/// frames found from it are the frames of the whole text.
#[test]
fn frames_from_an_objects_start_equal_frames_from_the_index() {
    let padding = (0..3 * LINE_STEP).map(|i| format!("  k{i}: v\n")).collect::<String>();
    let texts = [
        format!(
            "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n{padding}---\n\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
        ),
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"c\"}}\n".to_string(),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: d\n\
         - {apiVersion: v1, kind: ConfigMap,\n   metadata: {name: e}}\n"
            .to_string(),
        "\"apiVersion\": \"v1\"\n\"kind\": \"ConfigMap\"\n\"metadata\":\n  \"name\": \"f\"\n\"data\":\n  \"x\": |\n    one\n    two\n"
            .to_string(),
        "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \
         \"metadata\": {\"name\": \"g\"}},\n  {\"apiVersion\": \"v1\",\n   \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"h\"}}]}\n"
            .to_string(),
    ];
    let memory: Vec<crate::load::envs::Memory> =
        texts.iter().enumerate().map(|(i, t)| ("dev".to_string(), format!("f{i}.yaml"), t.clone())).collect();
    let loaded = crate::load::load_inputs_with(&[], &[], None, memory, &crate::load::LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let world = &loaded.world;
    let objects: Vec<_> = world.envs.iter().flat_map(|e| e.objects.iter()).collect();
    assert_eq!(objects.len(), 8);
    for o in objects {
        let Some(crate::world::SourceText::Memory(text)) = world.sources.get(o.file as usize) else {
            panic!("the text of {} is kept", o.name)
        };
        let lines = Lines::new(text.clone());
        for line in o.line.saturating_sub(2)..=o.line + NEAR_LINES + 3 {
            let near = (o.doc_offset as usize, o.line);
            assert_eq!(lines.frame(line, Some(near)), cut_frame(text, line), "line {line} of {}", o.name);
        }
    }
}

/// The key a block value belongs to is found past blank and comment lines,
/// plain, quoted or after a list's dash, and not past anything else.
#[test]
fn a_block_values_key_is_on_the_line_above_it() {
    let text =
        "a:\n  affinityy:\n    # note\n\n    nodeAffinity: {}\n  - \"ports\" :\n    - 80\n  other: 1\n    x: 2\n";
    let starts = line_starts(text);
    let at = |line: u32, key: &str| {
        key_line_above(text, line_start(text, &starts, line).expect("line"), line, key, Below::Collection)
    };
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
        assert_eq!(
            key_line_above(&numbered, start, line, &format!("k{}", line - 1), Below::Collection),
            Some(line - 1)
        );
    }
}

/// A block scalar's text belongs to the key above it only when that key's
/// value is a block indicator (after an anchor or tag, too): another
/// string's text starts on its own key's line.
#[test]
fn a_block_scalars_key_holds_a_block_indicator() {
    let text =
        "data:\n  a: |\n    text\n  b: &x >-\n\n    folded\n  c: !!str |+\n    kept\n  d: plain\n    continued\n";
    let starts = line_starts(text);
    let at = |line: u32, key: &str| {
        key_line_above(text, line_start(text, &starts, line).expect("line"), line, key, Below::BlockScalar)
    };
    assert_eq!(at(3, "a"), Some(2));
    assert_eq!(at(6, "b"), Some(4), "past a blank line, after an anchor");
    assert_eq!(at(8, "c"), Some(7), "after a tag");
    assert_eq!(at(10, "d"), None, "a plain scalar's text starts on its key's line");
}

/// Old Mac line ends (a carriage return alone) end lines in frames as they
/// do for the parsers; CRLF stays as it is.
#[test]
fn a_lone_carriage_return_ends_a_line() {
    let lines = Lines::new(Arc::new("a: 1\rb: 2\rc: 3\r\nd: 4\r".to_string()));
    assert_eq!(lines.text.len(), "a: 1\rb: 2\rc: 3\r\nd: 4\r".len());
    let frame = lines.frame(2, None);
    assert_eq!(frame, [(1, "a: 1".to_string()), (2, "b: 2".to_string()), (3, "c: 3".to_string())]);
    assert_eq!(lines.frame(4, Some((12, 3))), [(3, "c: 3".to_string()), (4, "d: 4".to_string())]);
}
