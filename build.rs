//! Records the commit parity is built from for `parity --version`
//! (`0.1.0 (commit 1a2b3c4d5e6f)`); without git or outside a repository
//! (a source tarball, a Docker build context without `.git`) the version is
//! the package version alone.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
            format!("{version} (commit {commit}{})", if dirty { ", modified" } else { "" })
        }
        None => version.to_string(),
    };
    println!("cargo:rustc-env=PARITY_VERSION={full}");
    // Build again when HEAD moves (a commit, a checkout).
    for path in [git(&["rev-parse", "--git-path", "HEAD"]), git(&["rev-parse", "--git-path", "index"])] {
        if let Some(p) = path {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r])) {
        println!("cargo:rerun-if-changed={r}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
