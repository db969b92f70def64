#!/usr/bin/env bash
# Benchmarks of `runner run` (issue: the engine and every check kind):
#   (a) a 4-check heartbeat (Redis PING with AUTH, SQLite SELECT, local HTTP GET, process
#       check) end to end, side by side with the equivalent bash script (redis-cli,
#       sqlite3, curl, pgrep), median wall time, in one hyperfine run;
#   (b) 1,000 HTTP checks against a local server that answers after 50 ms, at
#       --concurrency 100: wall time against the ideal 0.5 s;
#   (c) the peak RSS of (b).
# Prints figures; BENCHMARKS.md records them with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
echo "rustc: $(rustc --version)"
echo

cargo build --release --quiet
cargo build --release --quiet --manifest-path benches/httpd/Cargo.toml --target-dir target/bench-httpd
runner="$root/target/release/runner"
httpd="$root/target/bench-httpd/release/bench-httpd"

# Services: a Redis with a password, a SQLite file, an HTTP server answering at once.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --requirepass bench-pw --save "" --appendonly no --dir "$work" >/dev/null &
pids+=($!)
sqlite3 "$work/app.db" "CREATE TABLE t(n); INSERT INTO t VALUES (1);"
"$httpd" 0 > "$work/httpd0.port" & pids+=($!)
"$httpd" 50 > "$work/httpd50.port" & pids+=($!)
for _ in $(seq 50); do [ -s "$work/httpd0.port" ] && [ -s "$work/httpd50.port" ] && redis-cli -p "$port" -a bench-pw --no-auth-warning ping >/dev/null 2>&1 && break; sleep 0.1; done
h0=$(cat "$work/httpd0.port"); h50=$(cat "$work/httpd50.port")

cat > "$work/heartbeat.yaml" <<YAML
version: 1
name: bench-heartbeat
checks:
  - id: redis
    redis: {url: "redis://127.0.0.1:$port/0", password: "\${BENCH_REDIS_PASSWORD}"}
  - id: database
    sqlite: {path: "$work/app.db", query: "SELECT count(*) FROM sqlite_master"}
  - id: api
    http: {url: "http://127.0.0.1:$h0/health"}
  - id: redis-process
    process: {name: redis-server}
YAML
cat > "$work/heartbeat.sh" <<SH
#!/usr/bin/env bash
# The bash heartbeat runner replaces: same four checks, same exit-code convention.
status=0
redis-cli -h 127.0.0.1 -p $port -a "\$BENCH_REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG || status=2
sqlite3 "$work/app.db" "SELECT count(*) FROM sqlite_master" >/dev/null || status=2
curl -fsS -m 5 "http://127.0.0.1:$h0/health" >/dev/null || status=2
pgrep -x redis-server >/dev/null || status=2
exit \$status
SH
chmod +x "$work/heartbeat.sh"
export BENCH_REDIS_PASSWORD=bench-pw
"$runner" run --no-store "$work/heartbeat.yaml" >/dev/null || { echo "the heartbeat is not OK"; "$runner" run --no-store "$work/heartbeat.yaml"; exit 1; }
"$work/heartbeat.sh" || { echo "the bash heartbeat is not OK"; exit 1; }

echo "== (a) 4-check heartbeat: runner vs bash"
RUNNER_STATE="$work/state" hyperfine -N --warmup 5 --runs 100 --export-json "$work/a.json" \
  -n "runner run (with store)" "$runner run $work/heartbeat.yaml" \
  -n "runner run --no-store" "$runner run --no-store $work/heartbeat.yaml" \
  -n "bash (redis-cli, sqlite3, curl, pgrep)" "$work/heartbeat.sh" >/dev/null
python3 - "$work/a.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
bash = next(r for r in results if r["command"].startswith("bash"))["median"]
for r in results:
    print(f'{r["command"]:<42} median {r["median"]*1000:7.2f} ms   mean {r["mean"]*1000:7.2f} ms   min {r["min"]*1000:7.2f} ms   ratio to bash {r["median"]/bash:5.2f}x')
PY
echo

echo "== (b) 1,000 HTTP checks, server answers after 50 ms, --concurrency 100 (ideal 0.5 s)"
{
  echo "version: 1"; echo "name: bench-fanout"; echo "checks:"
  for i in $(seq 1000); do echo "  - id: c$i"; echo "    http: {url: \"http://127.0.0.1:$h50/item/$i\"}"; done
} > "$work/fanout.yaml"
"$runner" run --no-store --format json "$work/fanout.yaml" > "$work/fanout.json" || { echo "fan-out not OK"; exit 1; }
hyperfine -N --warmup 1 --runs 10 --export-json "$work/b.json" "$runner run --no-store --concurrency 100 $work/fanout.yaml" >/dev/null
python3 - "$work/b.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f'median {r["median"]:.3f} s   mean {r["mean"]:.3f} s   min {r["min"]:.3f} s   max {r["max"]:.3f} s   ratio to the ideal 0.5 s: {r["median"]/0.5:.2f}x')
PY
echo

echo "== (c) peak RSS of (b)"
for i in 1 2 3; do
  /usr/bin/time -f "%M" "$runner" run --no-store --concurrency 100 "$work/fanout.yaml" 2>&1 >/dev/null | tail -1
done | sort -n | awk '{v[NR]=$1} END {printf "peak RSS over 3 runs: min %.1f MB, max %.1f MB\n", v[1]/1024, v[NR]/1024}'
