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
        Some(commit) => format!("{version} (commit {commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=PARITY_VERSION={full}");
    // Build again when HEAD moves (a commit, a checkout): HEAD itself and
    // the branch it points at.
    // Only files that exist: a missing one would rerun this every build.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let paths = [Some("HEAD"), branch.as_deref(), Some("packed-refs")];
    for p in paths.into_iter().flatten().filter_map(|p| git(&["rev-parse", "--git-path", p])) {
        if std::path::Path::new(&p).is_file() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
