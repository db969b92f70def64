#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of `runner validate` on 500 heartbeat-sized
# playbooks and of `runner run` on a 4-check heartbeat (Redis PING, SQLite SELECT, local HTTP
# GET, process), with and without the store. Instruction counts, unlike seconds, do not move
# with the load of the machine, so two builds can be compared side by side: "did not get
# slower" is a count, not a feeling.
#
# Usage: benches/callgrind.sh BIN [BIN...]    (each a release build of runner)
#   e.g. benches/callgrind.sh /tmp/runner-before target/release/runner
# Prints one row per measurement and binary, with the ratio to the first binary.
# Needs: valgrind, redis-server, python3, cargo (to build the bench HTTP server).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ $# -ge 1 ] || { echo "usage: $0 BIN [BIN...]" >&2; exit 64; }
for tool in valgrind redis-server python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release --quiet --manifest-path benches/httpd/Cargo.toml --target-dir target/bench-httpd
httpd="$root/target/bench-httpd/release/bench-httpd"

# The validate corpus: the heartbeat 500 times under distinct names (as benches/validate.sh).
mkdir -p "$work/playbooks"
for i in $(seq -f '%03g' 500); do
  sed -e "s/^name: heartbeat\$/name: heartbeat-$i/" \
      -e "s|reports/heartbeat/heartbeat_|reports/heartbeat-$i/heartbeat-${i}_|" \
      playbooks/heartbeat.yaml > "$work/playbooks/heartbeat-$i.yaml"
done

# The run heartbeat: a Redis with a password, a SQLite file, an HTTP server answering at once.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --requirepass bench-pw --save "" --appendonly no --dir "$work" >/dev/null &
pids+=($!)
python3 -c "import sqlite3; c=sqlite3.connect('$work/app.db'); c.execute('CREATE TABLE t(n)'); c.commit()"
"$httpd" 0 > "$work/httpd.port" & pids+=($!)
for _ in $(seq 50); do [ -s "$work/httpd.port" ] && redis-cli -p "$port" -a bench-pw --no-auth-warning ping >/dev/null 2>&1 && break; sleep 0.1; done
h0=$(cat "$work/httpd.port")
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
export BENCH_REDIS_PASSWORD=bench-pw

# count BIN ARGS...: total instructions (all threads) from callgrind's summary, the median of
# three runs (threads and sockets move a count by a fraction of a percent between runs).
count() {
  local out="$work/cg.out"
  for _ in 1 2 3; do
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$work/cg.err" || true
    grep -m1 '^summary:' "$out" | awk '{print $2}'
  done | sort -n | sed -n 2p
}

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); $(valgrind --version)"
printf '%-34s %-40s %16s %8s\n' measurement binary instructions ratio
for what in validate run-no-store run-store; do
  first=""
  for bin in "$@"; do
    case "$what" in
      validate) n=$(count "$bin" validate "$work/playbooks") ;;
      run-no-store)
        # --no-store keeps nothing but still takes the playbook's lock in the state folder:
        # a private one of its own, so that the machine's default folder (and a warning
        # about its mode) does not weigh in.
        mkdir -p -m 700 "$work/no-store-state"
        n=$(RUNNER_STATE="$work/no-store-state" count "$bin" run --no-store "$work/heartbeat.yaml") ;;
      run-store)
        state="$work/state-$(basename "$bin")-$RANDOM"
        RUNNER_STATE="$state" "$bin" run "$work/heartbeat.yaml" >/dev/null || true   # migrations out of the way
        n=$(RUNNER_STATE="$state" count "$bin" run "$work/heartbeat.yaml") ;;
    esac
    [ -n "$first" ] || first=$n
    printf '%-34s %-40s %16s %8s\n' "$what" "$bin" "$(printf "%'d" "$n")" "$(awk -v a="$n" -v b="$first" 'BEGIN{printf "%.3f", a/b}')"
  done
done
