//! `parity compile [--dump] RULES...`: checks rule files; with `--dump`,
//! prints each rule's bytecode, one op per line.

use std::path::PathBuf;

use clap::Args;

use super::{build_program, read_rule_files};

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Rule files or folders (`*.parity`).
    #[arg(required = true)]
    pub rules: Vec<PathBuf>,
    /// Print the bytecode of every rule.
    #[arg(long)]
    pub dump: bool,
}

pub fn run(args: CompileArgs) -> i32 {
    let (files, errors) = read_rule_files(&args.rules);
    for e in &errors {
        eprintln!("{}", crate::report::escape::error_line(e));
    }
    match build_program(&files, &[], false) {
        Ok((prog, _)) => {
            if args.dump {
                print!("{}", crate::bytecode::disassemble(&prog));
            } else {
                println!("{} rules compiled from {} files", prog.rules.len(), files.len());
            }
            if errors.is_empty() { 0 } else { 2 }
        }
        Err((_, rendered)) => {
            eprint!("{rendered}");
            2
        }
    }
}
