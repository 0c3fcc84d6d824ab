//! `parity-corpus`: writes a synthetic but realistic corpus of Kubernetes
//! manifests for benchmarks — N envs × M objects (namespaces with default-deny
//! policies, deployments, services, service accounts, RBAC, config maps,
//! nodes) with a seeded, deterministic rate of drift — and prints how many
//! violations of which kind it planted.
//!
//! ```text
//! parity-corpus --envs 3 --objects 63000 --drift 0.02 --format yaml OUT
//! ```
//!
//! `--format yaml` writes `OUT/<env>/ns-NNNN.yaml` (many documents a file),
//! `json` writes `OUT/<env>/part-NNNN.json` (`v1/List` files) and `snapshot`
//! writes `OUT/<env>/snapshot-NNNN.json` (parity snapshots, context = env).
//! `--style` picks how `--format yaml` writes each document, for the
//! benchmarks of every YAML style (the objects are the same in every
//! style): `plain` block YAML (the default), `quoted` (every key and string
//! value double-quoted), `flow` (one flow mapping a line), `json` (one JSON
//! object a document), `block-scalars` (plain, with `|` and `>-`
//! annotations on every object) and `helm` (`helm template` output: a
//! `# Source:` comment per document, string values quoted).
//! Only the standard library is used; the RNG is a tiny xorshift.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod objects;
mod value;

use objects::*;
use value::*;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Yaml,
    Json,
    Snapshot,
}

struct Args {
    envs: usize,
    objects: usize,
    drift: f64,
    seed: u64,
    format: Format,
    style: Style,
    out: PathBuf,
}

const USAGE: &str = "usage: parity-corpus [--envs N] [--objects M] [--drift P] [--seed S] [--format yaml|json|snapshot] \
     [--style plain|quoted|flow|json|block-scalars|helm] OUT";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        envs: 3,
        objects: 63_000,
        drift: 0.02,
        seed: 42,
        format: Format::Yaml,
        style: Style::Plain,
        out: PathBuf::new(),
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match a.as_str() {
            "--envs" => args.envs = value("--envs")?.parse().map_err(|e| format!("--envs: {e}"))?,
            "--objects" => args.objects = value("--objects")?.parse().map_err(|e| format!("--objects: {e}"))?,
            "--drift" => args.drift = value("--drift")?.parse().map_err(|e| format!("--drift: {e}"))?,
            "--seed" => args.seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--format" => {
                args.format = match value("--format")?.as_str() {
                    "yaml" => Format::Yaml,
                    "json" => Format::Json,
                    "snapshot" => Format::Snapshot,
                    other => return Err(format!("unknown format {other}\n{USAGE}")),
                }
            }
            "--style" => {
                args.style = match value("--style")?.as_str() {
                    "plain" => Style::Plain,
                    "quoted" => Style::Quoted,
                    "flow" => Style::Flow,
                    "json" => Style::Json,
                    "block-scalars" => Style::BlockScalars,
                    "helm" => Style::Helm,
                    other => return Err(format!("unknown style {other}\n{USAGE}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if out.is_none() && !a.starts_with('-') => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}\n{USAGE}")),
        }
    }
    args.out = out.ok_or_else(|| USAGE.to_string())?;
    if !(1..=7).contains(&args.envs) {
        return Err("--envs must be between 1 and 7".into());
    }
    Ok(args)
}

/// Env names in promotion order; the last is the reference env.
fn env_names(n: usize) -> Vec<&'static str> {
    let all = ["dev", "test", "qa", "uat", "staging", "preprod"];
    let mut names: Vec<&str> = match n {
        1 => vec![],
        2 => vec!["staging"],
        3 => vec!["dev", "staging"],
        _ => all[..n - 1].to_vec(),
    };
    names.push("prod");
    names
}

fn write(dir: &Path, env: &str, file_no: usize, format: Format, style: Style, objects: &[V]) -> Result<usize, String> {
    let (name, mut text) = match format {
        Format::Yaml => (format!("ns-{file_no:04}.yaml"), String::new()),
        Format::Json => {
            (format!("part-{file_no:04}.json"), String::from("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n"))
        }
        Format::Snapshot => (
            format!("snapshot-{file_no:04}.json"),
            format!(
                "{{\"apiVersion\":\"parity.dev/v1\",\"kind\":\"Snapshot\",\"context\":\"{env}\",\"serverVersion\":\"v1.30.4\",\"objects\":[\n"
            ),
        ),
    };
    for (i, o) in objects.iter().enumerate() {
        match format {
            Format::Yaml => {
                if i > 0 || style == Style::Helm {
                    text.push_str("---\n");
                }
                match style {
                    Style::Flow => {
                        o.flow(&mut text);
                        text.push('\n');
                    }
                    Style::Json => {
                        o.json(&mut text);
                        text.push('\n');
                    }
                    Style::Helm => {
                        let kind = o.entries().and_then(|e| e.into_iter().find(|(k, _)| *k == "kind"));
                        let kind = match kind {
                            Some((_, V::S(k))) => k.to_ascii_lowercase(),
                            _ => "object".into(),
                        };
                        let _ = writeln!(text, "# Source: parity-corpus/templates/{kind}.yaml");
                        o.yaml(&mut text, 0, style);
                    }
                    _ => o.yaml(&mut text, 0, style),
                }
            }
            Format::Json | Format::Snapshot => {
                if i > 0 {
                    text.push_str(",\n");
                }
                o.json(&mut text);
            }
        }
    }
    if format != Format::Yaml {
        text.push_str("\n]}\n");
    }
    let path = dir.join(name);
    std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.len())
}

fn run(args: &Args) -> Result<(), String> {
    let names = env_names(args.envs);
    let nodes = (args.objects / 1000).clamp(6, 500);
    let namespaces = (args.objects.saturating_sub(nodes + 4) / PER_NS).max(1);
    let mut planted = Planted::new();
    let (mut total_objects, mut total_bytes, mut total_files) = (0usize, 0usize, 0usize);
    for (env_idx, env) in names.iter().enumerate() {
        let ctx = Ctx { env, env_idx, names: &names, is_ref: env_idx + 1 == names.len(), drift: args.drift };
        let dir = args.out.join(env);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut batch = Vec::new();
        cluster(&ctx, nodes, args.seed, &mut planted, &mut batch);
        let mut file_no = 0;
        for n in 0..namespaces {
            namespace(&ctx, n, args.seed, &mut planted, &mut batch);
            if (n + 1) % NS_PER_FILE == 0 || n + 1 == namespaces {
                total_objects += batch.len();
                total_bytes += write(&dir, env, file_no, args.format, args.style, &batch)?;
                total_files += 1;
                file_no += 1;
                batch.clear();
            }
        }
    }
    println!(
        "wrote {total_objects} objects ({:.1} MB) in {total_files} files, {} env{} ({}), {namespaces} namespaces and {nodes} nodes per env, to {}",
        total_bytes as f64 / 1e6,
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        args.out.display()
    );
    println!("planted violations (drift {}, seed {}):", args.drift, args.seed);
    for (rule, count) in &planted {
        println!("  {rule:32} {count}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
