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

/// Frames cut from an object's own start equal frames cut from the file's
/// line index, for every object of texts in several styles and every line
/// from just before the object to past the near window.
#[test]
fn frames_from_an_objects_start_equal_frames_from_the_index() {
    use super::FileCache;
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
    ];
    let memory: Vec<crate::load::envs::Memory> =
        texts.iter().enumerate().map(|(i, t)| ("dev".to_string(), format!("f{i}.yaml"), t.clone())).collect();
    let loaded = crate::load::load_inputs_with(&[], &[], None, memory, &crate::load::LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let world = &loaded.world;
    let objects: Vec<_> = world.envs.iter().flat_map(|e| e.objects.iter()).collect();
    assert_eq!(objects.len(), 6);
    let files = FileCache::new(world, None);
    for o in objects {
        assert!(files.text(o.file).is_some(), "the text of {} is kept", o.name);
        for line in o.line.saturating_sub(2)..=o.line + LINE_STEP as u32 + 3 {
            let near = files.frame_of(o, line);
            let fresh = FileCache::new(world, None);
            assert_eq!(near, fresh.frame(o.file, line), "line {line} of {}", o.name);
        }
    }
}
