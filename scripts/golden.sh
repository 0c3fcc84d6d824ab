#!/usr/bin/env bash
# Record the output of every rule case under rules/tests and of examples/ in
# every format, so a refactoring can be proven not to change behaviour
# (issue 13): record before, record after, `diff -r` the two folders.
#
#   scripts/golden.sh OUT_DIR [PARITY_BINARY]
#
# Timings ("· 356 ms", "duration") are masked; everything else is compared
# byte for byte.
set -euo pipefail
out=${1:?usage: scripts/golden.sh OUT_DIR [PARITY_BINARY]}
bin=${2:-target/debug/parity}
cd "$(dirname "$0")/.."
mkdir -p "$out"
mask() { sed -E 's/[0-9]+(\.[0-9]+)? ?(ms|s)\b/<T>/g; s/"(duration|elapsed)[a-z_]*": *[0-9.]+/"\1": <T>/g; s/time="[0-9.]+"/time="<T>"/g; s/"seconds": [0-9]+/"seconds": <T>/g'; }
run() { # name, args...
  local name=$1; shift
  for f in human json sarif junit github policyreport; do
    set +e
    "$bin" check --allow-skipped --format "$f" "$@" > "$out/$name.$f.out" 2> "$out/$name.$f.err"
    echo "exit $?" >> "$out/$name.$f.out"
    set -e
    mask < "$out/$name.$f.out" > "$out/$name.$f.tmp" && mv "$out/$name.$f.tmp" "$out/$name.$f.out"
    mask < "$out/$name.$f.err" > "$out/$name.$f.tmp" && mv "$out/$name.$f.tmp" "$out/$name.$f.err"
  done
}
for case in rules/tests/*/*/; do
  case=${case%/}
  args=()
  for env in "$case"/*/; do
    env=${env%/}
    args+=(--env "$(basename "$env")=$env")
  done
  run "$(echo "$case" | tr / _)" "${args[@]}"
done
run examples examples/manifests
set +e
"$bin" test rules/tests > "$out/parity-test.out" 2>&1
echo "exit $?" >> "$out/parity-test.out"
mask < "$out/parity-test.out" > "$out/parity-test.tmp" && mv "$out/parity-test.tmp" "$out/parity-test.out"
