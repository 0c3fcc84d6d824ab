//! Shared by the end-to-end tests: run the real `parity` binary and read its
//! JSON report.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Wall time of the run (a sanity bound in tests, never a benchmark).
    pub elapsed: std::time::Duration,
}

/// Runs parity in `dir` with arguments, optional stdin and extra env vars.
pub fn parity_in(dir: &Path, args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Run {
    let started = std::time::Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parity"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("PARITY_TODAY")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the parity binary runs");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes()).expect("stdin is written");
    }
    let out = child.wait_with_output().expect("parity finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Runs parity in the repository root.
pub fn parity_with(args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Run {
    parity_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin, envs)
}

pub fn parity(args: &[&str]) -> Run {
    parity_with(args, None, &[])
}

pub fn json(run: &Run) -> Json {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// `rule env [kind [ns/]name]` of every finding in a list, in order.
pub fn keys_of(list: &Json) -> Vec<String> {
    list.as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            let obj = if s("kind").is_empty() {
                String::new()
            } else if s("namespace").is_empty() {
                format!(" {} {}", s("kind"), s("name"))
            } else {
                format!(" {} {}/{}", s("kind"), s("namespace"), s("name"))
            };
            format!("{} {}{obj}", s("rule"), s("env")).trim_end().to_string()
        })
        .collect()
}

pub fn keys(report: &Json) -> Vec<String> {
    keys_of(&report["findings"])
}

/// Writes files (path relative to `root`, text) into a folder.
pub fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write fixture");
    }
}

/// An external tool a test drives (the SARIF Multitool, pre-commit) is not
/// installed. The test fails, never passes silently: `.ci/run` installs the
/// tools, and `PARITY_SKIP_EXTERNAL_TOOLS=1` skips such tests on purpose
/// (the skip is printed).
#[allow(dead_code)]
pub fn tool_missing(tool: &str) {
    let skip = std::env::var("PARITY_SKIP_EXTERNAL_TOOLS").is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(
        skip,
        "{tool} is not installed: run the suite with .ci/run (which installs it), \
         or set PARITY_SKIP_EXTERNAL_TOOLS=1 to skip this test on purpose"
    );
    eprintln!("PARITY_SKIP_EXTERNAL_TOOLS: skipping the test that needs {tool}");
}
