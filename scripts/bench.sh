#!/usr/bin/env bash
# Benchmarks parity end to end: builds release, generates the standard corpus
# (3 envs x 63,000 objects of YAML, ~190k objects) and a 500k-object JSON
# snapshot corpus into a temp dir, and times `parity check` on each with
# /usr/bin/time -v (elapsed, max RSS) at RAYON_NUM_THREADS=1 and 2, plus
# `parity check` on a 20-file tree (compile included).
#
#   scripts/bench.sh            # everything above
#   scripts/bench.sh --quick    # a 10x smaller corpus, for a smoke test
#   scripts/bench.sh --regorus  # also the side-by-side run against regorus
#                               # (benches/vs_regorus.rs; --quick --regorus
#                               # for the 6,300-objects-per-env corpus), on
#                               # the corpus in every YAML style
# It also runs scripts/styles-bench.sh: the same corpus in every YAML style
# (plain, quoted, flow, json, block-scalars, helm), side by side.
#
# Set KEEP=1 to keep the temp dir, OBJECTS / SNAPSHOT_OBJECTS to resize.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0; REGORUS=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --regorus) REGORUS=1 ;;
    *) echo "usage: $0 [--quick] [--regorus]" >&2; exit 2 ;;
  esac
done
OBJECTS=${OBJECTS:-$([ $QUICK = 1 ] && echo 6300 || echo 63000)}
SNAPSHOT_OBJECTS=${SNAPSHOT_OBJECTS:-$([ $QUICK = 1 ] && echo 16700 || echo 166700)}
RUNS=${RUNS:-3}

cargo build --release --quiet --features corpus --bin parity --bin parity-corpus
BIN=${CARGO_TARGET_DIR:-target}/release
TMP=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$TMP"' EXIT

echo "== machine"
echo "cores: $(nproc)  memory: $(free -h | awk '/^Mem:/ {print $2}')  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the box makes wall times noisy)"

echo "== corpus"
$BIN/parity-corpus --envs 3 --objects "$OBJECTS" --drift 0.02 --format yaml "$TMP/yaml"
echo "YAML size: $(du -sh --apparent-size "$TMP/yaml" | cut -f1)"
$BIN/parity-corpus --envs 3 --objects "$SNAPSHOT_OBJECTS" --drift 0.02 --format snapshot "$TMP/snap" > "$TMP/snap.txt"; head -1 "$TMP/snap.txt"
echo "snapshot size: $(du -sh --apparent-size "$TMP/snap" | cut -f1)"

# time_check LABEL THREADS ARGS...: RUNS runs, prints elapsed and max RSS of each.
time_check() {
  local label=$1 threads=$2; shift 2
  for i in $(seq "$RUNS"); do
    RAYON_NUM_THREADS=$threads /usr/bin/time -v "$BIN/parity" check -q "$@" >/dev/null 2>"$TMP/time.txt" || true
    local wall rss user
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$TMP/time.txt")
    user=$(awk -F': ' '/User time/ {print $2}' "$TMP/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f MB", $2/1024}' "$TMP/time.txt")
    echo "$label threads=$threads run=$i  elapsed $wall  user ${user}s  max RSS $rss"
  done
}

echo "== parity check, YAML corpus"
time_check yaml 1 "$TMP/yaml"
time_check yaml 2 "$TMP/yaml"
echo "== parity check, JSON snapshot corpus"
time_check snapshot 2 "$TMP/snap"

echo "== strict-parity: the standard library with strict-parity selected, against the normal check above"
# strict-parity is off unless selected: the standard library with it on.
time_check yaml+strict 2 --extend-select strict-parity "$TMP/yaml"

echo "== parity check on a 20-file tree (compile included)"
mkdir -p "$TMP/small"
cp -r examples/manifests/* "$TMP/small/"
n=$(find "$TMP/small" -name '*.yaml' | wc -l)
i=0
while [ "$n" -lt 20 ]; do cp "$TMP/small/dev/web.yaml" "$TMP/small/dev/extra-$i.yaml"; i=$((i+1)); n=$((n+1)); done
echo "files: $(find "$TMP/small" -name '*.yaml' | wc -l)"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 -i "$BIN/parity check -q $TMP/small"
else
  for i in $(seq 20); do
    s=$(date +%s%N); "$BIN/parity" check -q "$TMP/small" >/dev/null || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
  done | sort -n | awk '{a[NR]=$1} END {printf "20 runs: min %d ms, median %d ms, max %d ms\n", a[1], a[int((NR+1)/2)], a[NR]}'
fi

echo "== parity check on every YAML style (scripts/styles-bench.sh), side by side"
mkdir -p "$TMP/styles"
CORPORA="$TMP/styles" PARITY_BIN="$BIN/parity" OBJECTS="$OBJECTS" RUNS="$RUNS" scripts/styles-bench.sh

if [ $REGORUS = 1 ]; then
  echo "== parity vs regorus (same corpus, same checks, end to end), every style"
  for style in plain quoted flow json block-scalars helm; do
    echo "-- style $style"
    CORPUS="$TMP/styles/$style" PARITY_BIN="$BIN/parity" RUNS="$RUNS" cargo bench --quiet --features bench-regorus --bench vs_regorus
  done
fi
