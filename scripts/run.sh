#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs Locai on its embedded
# default. Extra arguments go to `locai run` (default: a prompt to a small synthesised demo model).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DLOCAI_BUILD_TESTS=OFF -DLOCAI_BUILD_BENCH=OFF
locai="build/release/bin/locai"
home="${LOCAI_HOME:-$HOME/.locai}"
demo="$home/models/demo.gguf"
if [[ ! -f "$demo" ]]; then
  mkdir -p "$home/models"
  # No weights can be downloaded: the demo model has seeded random weights of a small real shape,
  # so it runs the whole engine but writes no sense.
  "$locai" model synth --shape tiny --type q8_0 -o "$demo"
fi
if (($#)); then
  exec "$locai" "$@"
fi
"$locai" model inspect "$demo"
exec "$locai" run "$demo" -p "Hello" --raw -n 32 -v
