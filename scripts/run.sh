#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs Locai on its embedded
# default (`locai up --demo`): a control plane on https://127.0.0.1:8443 with its data in
# $LOCAI_HOME (default ~/.locai) and a local node serving the OpenAI and Anthropic APIs on
# http://127.0.0.1:11435. Extra arguments go to `locai` instead (e.g. `scripts/run.sh run MODEL.gguf
# -p "Hello"`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DLOCAI_BUILD_TESTS=OFF -DLOCAI_BUILD_BENCH=OFF
locai="build/release/bin/locai"
if (($#)); then
  exec "$locai" "$@"
fi
home="${LOCAI_HOME:-$HOME/.locai}"
# The embedded default: a control plane (SQLite, local blob store, its own CA) and a local node in
# one process. --demo synthesises a small model (no weights can be downloaded here; its random
# weights exercise the whole stack but write no sense), pushes it to the registry and deploys it.
exec "$locai" up --demo --data "$home" --port "${LOCAI_SERVER_PORT:-8443}" \
  --node-port "${LOCAI_PORT:-11435}"
