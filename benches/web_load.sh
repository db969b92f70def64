#!/usr/bin/env bash
# Status page under load (issue 13): 200 concurrent clients for 30 s on `/` with wrk while
# a per-second playbook runs in the same daemon. The scheduler shares its runtime with the
# HTTP server, so the figure that matters besides latency is that no fire is missed.
#
#  1. `runner daemon --listen 127.0.0.1:PORT` on a state folder with `tick` (every second,
#     `command: [true]`) and two playbooks every 10 s so the page has content (a tcp check on
#     the machine's Redis, an HTTP check with metrics on a local python listener, a failing
#     check with hostile output).
#  2. Waits for a few runs, records VmRSS, runs `wrk -t2 -c200 -d30s --latency /`, records
#     VmRSS again.
#  3. Counts, for `tick`, the fires due inside the wrk window, the runs made for them
#     (runs.scheduled_ms) and the misses recorded (misses.fire_ms), and prints a summary.
#     Exits 1 when a fire was missed or a fire has no run.
#
# Usage: benches/web_load.sh      (from the repository root; builds release first)
#        BENCH_SKIP_BUILD=1 CONNECTIONS=200 SECONDS_UNDER_LOAD=30 benches/web_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${CONNECTIONS:-200}
duration=${SECONDS_UNDER_LOAD:-30}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# wrk from Debian, installed the way tests/run installs packages.
if ! command -v wrk >/dev/null 2>&1; then
  echo "web_load: installing wrk" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[ -n "${BENCH_SKIP_BUILD:-}" ] || cargo build --release --quiet
runner="${CARGO_TARGET_DIR:-$(pwd)/target}/release/runner"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb * 1024 / 1e6}'; }
now_ms() { date +%s%3N; }
db="$work/state/runner.db"
sql() { sqlite3 -cmd ".timeout 10000" "$db" "$1"; }

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); kernel $(uname -r)"
echo "runner $("$runner" --version | cut -d' ' -f2), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo

# A local HTTP listener for the web playbook's check.
mkdir -p "$work/www" "$work/p"
echo '{"status":"UP","queue":3}' > "$work/www/health.json"
web_port=$(free_port)
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
pids+=("$!")

cat > "$work/p/tick.yaml" <<'YAML'
version: 1
name: tick
schedule: {cron: "* * * * * *", timezone: UTC}
checks:
  - id: beat
    command: {run: ["true"]}
YAML
cat > "$work/p/services.yaml" <<YAML
version: 1
name: services
schedule: {cron: "*/10 * * * * *", timezone: UTC}
checks:
  - id: redis
    name: Redis port
    tcp: {address: "127.0.0.1:6379"}
  - id: health
    name: Health endpoint
    runbook: https://wiki.example/health
    http: {url: "http://127.0.0.1:$web_port/health.json"}
YAML
cat > "$work/p/shop.yaml" <<'YAML'
version: 1
name: shop
schedule: {cron: "*/10 * * * * *", timezone: UTC}
checks:
  - id: api
    name: Shop API
    command:
      shell: 'echo "latency=42 queue=7"'
      metrics: {latency_ms: 'latency=(\d+)', queue: 'queue=(\d+)'}
    thresholds:
      queue: {warn: "> 5", crit: "> 50"}
  - id: hostile
    command: {shell: 'printf "<script>alert(1)</script> \033[31mred\033[0m"; exit 2'}
YAML
"$runner" validate "$work/p" >/dev/null

port=$(free_port)
RUNNER_STATE="$work/state" "$runner" daemon --listen "127.0.0.1:$port" --log-format json \
  --log-file "$work/daemon.log" "$work/p" >/dev/null 2>&1 &
daemon=$!
pids+=("$daemon")

# A few runs of every playbook before the load.
for _ in $(seq 1 60); do
  [ -f "$db" ] && [ "$(sql "SELECT count(DISTINCT playbook_id) FROM runs" 2>/dev/null || echo 0)" -ge 3 ] && break
  sleep 1
done
sleep 5
kill -0 "$daemon" || { echo "the daemon died:" >&2; cat "$work/daemon.log" >&2; exit 1; }
curl -fsS -o "$work/page.html" "http://127.0.0.1:$port/"
grep -q "Shop API" "$work/page.html" || { echo "the page does not show the playbooks" >&2; exit 1; }
rss_before=$(rss_kb "$daemon")

echo "== wrk -t2 -c$connections -d${duration}s --latency http://127.0.0.1:$port/  (tick runs every second)"
window_start=$(now_ms)
wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/" | tee "$work/wrk.txt"
window_end=$(now_ms)
rss_after=$(rss_kb "$daemon")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon/status")
sleep 3 # the runs of the window's last fires finish and are stored

# Fires of `tick` due inside the window: every whole second in [start, end).
first_fire=$(( (window_start + 999) / 1000 * 1000 ))
fires=$(( (window_end - first_fire + 999) / 1000 ))
runs=$(sql "SELECT count(DISTINCT r.scheduled_ms) FROM runs r JOIN playbooks p ON p.id = r.playbook_id
  WHERE p.name = 'tick' AND r.scheduled_ms >= $first_fire AND r.scheduled_ms < $window_end")
misses=$(sql "SELECT count(*) FROM misses WHERE playbook = 'tick' AND fire_ms >= $first_fire AND fire_ms < $window_end")
misses_all=$(sql "SELECT count(*) FROM misses")
lateness=$(sql "SELECT r.started_ms - r.scheduled_ms FROM runs r JOIN playbooks p ON p.id = r.playbook_id
  WHERE p.name = 'tick' AND r.scheduled_ms >= $first_fire AND r.scheduled_ms < $window_end" |
  sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "p50 %d ms, p99 %d ms, max %d ms", v[int(NR*0.5+0.5)], v[int(NR*0.99+0.5)], v[NR] }')

echo
echo "== summary"
awk '/Requests\/sec/ {print "requests/s: " $2}' "$work/wrk.txt"
awk '/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} END {print "latency: p50 " p50 ", p99 " p99}' "$work/wrk.txt"
grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || echo "errors: none (no non-2xx, no socket errors)"
echo "daemon RSS: $(mb "$rss_before") before, $(mb "$rss_after") after (peak $(mb "$hwm"))"
echo "tick over the window: fires due $fires, runs $runs, misses $misses (misses in the whole store: $misses_all)"
echo "tick start lateness in the window: ${lateness:-no runs}"
if [ "$misses" -ne 0 ] || [ "$runs" -lt "$fires" ]; then
  echo "FAIL: fires were missed under load" >&2
  grep '"missed fire"' "$work/daemon.log" | tail -5 >&2 || true
  exit 1
fi
