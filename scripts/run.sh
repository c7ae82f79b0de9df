#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs Locai on its embedded
# default: a local node serving the models of $LOCAI_HOME/models (default ~/.locai/models) with the
# OpenAI and Anthropic APIs on http://127.0.0.1:11435. Extra arguments go to `locai` instead
# (e.g. `scripts/run.sh run MODEL.gguf -p "Hello"`).
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
models="$home/models"
mkdir -p "$models"
if ! compgen -G "$models/*.gguf" >/dev/null; then
  # No weights can be downloaded here: the demo model has seeded random weights of a small real
  # shape, so it exercises the whole stack but writes no sense. Put real GGUF files beside it.
  echo "run: synthesising a demo model into $models (put your own GGUF files there)"
  "$locai" model synth --shape tiny --type q8_0 -o "$models/demo.gguf"
fi
port="${LOCAI_PORT:-11435}"
cat <<MSG
run: starting the local node. Try, from another terminal:
  curl http://127.0.0.1:$port/v1/models
  curl http://127.0.0.1:$port/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model": "demo", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}'
MSG
exec "$locai" node --models "$models" --port "$port"
