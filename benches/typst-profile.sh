#!/usr/bin/env bash
# `just typst-profile`: make src/typst-profile/typst-<version>.profdata.gz again for the typst
# version src/typeset.rs pins (after a typst upgrade, or a large change to the templates).
# Builds that typst instrumented (`cargo install` with -Cprofile-generate), typesets with it
# (`build --typst`) the documents of the bundled sample, of the region workload and, when the
# national bench (`bash benches/run.sh national`) has generated it, of the national workload;
# merges the counts with llvm-profdata (rustup's `llvm-tools` component) and keeps the sparse
# profile, gzipped.
# About 10 minutes of build on two cores. The install (typeset.rs) hands the profile to rustc.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/tsb-report
VERSION=$(sed -n 's/^pub const TYPST_VERSION: &str = "\(.*\)";$/\1/p' src/typeset.rs)
[ -n "$VERSION" ] || { echo "no TYPST_VERSION in src/typeset.rs"; exit 2; }
OUT=$ROOT/src/typst-profile/typst-$VERSION.profdata.gz
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

rustup component add llvm-tools >/dev/null 2>&1 || true
PROFDATA=$(find "$(rustc --print sysroot)" -name llvm-profdata -type f | head -n 1)
[ -x "$PROFDATA" ] || { echo "llvm-profdata not found: rustup component add llvm-tools"; exit 2; }

cargo build --release --quiet
echo "building typst $VERSION instrumented …"
# Its build folder stays under target/, so a second run (after a template change) does not
# build typst again.
CARGO_ENCODED_RUSTFLAGS="-Cprofile-generate=$WORK/raw" CARGO_TARGET_DIR=$TARGET/typst-profile \
  cargo install --quiet --locked --no-default-features --features embedded-fonts \
  --root "$WORK/typst" "typst-cli@$VERSION"
# The build scripts and proc macros ran instrumented too: only typst's runs may count.
rm -rf "$WORK/raw"

# The documents to learn from: what the tool typesets, with its own flags.
"$BIN" sample --out "$WORK/region" --scale 1 --seed 1 >/dev/null 2>&1
train() { # data folder (relative to the project folder), output folder
  (cd "$ROOT" && "$BIN" build --quiet --typst "$WORK/typst/bin/typst" --data "$1" --out "$2") >/dev/null 2>&1 ||
    true  # data with row errors still builds; a failure here only costs training
}
train data "$WORK/out-sample"
train "$WORK/region" "$WORK/out-region"
[ -d "$TARGET/bench/national/data" ] && train "$TARGET/bench/national/data" "$WORK/out-national"
ls "$WORK"/raw/*.profraw >/dev/null 2>&1 || { echo "typst wrote no profile"; exit 1; }

"$PROFDATA" merge --sparse -o "$WORK/typst.profdata" "$WORK"/raw/*.profraw
mkdir -p "$(dirname "$OUT")"
gzip -9 -n -c "$WORK/typst.profdata" > "$OUT"
echo "wrote $OUT ($(du -h "$OUT" | cut -f1)); src/typeset.rs includes typst-$VERSION.profdata.gz"
