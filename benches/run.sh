#!/usr/bin/env bash
# `just bench`: the workloads of benchmarks.md, timed. Per workload, wall time (the median of
# BENCH_RUNS runs, default 3) and peak memory (/usr/bin/time -v) of a cold build, a no-change rerun, a rerun after one new 5 000-row pilot
# log, a prose-only template change, `check` alone, and `watch`'s latency from a log file
# landing in data/ to the new PDF; then the per-stage timings the tool recorded in
# manifest.json. Each figure is printed beside the last recorded one (benches/baseline.md) with
# the ratio, and beside its target in benchmarks.md. Timings live here, never in tests.
#
#   bash benches/run.sh                    # region (scale 1)
#   bash benches/run.sh national           # also national (scale 50: ~10 M log rows, 1.1 GB)
#   bash benches/run.sh national --record  # … and write the tables to benches/baseline.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/tsb-report
WORK=${BENCH_DIR:-$TARGET/bench}
BASELINE=$ROOT/benches/baseline.md
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (Debian package \`time\`)"; exit 2; }
command -v jq >/dev/null || { echo "bench needs jq (Debian package \`jq\`)"; exit 2; }

record=false
workloads=("region:1")
for a in "$@"; do
  case $a in
    national) workloads+=("national:50") ;;
    --record) record=true ;;
    *) echo "usage: bash benches/run.sh [national] [--record]"; exit 2 ;;
  esac
done

cargo build --release --quiet
mkdir -p "$WORK"
RECORD=$WORK/record.md
: > "$RECORD"

# Targets of benchmarks.md (seconds; peak in MB). The watch target is the new-log rerun's
# target plus 0.5 s.
target() { # workload, label
  case "$1:$2" in
    region:"cold build") echo 0.6 ;;           national:"cold build") echo 10 ;;
    region:"no-change rerun") echo 0.05 ;;     national:"no-change rerun") echo 0.1 ;;
    region:"one new 5 000-row log file") echo 0.4 ;; national:"one new 5 000-row log file") echo 2 ;;
    region:"prose-only template change") echo 0.25 ;; national:"prose-only template change") echo 0.3 ;;
    region:"check alone") echo 0.15 ;;         national:"check alone") echo 5 ;;
    region:"watch: log lands → new PDF") echo 0.9 ;; national:"watch: log lands → new PDF") echo 2.5 ;;
    region:peak) echo 150 ;;                   national:peak) echo 1024 ;;
    *) echo "" ;;
  esac
}

# The last recorded figure of a run: column 2 (wall s) or 3 (peak MB) of its row in
# benches/baseline.md, under the workload's heading.
recorded() { # workload, label, column
  [ -f "$BASELINE" ] || { echo ""; return; }
  awk -F'|' -v w="## $1" -v l="$2" -v c="$(($3 + 1))" '
    /^## / { on = index($0, w) == 1 }
    on && $2 ~ /[^ ]/ { x = $2; gsub(/^ +| +$/, "", x); if (x == l) { y = $c; gsub(/[^0-9.]/, "", y); print y; exit } }' "$BASELINE"
}

# "1.23 s (was 2.46, ×0.50; target ≤ 0.6 ✓)"
compare() { # value, was, target, unit
  local v=$1 was=$2 t=$3 unit=$4 out
  out=$(printf '%.2f %s' "$v" "$unit")
  [ "$unit" = MB ] && out=$(printf '%.0f MB' "$v")
  if [ -n "$was" ] && [ "$(echo "$was > 0" | bc -l)" = 1 ]; then
    out+=$(printf ' (was %s, ×%.2f)' "$was" "$(echo "$v / $was" | bc -l)")
  fi
  if [ -n "$t" ]; then
    if [ "$(echo "$v <= $t" | bc -l)" = 1 ]; then out+=" ≤ $t ✓"; else out+=" > $t ✗"; fi
  fi
  echo "$out"
}

row() { # workload, label, wall s, peak MB or "", stages
  local w=$1 label=$2 wall=$3 rss=$4 stages=$5 peak="–"
  [ -n "$rss" ] && peak=$(compare "$rss" "$(recorded "$w" "$label" 3)" "$(target "$w" peak)" MB)
  printf '| %-28s | %-36s | %-30s | %s |\n' "$label" \
    "$(compare "$wall" "$(recorded "$w" "$label" 2)" "$(target "$w" "$label")" s)" "$peak" "$stages"
  printf '| %s | %.2f | %s |\n' "$label" "$wall" "${rss:+$(printf '%.0f' "$rss")}" >> "$RECORD"
}

# Each run is timed RUNS times (BENCH_RUNS, default 3), every time from the state the first
# started from (the output folder copied aside, or absent), and the median wall time is
# reported with the largest peak: one run on a shared machine varies by 10-25 %.
RUNS=${BENCH_RUNS:-3}
MEDIAN_CPU=0

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() { # workload, label, then the command
  local w=$1 label=$2; shift 2
  local before="" snap=$WORK/snapshot walls="" cpus="" rss=0 i
  rm -rf "$snap"
  [ -d output ] && cp -a output "$snap"
  [ -f output/manifest.json ] && before=$(md5sum < output/manifest.json)
  for i in $(seq 1 "$RUNS"); do
    if [ "$i" -gt 1 ]; then
      rm -rf output
      [ -d "$snap" ] && cp -a "$snap" output
    fi
    /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.log" || true
    local code
    code=$(awk -F': ' '/Exit status/ {print $2}' "$WORK/time.log")
    # `check` exits 1 when the data has row errors (the sample plants a few); anything else fails.
    if [ "$code" != 0 ] && ! { [ "$code" = 1 ] && [ "$label" = "check alone" ]; }; then
      echo "failed ($code): $*"; tail -20 "$WORK/time.log"; exit 1
    fi
    walls+="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"$'\n'
    cpus+="$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$WORK/time.log")"$'\n'
    rss=$(awk -F': ' -v m="$rss" '/Maximum resident set size/ { r = $2 / 1024; print (r > m ? r : m) }' "$WORK/time.log")
  done
  rm -rf "$snap"
  local wall
  wall=$(printf '%s' "$walls" | median)
  MEDIAN_CPU=$(printf '%s' "$cpus" | median)
  local stages="–"
  if [ "$label" = "check alone" ]; then
    stages="(check writes nothing)"
  elif [ -n "$before" ] && [ "$before" = "$(md5sum < output/manifest.json)" ]; then
    stages="nothing rewritten (manifest unchanged)"
  elif [ -f output/manifest.json ]; then
    stages=$(jq -r '.timings_ms | to_entries | map("\(.key) \(.value)") | join(", ")' output/manifest.json)
  fi
  row "$w" "$label" "$wall" "$rss" "$stages"
}

now() { date +%s.%N; }

# What the last run cost in CPU (user + system, typst's processes included; the median of its
# repetitions), and what typst
# alone costs for the documents that run compiled (each compiled once more, the same way,
# one after the other): on a machine of N cores no schedule finishes a run sooner than its
# CPU time / N, and typst cannot start before the numbers exist.
floor() { # workload
  local w=$1 typst cpu=0 all cores src
  typst="${TSB_REPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsb-report}/typst-$(jq -r .typst_version output/manifest.json)/bin/typst"
  command -v typst >/dev/null && [ "$(typst --version | awk '{print $2}')" = "$(jq -r .typst_version output/manifest.json)" ] && typst=$(command -v typst)
  [ -x "$typst" ] || return 0
  all=$MEDIAN_CPU
  cores=$(nproc)
  for src in output/build/*.typ output/build/foretak/*.typ; do
    [ -f "$src" ] || continue
    /usr/bin/time -f '%U %S' -o "$WORK/typst.time" "$typst" compile --root output/build \
      --ignore-system-fonts --pdf-standard a-2b,ua-1 --font-path report-templates/fonts \
      "$src" "$WORK/floor.pdf" >/dev/null 2>&1 || true
    cpu=$(awk -v c="$cpu" '{print c + $1 + $2}' "$WORK/typst.time")
  done
  printf '| %-28s | %-36s | %-30s | %s |\n' "  CPU of that run" \
    "$(printf '%.2f CPU-s (typst %.2f)' "$all" "$cpu")" "–" \
    "$(printf 'no schedule on %s cores beats %.2f s' "$cores" "$(echo "$all / $cores" | bc -l)")"
}

# `watch` running on the workload: a log file is written into data/ (by a rename, the way a
# finished copy lands); the time until rapport.pdf is replaced. Includes watch's debounce
# (a quiet period, then the file must keep its size and mtime for a while). RUNS files land
# one after the other, each once the last one's PDF is in place; the median is reported.
measure_watch() { # workload, source log
  local w=$1 src=$2 log=$WORK/watch.log
  "$BIN" watch >"$log" 2>&1 &
  local pid=$!
  # The first build of watch (nothing to do): wait for its line.
  for _ in $(seq 1 600); do grep -q '^\[' "$log" && break; sleep 0.1; done
  local before new landed t times="" i
  for i in $(seq 1 "$RUNS"); do
    before=$(stat -c %Y.%y output/rapport.pdf)
    new="$(dirname "$src")/bench-watch$i-logg.csv"
    # A different slice of the source each time: every file is new data.
    head -n $((1 + 5000 * i)) "$src" | tail -n 4000 | { head -n 1 "$src"; cat; } > "$WORK/watch-logg.csv"
    landed=$(now)
    mv "$WORK/watch-logg.csv" "$new"
    t=""
    for _ in $(seq 1 6000); do
      if [ "$(stat -c %Y.%y output/rapport.pdf)" != "$before" ]; then t=$(echo "$(now) - $landed" | bc -l); break; fi
      sleep 0.01
    done
    if [ -z "$t" ]; then
      kill -INT "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      rm -f "$(dirname "$src")"/bench-watch*-logg.csv
      echo "watch did not rebuild rapport.pdf within 60 s:"; cat "$log"; exit 1
    fi
    times+="$t"$'\n'
    # The rebuild's own line is printed once its documents are all in place.
    for _ in $(seq 1 600); do [ "$(grep -c '^\[' "$log")" -gt "$i" ] && break; sleep 0.05; done
  done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$(dirname "$src")"/bench-watch*-logg.csv
  row "$w" "watch: log lands → new PDF" "$(printf '%s' "$times" | median)" "" "$(grep '^\[' "$log" | tail -1)"
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
  # Undo an earlier run's new log files.
  rm -f "$dir"/data/piloter/*/bench-*-logg.csv "$dir"/data/piloter/*/*/bench-*-logg.csv \
        "$dir"/data/piloter/*/bench-ny-logg.csv "$dir"/data/piloter/*/*/bench-ny-logg.csv
  cd "$dir"
  # "Cold" is the tool's cold start (no output folder, no caches), not the disk's: read the
  # data once first, so the figure does not depend on whether the files happened to be in
  # the page cache (a national build read from disk spends 2.5 s instead of 0.4 s in
  # discover).
  find data -type f -exec cat {} + >/dev/null 2>&1 || true
  printf '\n## %s\n\n' "$name" >> "$RECORD"
  echo '| run | wall s | peak MB |' >> "$RECORD"
  echo '|---|---|---|' >> "$RECORD"
  echo
  echo "## $name (scale $scale): $(du -shL data | cut -f1) of data"
  echo
  echo "| run                          | wall (last recorded, ratio; target)  | peak                           | stages of that run (manifest.json, ms) |"
  echo "|------------------------------|--------------------------------------|--------------------------------|----------------------------------------|"
  measure "$name" "cold build" "$BIN" build --quiet
  floor "$name"
  measure "$name" "no-change rerun" "$BIN" build --quiet
  # One new pilot log of 5 000 rows: the header and 5 000 rows of a UTF-8 or Windows-1252 log.
  src=""
  for f in data/piloter/*/*.csv data/piloter/*/*/*.csv; do
    [ -f "$f" ] || continue
    [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = "fffe" ] && continue
    src=$f
    break
  done
  new_log="$(dirname "$src")/bench-ny-logg.csv"
  head -n 5001 "$src" > "$new_log" || true
  measure "$name" "one new 5 000-row log file" "$BIN" build --quiet
  floor "$name"
  printf '\nEn setning endret for benchmark.\n' >> report-templates/rapport.typ.j2
  measure "$name" "prose-only template change" "$BIN" build --quiet
  measure "$name" "check alone" "$BIN" check --quiet
  measure_watch "$name" "$src"
  rm -f "$new_log"
  cd "$ROOT"
done

if $record; then
  # A hand-written "## Earlier figures" section of the old baseline is kept, at the end.
  earlier="$( [ -f "$BASELINE" ] && awk '/^## Earlier figures/ { on = 1 } on' "$BASELINE" || true)"
  {
    echo "# Benchmark baseline"
    echo
    echo "The last recorded \`just bench\` tables (\`bash benches/run.sh national --record\`); \`just bench\`"
    echo "prints every figure beside these with the ratio. Wall seconds and peak resident MB."
    echo
    echo "- Recorded: $(date -u +%Y-%m-%d) at commit \`$(git rev-parse --short HEAD)\`"
    echo "- Machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
    cat "$RECORD"
    if [ -n "$earlier" ]; then echo; echo "$earlier"; fi
  } > "$BASELINE"
  echo
  echo "recorded in benches/baseline.md"
fi
