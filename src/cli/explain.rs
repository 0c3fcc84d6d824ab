//! `parity explain RULE-ID`: a rule's documentation — what it checks, why it
//! matters, how to fix it, an example — from the rule's own text.

use std::path::PathBuf;

use clap::Args;

use crate::bytecode::Rule;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. `gpu-node-parity`.
    pub id: String,
    /// Rule files or folders to look in (default: the standard library).
    pub rules: Vec<PathBuf>,
}

pub fn run(args: ExplainArgs) -> i32 {
    let prog = match super::rules_program(&args.rules) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match prog.rule(&args.id) {
        Some(rule) => {
            // Rule docs keep their lines; anything else a rule file brought
            // in (ESC, CR, bidi overrides) is escaped.
            print!("{}", crate::escape::keep_lines(&explain(rule)));
            0
        }
        None => {
            let ids: Vec<&str> = prog.rules.iter().map(|r| r.id.as_str()).collect();
            match crate::diag::did_you_mean(&args.id, ids) {
                Some(s) => eprintln!("error: no rule `{}`; did you mean `{s}`?", crate::escape::text(&args.id)),
                None => {
                    eprintln!("error: no rule `{}`; `parity rules` lists them", crate::escape::text(&args.id))
                }
            }
            2
        }
    }
}

/// The documentation of one rule as text.
pub fn explain(rule: &Rule) -> String {
    let mut out = format!("{} ({})\n", rule.id, rule.severity);
    if !rule.title.is_empty() {
        out.push_str(&format!("  {}\n", rule.title));
    }
    out.push_str(&format!("\nRule:\n  {}\n", rule.body.trim().replace('\n', "\n  ")));
    for (head, text) in [("Why", &rule.why), ("Fix", &rule.fix), ("Example", &rule.example)] {
        if !text.is_empty() {
            out.push_str(&format!("\n{head}:\n  {}\n", text.trim().replace('\n', "\n  ")));
        }
    }
    if !rule.tags.is_empty() {
        out.push_str(&format!("\nTags: {}\n", rule.tags.join(", ")));
    }
    out.push_str(&format!("Defined in: {}\n", rule.origin));
    out
}
