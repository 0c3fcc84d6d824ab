//! `parity diff --format html` in a real headless browser (Debian's
//! `chromium`): the page is loaded with `--dump-dom`, the drift matrix and
//! one opened diff are read from the DOM, and a `--screenshot` is decoded
//! and checked not to be blank. Hostile manifest text must stay text.
//!
//! The browser is `PARITY_CHROMIUM` or `/usr/bin/chromium` (`.ci/run`
//! installs it). When it is missing the test fails under `CI` and is
//! skipped with a notice elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("PARITY_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into());
    p.is_file().then_some(p)
}

/// Runs headless chromium on `url` with extra flags; returns stdout.
fn browse(browser: &Path, url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_of(dir: &Path, args: &[&str]) -> String {
    let run = parity_in(dir, args, None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let page = run.stdout;
    // Self-contained: nothing is loaded from anywhere.
    for external in ["src=", "<link", "http://", "https://", "@import", "url("] {
        assert!(!page.contains(external), "the page refers to `{external}`");
    }
    page
}

/// The decoded pixels of an 8-bit RGB or RGBA PNG: (width, height, distinct colours up to 64).
fn png_colours(bytes: &[u8]) -> (u32, u32, usize) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut at, mut idat, mut header) = (8, Vec::new(), None);
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                header = Some((
                    u32::from_be_bytes(data[0..4].try_into().unwrap()),
                    u32::from_be_bytes(data[4..8].try_into().unwrap()),
                    data[8],
                    data[9],
                ))
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let (w, h, depth, colour) = header.expect("IHDR");
    assert_eq!(depth, 8, "bit depth");
    let bpp = match colour {
        2 => 3,
        6 => 4,
        c => panic!("colour type {c}"),
    };
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("IDAT inflates");
    let stride = w as usize * bpp;
    let mut prev = vec![0u8; stride];
    let mut colours = std::collections::HashSet::new();
    for row in raw.chunks(stride + 1).take(h as usize) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] as i16 } else { 0 };
            let b = prev[i] as i16;
            let c = if i >= bpp { prev[i - bpp] as i16 } else { 0 };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[i] = line[i].wrapping_add(pred as u8);
        }
        for px in cur.chunks(bpp) {
            if colours.len() < 64 {
                colours.insert(px[..3].to_vec());
            }
        }
        prev = cur;
    }
    (w, h, colours.len())
}

#[test]
fn the_page_shows_the_matrix_and_opens_a_diff_in_a_real_browser() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/strict/planted");
    let page = page_of(&dir, &["diff", "--rules", "strict.parity", "--format", "html"]);
    let Some(browser) = chromium() else {
        assert!(!in_ci(), "chromium is not installed: CI must install it (.ci/run)");
        eprintln!("notice: chromium not found (PARITY_CHROMIUM or /usr/bin/chromium); the browser test is skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("page.html");
    std::fs::write(&file, &page).unwrap();
    let url = format!("file://{}#d-1", file.display());
    let dom = browse(&browser, &url, &["--dump-dom".into()]);
    // The matrix: objects (sorted by kind) × envs in promotion order.
    assert!(dom.contains("<thead><tr><th>object</th><th>dev</th><th>staging</th><th>prod</th></tr></thead>"), "{dom}");
    let row = |i: usize| {
        dom.split(&format!("<tr id=\"r-{i}\">")).nth(1).and_then(|r| r.split("</tr>").next()).unwrap().to_string()
    };
    let cells = |r: &str| -> Vec<String> {
        r.split("<a href=")
            .skip(1)
            .map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap().to_string())
            .collect()
    };
    assert!(row(0).contains("ConfigMap shop/web-config"));
    assert_eq!(cells(&row(0)), ["equal", "1 field differs", "baseline"]);
    assert!(row(1).contains("Deployment shop/web"));
    assert_eq!(cells(&row(1)), ["2 fields differ", "1 field differs", "baseline"]);
    assert_eq!(cells(&row(2)), ["equal", "equal", "baseline"]);
    // The fragment opened the Deployment's differences, and only them.
    assert!(dom.contains("data-open=\"d-1\""), "{dom}");
    let open: Vec<&str> = dom.split("<section ").skip(1).filter(|s| s.starts_with("class=\"diff open\"")).collect();
    assert_eq!(open.len(), 1);
    assert!(open[0].starts_with("class=\"diff open\" id=\"d-1\""));
    assert!(open[0].contains("spec.template.spec.containers[name=web].readinessProbe.httpGet.path"));
    assert!(open[0].contains("\"/health\"") && open[0].contains("\"/healthz\""));
    // A screenshot of it, which is not blank.
    let shot = tmp.path().join("shot.png");
    browse(&browser, &url, &[format!("--screenshot={}", shot.display()), "--window-size=1200,900".into()]);
    let png = std::fs::read(&shot).expect("the screenshot is written");
    let (w, h, colours) = png_colours(&png);
    assert!(w >= 1000 && h >= 800, "{w}x{h}");
    assert!(colours >= 8, "the screenshot has {colours} colours: blank");
}

#[test]
fn hostile_manifest_text_stays_text_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "</td></table><script>document.title='pwned'</script><img src=x onerror=alert(1)>";
    let cm =
        |v: &str| format!("kind: ConfigMap\napiVersion: v1\nmetadata: {{name: x, namespace: a}}\ndata:\n  k: {v:?}\n");
    write_tree(dir.path(), &[("m/dev/c.yaml", &cm(evil)), ("m/prod/c.yaml", &cm("safe"))]);
    let run = parity_in(dir.path(), &["diff", "--tree", "m", "--format", "html"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("<script>document") && !run.stdout.contains("<img"), "unescaped");
    assert!(run.stdout.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    let Some(browser) = chromium() else {
        assert!(!in_ci(), "chromium is not installed: CI must install it (.ci/run)");
        return;
    };
    let file = dir.path().join("page.html");
    std::fs::write(&file, &run.stdout).unwrap();
    let dom = browse(&browser, &format!("file://{}#d-0", file.display()), &["--dump-dom".into()]);
    assert!(dom.contains("<title>parity diff</title>"), "the page's script ran a manifest's: {dom}");
    assert!(!dom.contains("<img"));
}
