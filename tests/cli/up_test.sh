#!/usr/bin/env bash
# The README's first command in miniature: `locai up --demo` on a fresh data directory must bring up
# a control plane and a local node, push and deploy the demo model, and answer a chat request; a
# second start reuses everything (no new enrolment, no new upload); SIGINT stops it cleanly.
#   up_test.sh LOCAI_BIN
set -euo pipefail
locai="$1"
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/up.log" ]] && cat "$work/up.log" >&2; exit 1; }

# Starts `locai up --demo` and waits (up to 120 s) for its "Locai is up" message; sets $pid and
# $node_url.
start_up() {
  : >"$work/up.log"
  "$locai" up --demo --data "$work/data" --port 0 --node-port 0 >"$work/up.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 480); do
    if grep -q "^Locai is up" "$work/up.log"; then
      node_url="$(sed -n 's/^locai node listening on \(http:[^ ]*\).*/\1/p' "$work/up.log")"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "locai up exited before it was ready"
    sleep 0.25
  done
  fail "locai up --demo was not ready within 120 s"
}

stop_up() {
  kill -INT "$pid"
  for _ in $(seq 1 80); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || fail "locai up exited non-zero on SIGINT"; pid=""; return 0; }
    sleep 0.25
  done
  fail "locai up did not stop within 20 s of SIGINT"
}

start_up
grep -q "^admin key (shown once" "$work/up.log" || fail "first start printed no admin key"
grep -q "^enrolled as node" "$work/up.log" || fail "first start did not enrol the local node"
[[ -f "$work/data/server/admin.key" ]] || fail "no admin.key"
[[ "$(stat -c %a "$work/data/server/admin.key")" == 600 ]] || fail "admin.key is not mode 0600"
out="$(curl -sf "$node_url/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"demo:latest","messages":[{"role":"user","content":"Hello"}],"max_tokens":4}')" \
  || fail "chat request to $node_url failed"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["usage"]["completion_tokens"]==4, d' "$out" \
  || fail "unexpected chat answer: $out"
out="$("$locai" deployments ls --data "$work/data" --server "$(sed -n 's/^locai server listening on \(https:[^ ]*\).*/\1/p' "$work/up.log")")"
[[ "$out" == *"demo"*"ready"* ]] || fail "deployments ls does not show demo ready: $out"
stop_up

start_up
grep -q "^admin key" "$work/up.log" && fail "the second start printed an admin key again"
grep -q "^enrolled as node" "$work/up.log" && fail "the second start enrolled again"
grep -q "tagged without uploading" "$work/up.log" || fail "the second start uploaded the demo model again"
curl -sf "$node_url/v1/models" | grep -q '"demo:latest"' || fail "demo:latest not listed after restart"
stop_up
echo "up_test: all checks passed"
