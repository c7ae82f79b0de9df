#!/usr/bin/env bash
# Gateway overhead (issue 5): the latency that going through `locai server` (HTTPS, API key,
# policy, node choice, the fleet link to the node and back) adds to a request, against calling the
# same node's own API directly (plain HTTP on loopback), p50 and p99, at 1, 64 and 512 concurrent
# clients, and the requests per second each side sustains. Non-streamed chat completions with
# max_tokens 1 on the conformance stories260K (a real 260K-parameter model), so generation costs
# little next to the transport.
#   bench/gateway_bench.sh [BUILD_DIR] [DURATION_MS] [LEVELS] [PARALLEL]
# Defaults: build/release, 3000 ms per level after 500 ms of warm-up, 1,64,512, parallel 4 (the
# deployment's sequences at once on the node; the node queues up to 4096 requests).
# BUILD_DIR must hold bin/locai and gateway_bench (configure with -DLOCAI_BUILD_BENCH=ON, build
# the targets locai and gateway_bench). Client, server and node share the machine: run it on an
# otherwise idle one. Not part of ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"
duration="${2:-3000}"
levels="${3:-1,64,512}"
parallel="${4:-4}"
locai="$build/bin/locai"
bench="$(find "$build" -name gateway_bench -type f -perm -u+x | head -1)"
model_file="$root/../shared/conformance/models/stories260K.gguf"
[[ -x "$locai" ]] || { echo "no $locai" >&2; exit 1; }
[[ -n "$bench" ]] || { echo "no gateway_bench under $build (-DLOCAI_BUILD_BENCH=ON)" >&2; exit 1; }
[[ -f "$model_file" ]] || { echo "no $model_file" >&2; exit 1; }
work="$(mktemp -d)"
server_pid=""
node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

wait_line() {  # FILE REGEX: waits up to 60 s for a line
  for _ in $(seq 1 600); do grep -qE "$2" "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for /$2/ in $1:" >&2; tail -20 "$1" >&2; exit 1
}

"$locai" server --data "$work/data" --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
wait_line "$work/server.log" '^locai server listening on https:'
url="$(sed -n 's/^locai server listening on \(https:[^ ]*\).*/\1/p' "$work/server.log" | head -1)"
ca="$work/data/server/tls/ca.pem"
key="$(cat "$work/data/server/admin.key")"
admin=(--data "$work/data" --server "$url")

"$locai" models push "$model_file" --name bench/stories:260k "${admin[@]}" >/dev/null
token="$("$locai" nodes token create --group default --uses 1 --ttl 15m "${admin[@]}" 2>/dev/null | grep -o 'locaijoin\.[^ ]*' | head -1)"
"$locai" node --join "$url" --token "$token" --data "$work/node" --port 0 --name bench-node \
  --report-memory 8000000000 --queue 4096 >"$work/node.log" 2>&1 &
node_pid=$!
wait_line "$work/node.log" '^locai node listening on http:'
node_url="$(sed -n 's/^locai node listening on \(http:[^ ]*\).*/\1/p' "$work/node.log" | head -1)"
node_url="${node_url%/}"
"$locai" deploy bench/stories:260k --to group=default --name bench --ctx 256 --parallel "$parallel" \
  "${admin[@]}" >/dev/null
for _ in $(seq 1 600); do
  curl -sf "$node_url/v1/models" | grep -q 'bench/stories:260k' &&
    curl -sf --cacert "$ca" -H "Authorization: Bearer $key" "$url/v1/models" | grep -q 'bench/stories:260k' &&
    break
  sleep 0.1
done
curl -sf --cacert "$ca" -H "Authorization: Bearer $key" "$url/v1/models" | grep -q 'bench/stories:260k' ||
  { echo "the gateway does not list the model" >&2; tail -20 "$work/server.log" >&2; exit 1; }

common=(--model bench/stories:260k --levels "$levels" --duration-ms "$duration" --warmup-ms 500 --max-tokens 1)
echo "direct: $node_url (HTTP)   gateway: $url (HTTPS)   $(nproc) cores, parallel $parallel" >&2
"$bench" --url "$node_url" "${common[@]}" >"$work/direct.txt" || true
"$bench" --url "$url" --ca-file "$ca" --key "$key" "${common[@]}" >"$work/gateway.txt" || true
grep first_error "$work/direct.txt" "$work/gateway.txt" >&2 || true

python3 - "$work/direct.txt" "$work/gateway.txt" <<'PY'
import sys
def load(path):
    rows = {}
    for line in open(path):
        if not line.startswith('level='):
            continue
        kv = dict(x.split('=', 1) for x in line.split())
        rows[int(kv['level'])] = {k: float(v) for k, v in kv.items()}
    return rows
direct, gateway = load(sys.argv[1]), load(sys.argv[2])
print('| clients | direct p50 ms | gateway p50 ms | added p50 ms | direct p99 ms | gateway p99 ms | added p99 ms | p99 ratio | direct req/s | gateway req/s | errors d/g |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for level in sorted(set(direct) | set(gateway)):
    d, g = direct.get(level), gateway.get(level)
    if not d or not g:
        print(f'| {level} | missing | | | | | | | | | |')
        continue
    ms = lambda x: x / 1000
    ratio = g['p99_us'] / d['p99_us'] if d['p99_us'] else float('nan')
    print(f"| {level} | {ms(d['p50_us']):.2f} | {ms(g['p50_us']):.2f} | {ms(g['p50_us'] - d['p50_us']):+.2f} | "
          f"{ms(d['p99_us']):.2f} | {ms(g['p99_us']):.2f} | {ms(g['p99_us'] - d['p99_us']):+.2f} | {ratio:.2f} | "
          f"{d['rps']:.0f} | {g['rps']:.0f} | {int(d['errors'])}/{int(g['errors'])} |")
PY
