#!/usr/bin/env bash
# Status page benchmark (issue 13): `runner serve` (release) over 100 checks × a year of
# 5-minute results (10.5 M results: the store of benches/uptime.rs, built once under
# target/bench-uptime/), then p50/p99 of `/` and `/p/NAME` over REQUESTS requests each
# (curl's own time_total per request, one connection each, as the server keeps none
# alive), and the serving process's VmRSS before the first request and after the last.
#
# Two passes per page: as served (the 2-second answer cache of src/web/cache.rs answers
# most of them), and with a distinct query string per request, so that every request
# reads the store and renders (the cost the cache hides).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-2000}
echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
# The store is built once (and rebuilt when its data version changes).
[ "$(cat target/bench-uptime/built 2>/dev/null)" = "$(grep -o 'uptime-bench-[^"]*' benches/uptime.rs)" ] ||
  cargo bench --quiet --bench uptime -- --full --build-only
# RUNNER_BIN: another build to serve with (the release build by default).
[ -n "${RUNNER_BIN:-}" ] || cargo build --release --quiet --bin runner
state="$(pwd)/target/bench-uptime/state"
runner="${RUNNER_BIN:-$(pwd)/target/release/runner}"
echo "serving with $runner"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The data ends 2026-09-01T00:00:00Z: serve a minute after it.
RUNNER_STATE="$state" RUNNER_TEST_CLOCK=2026-09-01T00:01:00Z RUST_LOG=error \
  "$runner" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
before=$(rss)
echo "VmRSS before the first request: ${before} kB"
work=$(mktemp -d)
measure() { # name, URL ({n}: the request's number)
  local name=$1 template=$2
  : > "$work/urls"
  for i in $(seq "$REQUESTS"); do
    printf 'url = "%s"\noutput = "/dev/null"\n' "${template//\{n\}/$i}" >> "$work/urls"
  done
  curl -s -K "$work/urls" -w '%{http_code} %{time_total}\n' > "$work/times"
  python3 - "$name" "$work/times" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[2])]
bad = [r for r in rows if r[0] != "200"]
t = sorted(float(r[1]) * 1000 for r in rows)
q = lambda p: t[min(len(t) - 1, int(p * len(t)))]
print(f"{sys.argv[1]:<44} n={len(t)} p50 {q(0.50):7.1f} ms  p99 {q(0.99):7.1f} ms  max {t[-1]:7.1f} ms  non-200: {len(bad)}")
PY
}
base="http://127.0.0.1:$port"
measure "/ (as served, cache on)" "$base/"
measure "/p/service-03 (as served, cache on)" "$base/p/service-03"
measure "/ (every request rendered)" "$base/?n={n}"
measure "/p/service-03 (every request rendered)" "$base/p/service-03?n={n}"
after=$(rss)
echo "VmRSS after $((4 * REQUESTS)) requests: ${after} kB (growth $(( (after - before) )) kB)"
rm -rf "$work"
