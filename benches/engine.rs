//! Criterion benchmarks: parse+compile of the standard library, loading a
//! generated corpus as YAML and as JSON (throughput in objects per second),
//! and evaluating the standard library over it with 1 and 2 rayon threads.
//!
//! The corpus comes from the `parity-corpus` binary (built by `cargo bench --features corpus`
//! along with this target) into a temp dir; sizes are kept small so the whole
//! run takes a few minutes. `scripts/bench.sh` measures the full-size case.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parity::diag::Sources;
use parity::load::{Input, LoadOptions, load_inputs};

/// Objects per env of the benchmark corpus (3 envs).
const OBJECTS_PER_ENV: usize = 5000;

fn stdlib_files() -> Vec<(String, String)> {
    parity::stdlib::LIBRARY.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

fn generate(dir: &Path, format: &str) -> Option<PathBuf> {
    let out = dir.join(format);
    let status = Command::new(env!("CARGO_BIN_EXE_parity-corpus"))
        .args(["--envs", "3", "--objects", &OBJECTS_PER_ENV.to_string(), "--format", format])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status();
    status.is_ok_and(|s| s.success()).then_some(out)
}

fn load(dir: &Path) -> parity::load::Loaded {
    load_inputs(&[Input::Path(dir.to_path_buf())], &[], None, &LoadOptions::default())
}

fn benches(c: &mut Criterion) {
    let files = stdlib_files();
    c.bench_function("compile/stdlib", |b| {
        b.iter(|| {
            let mut sources = Sources::default();
            parity::compile::build(&mut sources, &files, &[]).map(|p| p.rules.len()).unwrap_or(0)
        })
    });

    let Ok(tmp) = tempfile::tempdir() else { return eprintln!("no temp dir") };
    let (Some(yaml), Some(json)) = (generate(tmp.path(), "yaml"), generate(tmp.path(), "json")) else {
        return eprintln!("parity-corpus failed");
    };
    let objects = load(&yaml).world.object_count() as u64;

    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.throughput(Throughput::Elements(objects));
    g.bench_function("yaml", |b| b.iter(|| load(&yaml).world.object_count()));
    g.bench_function("json", |b| b.iter(|| load(&json).world.object_count()));
    g.finish();

    let mut sources = Sources::default();
    let Ok(prog) = parity::compile::build(&mut sources, &files, &[]) else {
        return eprintln!("the standard library does not compile");
    };
    let world = load(&yaml).world;
    let mut g = c.benchmark_group("eval/stdlib");
    g.sample_size(10);
    g.throughput(Throughput::Elements(objects));
    for threads in [1, 2] {
        let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else { continue };
        g.bench_function(format!("{threads}-thread"), |b| {
            b.iter(|| pool.install(|| parity::engine::run(&prog, &world, &Default::default()).findings.len()))
        });
    }
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
