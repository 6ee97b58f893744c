#!/usr/bin/env bash
# `just fresh`: what a new user waits for. Clones this repository into a temporary folder and,
# with an empty target folder and an empty typst cache, times the README's two commands:
#   1. cargo run --release -- build   (compiles the project and its dependencies, installs typst)
#   2. cargo test --release           (must reuse step 1's compiled dependencies)
# and says whether step 2 compiled Polars again. It takes about half an hour on two cores and
# needs the machine to itself for honest figures. Nothing outside the temporary folder changes.
#
#   bash benches/fresh.sh            # clone HEAD of this checkout
#   FRESH_KEEP=1 bash benches/fresh.sh   # keep the temporary folder afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tsb-report-fresh.XXXXXX")
[ "${FRESH_KEEP:-}" = 1 ] || trap 'rm -rf "$TMP"' EXIT

git clone --quiet --no-hardlinks "$ROOT" "$TMP/repo"
cd "$TMP/repo"
export CARGO_TARGET_DIR="$TMP/target"
export TSB_REPORT_CACHE="$TMP/cache"
unset TSB_REPORT_TYPST
# A typst on PATH of the pinned version would be used instead of installing one: hide it.
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do [ -x "$d/typst" ] || printf '%s:' "$d"; done)
export PATH=${PATH%:}

elapsed() { # label, then the command; its output goes to $TMP/<n>.log
  local label=$1 log=$TMP/$2.log; shift 2
  local t0=$SECONDS
  if ! "$@" >"$log" 2>&1; then
    echo "failed: $* (see $log)"; tail -30 "$log"; FRESH_KEEP=1; exit 1
  fi
  local s=$((SECONDS - t0))
  printf '| %-52s | %3d min %02d s |\n' "$label" $((s / 60)) $((s % 60))
}

echo "fresh clone of $(git -C "$ROOT" rev-parse --short HEAD) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
echo
echo "| step                                                 |     time     |"
echo "|------------------------------------------------------|--------------|"
start=$SECONDS
elapsed "cargo build --release (the project and Polars)" build cargo build --release --locked
elapsed "first \`build\`: installs typst $(grep -o 'TYPST_VERSION: &str = "[^"]*"' src/typeset.rs | cut -d'"' -f2), then the report" run cargo run --release --locked -- build
elapsed "cargo test --release (compiles the tests, runs them)" test cargo test --release --locked
total=$((SECONDS - start))
printf '| %-52s | %3d min %02d s |\n' "both README commands, in all" $((total / 60)) $((total % 60))
echo
if grep -Eq '^\s*Compiling polars' "$TMP/test.log"; then
  echo "cargo test --release compiled Polars again: the feature sets of build and tests differ"
  exit 1
fi
echo "cargo test --release compiled $(grep -Ec '^\s*Compiling ' "$TMP/test.log") crates, none of them Polars"
