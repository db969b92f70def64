#!/usr/bin/env bash
# Benchmark: `runner validate` on a folder of 500 heartbeat-sized playbooks (goal: the
# whole folder in under 100 ms), with a single heartbeat file for comparison.
#
# Usage: benches/validate.sh
#   BENCH_FILES=500      how many playbooks to generate
#   BENCH_WARMUP=3       hyperfine warm-up runs
#   BENCH_RUNS=30        hyperfine measured runs
#   BENCH_SKIP_BUILD=1   do not run `cargo build --release` (use the existing binary)
#   BENCH_KEEP=1         keep the generated folder and hyperfine JSON (path is printed)
#
# Needs: cargo, hyperfine, jq. The release binary is taken from $CARGO_TARGET_DIR (default
# target/) of this repository.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

N="${BENCH_FILES:-500}"
WARMUP="${BENCH_WARMUP:-3}"
RUNS="${BENCH_RUNS:-30}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/runner"
SOURCE="$ROOT/playbooks/heartbeat.yaml"

for tool in cargo hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 2; }
done

echo "== machine"
echo "cpus:   $(nproc)"
echo "model:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel: $(uname -sr)"
echo "rustc:  $(rustc --version)"
echo "hyperfine: $(hyperfine --version)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
    echo "== build"
    cargo build --release --bin runner
fi
[[ -x "$BIN" ]] || { echo "error: $BIN not found (build it, or unset BENCH_SKIP_BUILD)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/runner-bench.XXXXXX")"
if [[ -z "${BENCH_KEEP:-}" ]]; then
    trap 'rm -rf "$WORK"' EXIT
fi
DIR="$WORK/playbooks"
mkdir -p "$DIR"

echo "== generate $N playbooks from ${SOURCE#"$ROOT"/} into $DIR"
# Each file is heartbeat.yaml (4 checks redis/sqlite/http/service, notify, report, the
# `$schema` comment line kept) with its own name, description and report path: names
# must be unique in a folder.
for ((i = 1; i <= N; i++)); do
    id="$(printf '%03d' "$i")"
    sed -e "s/^name: heartbeat\$/name: heartbeat-$id/" \
        -e "s/^description: .*/description: Heartbeat $id of the ops stack (Redis, database, API, services)./" \
        -e "s|reports/heartbeat/heartbeat_|reports/heartbeat-$id/heartbeat-${id}_|" \
        "$SOURCE" >"$DIR/heartbeat-$id.yaml"
done
count="$(find "$DIR" -name '*.yaml' | wc -l)"
distinct="$(cat "$DIR"/*.yaml | wc -c) bytes, $(sha256sum "$DIR"/*.yaml | cut -d' ' -f1 | sort -u | wc -l) distinct"
echo "files: $count ($distinct); one file: $(wc -c <"$DIR/heartbeat-001.yaml") bytes, $(wc -l <"$DIR/heartbeat-001.yaml") lines"
[[ "$count" -eq "$N" ]] || { echo "error: expected $N files, found $count" >&2; exit 1; }

echo "== check that all are valid"
if ! summary="$("$BIN" validate "$DIR" 2>&1)"; then
    echo "$summary" | tail -20 >&2
    echo "error: runner validate $DIR did not exit 0" >&2
    exit 1
fi
echo "$summary" | tail -1

echo "== time (hyperfine --warmup $WARMUP --runs $RUNS)"
JSON="$WORK/hyperfine.json"
hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" --export-json "$JSON" \
    --command-name "validate $N files" "$BIN validate $DIR" \
    --command-name "validate 1 file" "$BIN validate $DIR/heartbeat-001.yaml"

echo "== results (ms)"
jq -r '.results[] |
    def ms: . * 1000 | . * 100 | round / 100;
    "\(.command): median \(.median | ms) ms, mean \(.mean | ms) ms ± \(.stddev | ms), min \(.min | ms) ms, max \(.max | ms) ms (\(.times | length) runs)"' "$JSON"

median_ms="$(jq -r '.results[0].median * 1000' "$JSON")"
if awk -v m="$median_ms" 'BEGIN { exit !(m < 100) }'; then
    echo "goal (< 100 ms for $N files): met (median $(printf '%.1f' "$median_ms") ms)"
else
    echo "goal (< 100 ms for $N files): NOT met (median $(printf '%.1f' "$median_ms") ms)"
fi
if [[ -n "${BENCH_KEEP:-}" ]]; then
    echo "kept: $WORK"
fi
