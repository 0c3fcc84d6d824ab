#!/usr/bin/env bash
# parity check on the same corpus written in every YAML style (issue 18),
# side by side: `parity-corpus --style S` for plain, quoted, flow, json,
# block-scalars and helm (the same objects and planted drift in each), then
# RUNS rounds in which every style runs once in turn, so that the machine's
# load moves all of them alike. Prints each run, then per style the median
# wall time, time per object, ratio to plain, max RSS and its ratio to
# plain, and the number of findings (the same in every style).
#
#   scripts/styles-bench.sh                 # 3 envs x 63,000 objects a style
#   OBJECTS=6300 RUNS=5 scripts/styles-bench.sh
#   STYLES="plain quoted" scripts/styles-bench.sh
#   STYLES= JOINS=1 scripts/styles-bench.sh  # only the join bench (below;
#                                            # its size is JOIN_OBJECTS)
#
# PARITY_BIN picks a binary (else a release build); KEEP=1 keeps the corpora
# in the printed temp dir; CORPORA=DIR writes them there (creating it) and
# reuses those written there before.
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS=${OBJECTS:-63000}
RUNS=${RUNS:-3}
STYLES=${STYLES-"plain quoted flow json block-scalars helm"}
if [ -z "${PARITY_BIN:-}" ]; then
  cargo build --release --quiet --features corpus --bin parity --bin parity-corpus
fi
BIN=${PARITY_BIN:-${CARGO_TARGET_DIR:-target}/release/parity}
CORPUS_BIN=$(dirname "$BIN")/parity-corpus
TMP=${CORPORA:-$(mktemp -d)}
mkdir -p "$TMP"
[ "${KEEP:-0}" = 1 ] || [ -n "${CORPORA:-}" ] || trap 'rm -rf "$TMP"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); corpora in $TMP"
for s in $STYLES; do
  if [ ! -d "$TMP/$s" ]; then
    "$CORPUS_BIN" --envs 3 --objects "$OBJECTS" --drift 0.02 --format yaml --style "$s" "$TMP/$s" > "$TMP/$s.txt"
    head -1 "$TMP/$s.txt"
  fi
done
: > "$TMP/runs.txt"
for i in $(seq "$RUNS"); do
  for s in $STYLES; do
    /usr/bin/time -v "$BIN" check -q --format json "$TMP/$s" > "$TMP/out-$s.json" 2> "$TMP/time.txt" || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (j = 1; j <= n; j++) s = s * 60 + t[j]; print s}' "$TMP/time.txt")
    user=$(awk -F': ' '/User time/ {print $2}' "$TMP/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
    findings=$(grep -o '"rule":' "$TMP/out-$s.json" | wc -l || true)
    # The objects parity loaded (its report's summary), for time per object.
    objects=$(grep -o '"objects": [0-9]*' "$TMP/out-$s.json" | tail -1 | grep -o '[0-9]*$' || echo 0)
    echo "$s $i $wall $user $rss $findings $objects" | tee -a "$TMP/runs.txt"
  done
done
if [ -n "$STYLES" ]; then
  echo
  printf '%-14s %9s %12s %9s %10s %9s %9s %9s\n' style median "us/object" "vs plain" "max RSS" "vs plain" "MB YAML" findings
fi
for s in $STYLES; do
  bytes=$(du -b --apparent-size -s "$TMP/$s" | cut -f1)
  awk -v s="$s" -v bytes="$bytes" '
    BEGIN { n = 0; pn = 0 }
    $1 == s { w[n] = $3; r = ($5 > r ? $5 : r); f = $6; objs = ($7 > 0 ? $7 : 1); n++ }
    $1 == "plain" { pw[pn] = $3; pr = ($5 > pr ? $5 : pr); pn++ }
    function median(a, k,   i, j, t) { for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((k - 1) / 2)] }
    END {
      m = median(w, n); pm = (pn ? median(pw, pn) : m); if (!pr) pr = r
      printf "%-14s %8.2fs %12.2f %8.2fx %7.0f MB %8.2fx %9.1f %9d\n", s, m, m * 1e6 / objs, m / pm, r / 1024, r / pr, bytes / 1e6, f
    }' "$TMP/runs.txt"
done

# JOINS=1: the join-heavy rules (benches/joins, issue 18) alone on one env of
# JOIN_OBJECTS objects (default 50,000) in the plain style, RUNS times each
# with the join index and without it (PARITY_NO_JOIN_INDEX=1: the scan), in
# turn, and says whether the two found the same (the reports but for their
# elapsed time). The scan of the self-join is quadratic in the ConfigMaps
# (about 1 s for the 2,171 of 50,000 objects); on trees where it passes the
# rule's time budget (10 s) that is reported as a run error.
if [ "${JOINS:-0}" = 1 ]; then
  JOIN_OBJECTS=${JOIN_OBJECTS:-50000}
  J="$TMP/joins-$JOIN_OBJECTS"
  [ -d "$J" ] || "$CORPUS_BIN" --envs 1 --objects "$JOIN_OBJECTS" --drift 0 --format yaml --style plain "$J" > "$J.txt"
  echo
  echo "== joins: --no-stdlib --rules benches/joins on $(head -1 "$J.txt")"
  echo "$(grep -rh '^kind: ConfigMap' "$J" | wc -l) ConfigMaps"
  for i in $(seq "$RUNS"); do
    for mode in index scan; do
      if [ "$mode" = scan ]; then export PARITY_NO_JOIN_INDEX=1; else unset PARITY_NO_JOIN_INDEX; fi
      code=0
      /usr/bin/time -v "$BIN" check -q --format json --no-stdlib --rules benches/joins "$J" > "$TMP/out-joins-$mode.json" 2> "$TMP/time.txt" || code=$?
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (j = 1; j <= n; j++) s = s * 60 + t[j]; print s}' "$TMP/time.txt")
      user=$(awk -F': ' '/User time/ {print $2}' "$TMP/time.txt")
      findings=$(grep -o '"rule":' "$TMP/out-joins-$mode.json" | wc -l || true)
      echo "joins $mode $i wall ${wall}s user ${user}s exit $code findings $findings"
    done
    strip() { grep -v '"elapsed' "$1"; }
    if cmp -s <(strip "$TMP/out-joins-index.json") <(strip "$TMP/out-joins-scan.json"); then
      echo "joins $i: index and scan reports identical"
    else
      echo "joins $i: index and scan reports DIFFER ($TMP/out-joins-index.json, $TMP/out-joins-scan.json)"
    fi
  done
  unset PARITY_NO_JOIN_INDEX
fi
