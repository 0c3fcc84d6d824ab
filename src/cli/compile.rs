//! `parity compile [--dump] RULES...`: checks rule files; with `--dump`,
//! prints each rule's bytecode, one op per line. `--explain RULE` prints how
//! a rule's sentence is read, fully parenthesised.

use std::path::PathBuf;

use clap::Args;

use super::{build_program, read_rule_files};

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Rule files or folders (`*.parity`).
    #[arg(required_unless_present = "explain")]
    pub rules: Vec<PathBuf>,
    /// Print how a rule is read: its body with every condition, filter and
    /// operand parenthesised. RULE is the id of a rule in the given files,
    /// or rule text (`every namespace with some deployment has ...`).
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// Print the bytecode of every rule.
    #[arg(long)]
    pub dump: bool,
}

pub fn run(args: CompileArgs) -> i32 {
    let (files, errors) = read_rule_files(&args.rules);
    if let Some(rule) = &args.explain {
        for e in &errors {
            eprintln!("error[{}]: {}: {}", e.code, e.file, e.message);
        }
        let code = explain(&files, rule);
        return if errors.is_empty() { code } else { 2 };
    }
    for e in &errors {
        eprintln!("{}", crate::escape::error_line(e));
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

/// Prints the reading of a rule (by id in `files`, else `rule` as rule
/// text), then compiles it so that a sentence the compiler rejects (an
/// ambiguous one included) is reported with exit 2.
fn explain(files: &[(String, String)], rule: &str) -> i32 {
    let mut bodies = Vec::new();
    let mut found = None;
    for (i, (_, text)) in files.iter().enumerate() {
        let Ok(module) = crate::syntax::parse_module(i as u32, text) else { continue };
        for item in &module.items {
            if let crate::syntax::ast::Item::Rule(decl) = item
                && decl.id.text == rule
                && let Some(body) = &decl.body
            {
                found = Some(crate::syntax::print::reading(body));
            }
        }
    }
    let reading = match found {
        Some(r) => r,
        None => match crate::syntax::parse_body(0, rule) {
            Ok(body) => {
                bodies.push(rule.to_string());
                crate::syntax::print::reading(&body)
            }
            Err(_) => {
                // Not an id and not a sentence: show the syntax error.
                bodies.push(rule.to_string());
                String::new()
            }
        },
    };
    if !reading.is_empty() {
        println!("{reading}");
    }
    match build_program(files, &bodies, false) {
        Ok(_) => 0,
        Err((_, rendered)) => {
            eprint!("{rendered}");
            2
        }
    }
}
