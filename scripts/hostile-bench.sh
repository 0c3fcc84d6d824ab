#!/usr/bin/env bash
# Times the release binary on a generated YAML alias bomb ("billion laughs",
# 9^9 nodes once expanded) next to one good file, and prints elapsed time and
# maximum resident memory. Target (docs/limits.md): under 100 ms, 50 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/dev"
cp tests/hostile/good.yaml "$tmp/dev/good.yaml"
{
  echo 'apiVersion: v1'
  echo 'kind: ConfigMap'
  echo 'lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'
  for i in 1 2 3 4 5 6 7 8 9; do
    p=$((i - 1))
    echo "lol$i: &lol$i [*lol$p, *lol$p, *lol$p, *lol$p, *lol$p, *lol$p, *lol$p, *lol$p, *lol$p]"
  done
} > "$tmp/dev/bomb.yaml"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v target/release/parity check --quiet --format json \
    --rule 'every deployment has every container with resources.limits.memory' "$tmp" \
    > "$tmp/out.json" 2> "$tmp/time.txt" || true
  grep -E 'Elapsed \(wall clock\)|Maximum resident set size' "$tmp/time.txt"
else
  echo "/usr/bin/time not found; wall clock only" >&2
  start=$(date +%s%N)
  target/release/parity check --quiet --format json \
    --rule 'every deployment has every container with resources.limits.memory' "$tmp" > "$tmp/out.json" || true
  echo "elapsed ms: $(( ($(date +%s%N) - start) / 1000000 ))"
fi
grep -o '"code": "parity::load::alias-budget"' "$tmp/out.json"
