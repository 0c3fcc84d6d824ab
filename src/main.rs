//! The `parity` binary: parse arguments, run the subcommand, exit with its
//! code (0 clean, 1 findings, 2 errors).
#![forbid(unsafe_code)]

use clap::{CommandFactory, FromArgMatches};

/// jemalloc where it builds (see Cargo.toml): it reuses freed memory where
/// glibc's malloc returned large buffers to the kernel and faulted fresh
/// pages in for the next file.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    // clap's own help and errors follow `--color` too.
    let when = parity::cli::color::prescan(std::env::args_os());
    let cmd = parity::cli::Cli::command().color(parity::cli::color::clap_choice(when));
    let cli = match parity::cli::Cli::from_arg_matches(&cmd.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let code = parity::cli::run(cli);
    std::process::exit(code);
}
