#!/usr/bin/env bash
# Peak memory on dense input, and load time on many small files (issue 15
# items 12 and 15). Not a test: prints figures for docs/performance.md.
#
#   scripts/memory-bench.sh            # 60 MB inputs, 100,000 small files
#   MB=10 FILES=20000 scripts/memory-bench.sh   # smaller, quicker
#
# For each input it prints the file size, parity's maximum resident memory
# (`/usr/bin/time -v`) and their ratio. The inputs:
#   dense-json:  one JSON object whose `numbers` field is one long array of
#                small numbers (0-99999), the densest JSON there is;
#   dense-flow:  the same object as flow-style YAML (`{...: [1, 2, ...]}`),
#                which the fast YAML path reads like JSON;
#   block-yaml:  the same numbers as a block sequence (`- 1` lines).
# Then the load phases of `parity check` on FILES small files in one env
# (`PARITY_TIMINGS=1`), whose `assemble` part was quadratic in the number
# of files.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-60}
FILES=${FILES:-100000}
[ -n "${PARITY_BIN:-}" ] || cargo build --release --quiet --bin parity
bin=${PARITY_BIN:-$PWD/target/release/parity}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" "$MB" <<'PY'
import random, sys
out, mb = sys.argv[1], int(sys.argv[2])
random.seed(42)
target = mb * 1_000_000
nums = []
size = 0
while size < target:
    n = str(random.randint(0, 99999))
    nums.append(n)
    size += len(n) + 1
with open(f"{out}/dense-json.json", "w") as f:
    f.write('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dense"}, "numbers": [')
    f.write(",".join(nums))
    f.write("]}\n")
with open(f"{out}/dense-flow.yaml", "w") as f:
    f.write("{apiVersion: v1, kind: ConfigMap, metadata: {name: dense}, numbers: [")
    f.write(", ".join(nums))
    f.write("]}\n")
with open(f"{out}/block-yaml.yaml", "w") as f:
    f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dense\nnumbers:\n")
    for n in nums:
        f.write(f"- {n}\n")
PY
rule='every configmap has metadata.name exists'
printf '%-12s %12s %12s %8s %10s\n' input bytes max-rss ratio wall
for name in dense-json.json dense-flow.yaml block-yaml.yaml; do
  file=$tmp/$name
  bytes=$(stat -c %s "$file")
  /usr/bin/time -v "$bin" check --quiet --format json --max-file-size 1000000000 --rule "$rule" "$file" > /dev/null 2> "$tmp/time.txt" || true
  rss_kb=$(grep 'Maximum resident set size' "$tmp/time.txt" | awk '{print $NF}')
  wall=$(grep 'Elapsed (wall clock)' "$tmp/time.txt" | awk '{print $NF}')
  awk -v n="${name%.*}" -v b="$bytes" -v r="$rss_kb" -v w="$wall" \
    'BEGIN { printf "%-12s %12d %9.1f MB %7.1fx %10s\n", n, b, r * 1024 / 1e6, r * 1024 / b, w }'
  rm -f "$file"
done
mkdir -p "$tmp/many/dev"
python3 - "$tmp/many/dev" "$FILES" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(f"{out}/f{i:06d}.yaml", "w") as f:
        f.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: shop\n")
PY
echo "load of $FILES small files (PARITY_TIMINGS=1):"
PARITY_TIMINGS=1 /usr/bin/time -v "$bin" check --quiet --format json --rule "$rule" "$tmp/many" \
  > /dev/null 2> "$tmp/time.txt" || true
grep -E 'load|Elapsed \(wall clock\)|Maximum resident' "$tmp/time.txt"
