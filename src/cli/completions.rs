//! `parity completions SHELL` and `parity man`: generated from the clap
//! definition of the command line (clap_complete, clap_mangen), so they
//! never drift from it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish or powershell (also elvish).
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `parity.1` and one `parity-SUBCOMMAND.1` per subcommand into
    /// this folder instead of printing `parity.1`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: CompletionsArgs) -> i32 {
    let mut cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "parity", &mut out);
    let _ = out.flush();
    0
}

pub fn man(args: ManArgs) -> i32 {
    let cmd = super::Cli::command();
    match args.out {
        Some(dir) => {
            let written = std::fs::create_dir_all(&dir).and_then(|()| clap_mangen::generate_to(cmd, &dir));
            match written {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: cannot write man pages to {}: {e}", crate::escape::text(&super::display(&dir)));
                    2
                }
            }
        }
        None => {
            let mut buf = Vec::new();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut buf) {
                eprintln!("error: cannot render the man page: {e}");
                return 2;
            }
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&buf);
            let _ = out.flush();
            0
        }
    }
}
