//! The `parity` binary: parse arguments, run the subcommand, exit with its
//! code (0 clean, 1 findings, 2 errors).
#![forbid(unsafe_code)]

use clap::Parser;

fn main() {
    let cli = parity::cli::Cli::parse();
    let code = parity::cli::run(cli);
    std::process::exit(code);
}
