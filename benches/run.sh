#!/usr/bin/env bash
# `just bench`: the workloads of benchmarks.md, timed. Prints one table per workload with wall
# time and peak memory (/usr/bin/time -v) of a cold build, a no-change rerun, a rerun after one
# new 5 000-row pilot log, a prose-only template change and `check` alone, then the per-stage
# timings the tool recorded in manifest.json. Timings live here, never in tests.
#
#   bash benches/run.sh              # region (scale 1)
#   bash benches/run.sh national     # also national (scale 50: ~10 M log rows, needs disk and time)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/tsb-report
WORK=${BENCH_DIR:-$TARGET/bench}
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (Debian package \`time\`)"; exit 2; }

cargo build --release --quiet

workloads=("region:1")
[ "${1:-}" = "national" ] && workloads+=("national:50")

measure() { # label, then the command; prints "label | wall s | peak MB"
  local label=$1; shift
  local before=""
  [ -f output/manifest.json ] && before=$(md5sum < output/manifest.json)
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.log" || true
  local wall rss code
  code=$(awk -F': ' '/Exit status/ {print $2}' "$WORK/time.log")
  # `check` exits 1 when the data has row errors (the sample plants a few); anything else fails.
  if [ "$code" != 0 ] && ! { [ "$code" = 1 ] && [ "$label" = "check alone" ]; }; then
    echo "failed ($code): $*"; tail -20 "$WORK/time.log"; exit 1
  fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.log")
  local stages="–"
  if [ -n "$before" ] && [ "$before" = "$(md5sum < output/manifest.json)" ]; then
    stages="nothing rewritten (manifest unchanged)"
  elif [ "$label" != "check alone" ] && [ -f output/manifest.json ]; then
    stages=$(jq -r '.timings_ms | to_entries | map("\(.key) \(.value)") | join(", ")' output/manifest.json)
  fi
  printf '| %-28s | %8.2f s | %8.0f MB | %s |\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)" "$stages"
}

for w in "${workloads[@]}"; do
  name=${w%%:*}; scale=${w##*:}
  dir=$WORK/$name
  mkdir -p "$dir"
  if [ ! -f "$dir/data/EKSEMPELDATA.md" ]; then
    echo "generating the $name workload (scale $scale) …"
    rm -rf "$dir/data"
    "$BIN" sample --out "$dir/data" --scale "$scale" --seed 1 >/dev/null 2>&1
  fi
  rm -rf "$dir/report-templates" "$dir/output"
  cp -r "$ROOT/report-templates" "$dir/report-templates"
  # Undo an earlier run's new log file.
  rm -f "$dir"/data/piloter/*/bench-ny-logg.csv "$dir"/data/piloter/*/*/bench-ny-logg.csv
  cd "$dir"
  echo
  echo "## $name (scale $scale): $(du -shL data | cut -f1) of data"
  echo
  echo "| run                          |     wall   |     peak    | stages of that run (manifest.json, ms) |"
  echo "|------------------------------|------------|-------------|----------------------------------------|"
  measure "cold build" "$BIN" build --quiet
  measure "no-change rerun" "$BIN" build --quiet
  # One new pilot log of 5 000 rows: the header and 5 000 rows of a UTF-8 or Windows-1252 log.
  src=""
  for f in data/piloter/*/*.csv data/piloter/*/*/*.csv; do
    [ -f "$f" ] || continue
    [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = "fffe" ] && continue
    src=$f
    break
  done
  new_log="$(echo "$src" | cut -d/ -f1-3)/bench-ny-logg.csv"
  head -n 5001 "$src" > "$new_log" || true
  measure "one new 5 000-row log file" "$BIN" build --quiet
  printf '\nEn setning endret for benchmark.\n' >> report-templates/rapport.typ.j2
  measure "prose-only template change" "$BIN" build --quiet
  measure "check alone" "$BIN" check --quiet
  cd "$ROOT"
done
