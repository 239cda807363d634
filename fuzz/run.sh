#!/usr/bin/env bash
# A longer fuzz run with a fresh seed: fuzz/run.sh --minutes N [--seed S].
# Splits N minutes between the six targets of fuzz/fuzz.rs; a failing input
# is saved in fuzz/crashes/ and named in the test's failure.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "usage: $0 [--minutes N] [--seed S]" >&2; exit 2 ;;
    esac
done
echo "fuzzing for $minutes min, FUZZ_SEED=$seed"
# One target at a time, so each gets the whole machine's share.
FUZZ_SECONDS=$((minutes * 60)) FUZZ_SEED="$seed" \
    cargo test --release --test fuzz -- --nocapture --test-threads 1
