#!/usr/bin/env bash
# Daemon benchmark (issue: `runner daemon`, every playbook on time).
#
#  1. Idle: `runner daemon` with the six shipped playbooks scheduled, next to monit
#     (Debian package) watching the same services, for IDLE_SECONDS (default 600).
#     Resident set (VmRSS) of both at start and at the end, and the daemon's CPU time
#     (utime + stime from /proc/PID/stat) over the window. The heartbeat (*/5) fires
#     inside a 10-minute window (and hourly-alerts when it crosses the hour); the runs
#     made are counted and reported with the figures, not hidden.
#  2. Lateness: a playbook with a seconds field (`* * * * * *`, one tcp check) under the
#     daemon for FIRES fires (default 300); lateness = runs.started_ms - runs.scheduled_ms
#     from the store, p50 / p99 / max.
#
# Usage: benches/daemon.sh            (from the repository root; ~16 minutes)
#        IDLE_SECONDS=60 FIRES=30 benches/daemon.sh   (a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
idle_seconds=${IDLE_SECONDS:-600}
fires=${FIRES:-300}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v monit >/dev/null || { echo "monit is not installed (apt-get install monit)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[ -n "${BENCH_SKIP_BUILD:-}" ] || cargo build --release --quiet
runner="$(pwd)/target/release/runner"
ticks_per_second=$(getconf CLK_TCK)

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb * 1024 / 1e6}'; }

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); kernel $(uname -r)"
echo "runner $("$runner" --version | cut -d' ' -f2), $(monit -V | head -1)"
echo

# --- 1. idle -----------------------------------------------------------------------
mkdir -p "$work/idle"
cp playbooks/*.yaml "$work/idle/"
cp -r schemas "$work/schemas"
"$runner" validate "$work/idle" >/dev/null
(cd "$work/idle" && exec env RUNNER_STATE="$work/idle-state" "$runner" daemon --log-format json \
  --log-file "$work/idle.log" . >/dev/null 2>&1) &
daemon=$!
pids+=("$daemon")

# monit, watching what the heartbeat and the hourly alerts watch, on the heartbeat's period.
cat > "$work/monitrc" <<EOF
set daemon 300
set logfile $work/monit.log
set pidfile $work/monit.pid
set idfile $work/monit.id
set statefile $work/monit.state
check system localhost
  if loadavg (5min) > 8 then alert
  if loadavg (5min) > 12 then alert
  if swap usage > 20 % then alert
  if swap usage > 80 % then alert
  if memory usage > 90 % then alert
check host redis with address 127.0.0.1
  if failed port 6379 protocol redis then alert
check host api with address 127.0.0.1
  if failed port 4000 protocol http request "/health" with timeout 5 seconds then alert
check file database with path /var/lib/app/app.db
  if does not exist then alert
check process agents matching "api"
  if does not exist then alert
check filesystem root with path /
  if space usage > 90 % then alert
EOF
chmod 600 "$work/monitrc"
monit -I -c "$work/monitrc" >/dev/null 2>&1 &
monit_pid=$!
pids+=("$monit_pid")

sleep 5
kill -0 "$daemon" || { echo "the daemon died:" >&2; cat "$work/idle.log" >&2; exit 1; }
kill -0 "$monit_pid" || { echo "monit died:" >&2; cat "$work/monit.log" >&2; exit 1; }
daemon_rss_start=$(rss_kb "$daemon")
monit_rss_start=$(rss_kb "$monit_pid")
cpu_start=$(cpu_ticks "$daemon")
echo "== idle: six shipped playbooks scheduled, ${idle_seconds} s"
sleep "$idle_seconds"
daemon_rss_end=$(rss_kb "$daemon")
daemon_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon/status")
monit_rss_end=$(rss_kb "$monit_pid")
cpu_end=$(cpu_ticks "$daemon")
runs=$(sqlite3 "$work/idle-state/runner.db" \
  "SELECT group_concat(n || ' ' || name, ', ') FROM (SELECT p.name, count(*) AS n FROM runs r
   JOIN playbooks p ON p.id = r.playbook_id GROUP BY p.name)" 2>/dev/null || true)
echo "runner daemon RSS: $(mb "$daemon_rss_start") at start, $(mb "$daemon_rss_end") after ${idle_seconds} s (peak $(mb "$daemon_hwm"))"
echo "monit RSS:         $(mb "$monit_rss_start") at start, $(mb "$monit_rss_end") after ${idle_seconds} s"
awk -v r="$daemon_rss_end" -v m="$monit_rss_end" 'BEGIN {printf "ratio runner / monit at the end: %.2f×\n", r / m}'
awk -v t="$((cpu_end - cpu_start))" -v hz="$ticks_per_second" -v s="$idle_seconds" \
  'BEGIN {printf "runner daemon CPU time over %d s: %.2f s (%d ticks of 1/%d s)\n", s, t / hz, t, hz}'
echo "runs made in the window (counted in the CPU time): ${runs:-none}"
kill "$daemon" "$monit_pid"
wait "$daemon" "$monit_pid" 2>/dev/null || true
echo

# --- 2. lateness -------------------------------------------------------------------
mkdir -p "$work/tick"
cat > "$work/tick/tick.yaml" <<'YAML'
version: 1
name: tick
schedule:
  cron: "* * * * * *"
  timezone: UTC
checks:
  - id: redis-port
    tcp: {address: "127.0.0.1:6379"}
YAML
"$runner" validate "$work/tick" >/dev/null
RUNNER_STATE="$work/tick-state" "$runner" daemon --log-format json --log-file "$work/tick.log" \
  "$work/tick" >/dev/null 2>&1 &
daemon=$!
pids+=("$daemon")
echo "== lateness: $fires fires of a per-second playbook"
sleep $((fires + 3))
kill "$daemon"
wait "$daemon" 2>/dev/null || true
sqlite3 "$work/tick-state/runner.db" \
  "SELECT started_ms - scheduled_ms FROM runs WHERE scheduled_ms IS NOT NULL ORDER BY scheduled_ms LIMIT $fires" \
  > "$work/lateness.txt"
misses=$(sqlite3 "$work/tick-state/runner.db" "SELECT count(*) FROM misses" 2>/dev/null || echo "?")
sort -n "$work/lateness.txt" | awk -v misses="$misses" '
  { v[NR] = $1; sum += $1 }
  END {
    if (NR == 0) { print "no runs recorded"; exit 1 }
    p50 = v[int(NR * 0.50 + 0.5)]; p99 = v[int(NR * 0.99 + 0.5)]
    printf "fires: %d, misses recorded: %s\n", NR, misses
    printf "start lateness: p50 %d ms, p99 %d ms, max %d ms, mean %.1f ms\n", p50, p99, v[NR], sum / NR
  }'
