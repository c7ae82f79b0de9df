#!/usr/bin/env bash
# Registry throughput (issue 4): push and pull of one model file through `locai server`, against a
# plain file copy of the same file on the same disk.
#   bench/registry_bench.sh [BUILD_DIR] [SHAPE] [TYPE]
# Defaults: build/release, qwen2.5-0.5b, q8_0 (a ~0.5 GB file). Push = `locai models push` (hash +
# chunked upload + server-side digest check, GGUF validation, fsync, rename); pull = the blob route
# read with curl to disk (what a node's puller does, without its own digest check); both over HTTPS
# on loopback. Caches are not dropped (no root): the file copy and the push both read a hot file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"
shape="${2:-qwen2.5-0.5b}"
type="${3:-q8_0}"
locai="$build/bin/locai"
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
now() { date +%s.%N; }
mbps() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6 / (float(sys.argv[3]) - float(sys.argv[2])):.0f}')" "$@"; }

"$locai" model synth --shape "$shape" --type "$type" -o "$work/model.gguf" 2>/dev/null
size=$(stat -c %s "$work/model.gguf")

t0=$(now); cp "$work/model.gguf" "$work/copy.gguf"; sync "$work/copy.gguf"; t1=$(now)
copy=$(mbps "$size" "$t0" "$t1")

"$locai" server --data "$work/data" --port 0 >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "^locai server listening" "$work/server.log" && break; sleep 0.1; done
url="$(sed -n 's/^locai server listening on \(https:[^ ]*\).*/\1/p' "$work/server.log")"
admin=(--data "$work/data" --server "$url")

t0=$(now); "$locai" models push "$work/model.gguf" --name bench:push "${admin[@]}" >/dev/null 2>&1; t1=$(now)
push=$(mbps "$size" "$t0" "$t1")

digest="$("$locai" models show bench:push "${admin[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')"
t0=$(now)
curl -sf --cacert "$work/data/server/tls/ca.pem" -H "Authorization: Bearer $(cat "$work/data/server/admin.key")" \
  -o "$work/pulled.gguf" "$url/v1/registry/blobs/$digest"
sync "$work/pulled.gguf"; t1=$(now)
pull=$(mbps "$size" "$t0" "$t1")
cmp -s "$work/model.gguf" "$work/pulled.gguf" || { echo "pulled bytes differ" >&2; exit 1; }

echo "| file | size | cp + sync MB/s | push MB/s | pull MB/s | push / cp | pull / cp |"
echo "|---|---|---|---|---|---|---|"
python3 - "$shape-$type" "$size" "$copy" "$push" "$pull" <<'PY'
import sys
name, size, copy, push, pull = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
print(f"| {name} | {size/1e6:.0f} MB | {copy:.0f} | {push:.0f} | {pull:.0f} | {push/copy:.2f} | {pull/copy:.2f} |")
PY
