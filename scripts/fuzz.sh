#!/usr/bin/env bash
# Fuzzes each target in fuzz/ (rules: rule text -> compile::build;
# manifests: bytes -> load::yaml/json parsers) for SECONDS (default 60) each.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Toolchains:
# - With a nightly toolchain (`cargo +nightly`), targets run with
#   AddressSanitizer, cargo-fuzz's default.
# - On stable, `--sanitizer none` works: the coverage instrumentation flags
#   cargo-fuzz passes are stable; only the sanitizers need nightly. parity
#   forbids unsafe code, so a panic (which libFuzzer catches either way) is
#   what we are looking for. Set FUZZ_TOOLCHAIN=stable to force this.
#
# New inputs go to fuzz/target/corpus/<target> (ignored by git); the
# committed seeds in fuzz/corpus/<target> are read, never written. A crash
# leaves its input in fuzz/artifacts/<target>/ and makes the script fail.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-60}
toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  if cargo +nightly --version >/dev/null 2>&1; then toolchain=nightly; else toolchain=stable; fi
fi
if [ "$toolchain" = nightly ]; then
  run=(cargo +nightly fuzz run)
else
  run=(cargo fuzz run --sanitizer none)
fi
for target in rules manifests; do
  mkdir -p "target/corpus/$target"
  echo "fuzz: $target for ${secs}s (${run[*]})"
  "${run[@]}" -O "$target" "target/corpus/$target" "corpus/$target" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
