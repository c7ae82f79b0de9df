#!/usr/bin/env bash
# Engine benchmark (issue 2): synthesises a Llama-3.2-1B-shaped model (dim 2048, 16 layers,
# 32/8 heads, FFN 8192, vocab 128256, tied output) in Q4_0, Q4_K_M and Q8_0 with the real Llama 3
# vocabulary, then measures prompt processing (512 tokens) and generation (128 tokens) on 2 threads
# with `locai bench`, printing a Markdown table with tokens/s and peak RSS.
# Usage: bench/engine_bench.sh [BUILD_DIR] [THREADS]; models are cached in BUILD_DIR/bench-models.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"
threads="${2:-2}"
locai="$build/bin/locai"
models="$build/bench-models"
vocab="$root/../shared/conformance/tokenizer/vocab-bpe.gguf"
mkdir -p "$models"
echo "| model | type | threads | pp512 tok/s | tg128 tok/s | file | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for type in q4_0 q4_k_m q8_0; do
  file="$models/llama3.2-1b-$type.gguf"
  if [[ ! -f "$file" ]]; then
    "$locai" model synth --shape llama3.2-1b --type "$type" --vocab-from "$vocab" -o "$file" >&2
  fi
  "$locai" bench "$file" -t "$threads" -p 512 -n 128 | tail -n 1
done
