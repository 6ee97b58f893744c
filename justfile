# tsb-report — the developer entry point. CI runs `.ci/run`, which `just ci` calls.

# List the recipes.
default:
    @just --list

# Build the report and the board briefing from data/ (release build, as the README says).
report *ARGS:
    cargo run --release -- build {{ARGS}}

# Validate data/ only and print every problem.
check *ARGS:
    cargo run --release -- check {{ARGS}}

# Run the tests (the README's test command).
test *ARGS:
    cargo test --release {{ARGS}}

# Format, then lint with warnings as errors.
lint:
    cargo fmt --check
    cargo clippy --release --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt

# Regenerate the bundled sample data set (data/) from the generator.
sample:
    cargo run --release -- sample --out data --scale 1 --seed 1

# Review changed insta snapshots by accepting them (then read the diff with git).
snap:
    INSTA_UPDATE=always cargo test --release

# Everything CI runs.
ci:
    bash .ci/run

# Benchmarks of benchmarks.md: workloads, timings and peak memory (never in tests).
bench:
    bash benches/run.sh

# The profile the typst install is built with (src/typst-profile/), made again: after a
# typst upgrade or a large change to the templates (about 10 minutes on two cores).
typst-profile:
    bash benches/typst-profile.sh

# What a new user waits for: a fresh clone, empty target and typst cache, the README's two
# commands timed (about half an hour on two cores; needs the machine to itself).
fresh:
    bash benches/fresh.sh

# The long run of the mutation suite (tests/integration/fuzz.rs): CASES cases from SEED.
fuzz CASES="2000" SEED="11":
    TSB_FUZZ_CASES={{CASES}} TSB_FUZZ_SEED={{SEED}} cargo test --release --test integration fuzz:: -- --nocapture
