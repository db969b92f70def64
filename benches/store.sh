#!/usr/bin/env bash
# Store benchmark (issue: results that last): ingest a year of 5-minute heartbeats
# (105,120 runs × 5 checks, with metrics), then time `runner history --since 30d` and a
# `history` check over 90 days with the release binary, and report the database size.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$state" "$work"' EXIT

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
echo
cargo build --release --quiet
echo "== ingest"
cargo bench --quiet --bench store -- --dir "$state/state"
runner="$(pwd)/target/release/runner"
export RUNNER_STATE="$state/state"

cat > "$work/capacity.yaml" <<'YAML'
version: 1
name: capacity
checks:
  - id: disk-trend
    history: {playbook: heartbeat, check: disk, metric: disk_used_percent, over: 90d, aggregate: slope_per_day}
  - id: latency-p95
    history: {playbook: heartbeat, check: redis, metric: latency_ms, over: 90d, aggregate: p95}
YAML
echo
echo "== queries (hyperfine, release binary, whole process)"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/q.json" \
  -n "runner history heartbeat --since 30d" "$runner history heartbeat --since 30d" \
  -n "runner history heartbeat --since 30d --format json" "$runner history heartbeat --since 30d --format json" \
  -n "runner run capacity.yaml (2 history checks over 90d)" "$runner run --dry-run $work/capacity.yaml" >/dev/null
python3 - "$work/q.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]:<55} median {r["median"]*1000:7.1f} ms   mean {r["mean"]*1000:7.1f} ms   max {r["max"]*1000:7.1f} ms')
PY
"$runner" run --dry-run --format json "$work/capacity.yaml" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    i, d, m = c["id"], c.get("duration_ms"), c.get("message")
    print(f"history check {i}: {d} ms inside the run; {m}")'
"$runner" history heartbeat --since 30d | head -5
