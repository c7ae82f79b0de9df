#!/usr/bin/env bash
# End-to-end checks of the `locai` CLI's engine commands, run by ctest with the built binary:
#   cli_test.sh LOCAI_BIN CONFORMANCE_DIR
set -euo pipefail
locai="$1"
conf="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected [$2], got [$1]"; }
expect_contains() { [[ "$1" == *"$2"* ]] || fail "$3: [$1] does not contain [$2]"; }

# tokenize: the conformance line for special tokens, exact.
out="$("$locai" model tokenize "$conf/tokenizer/vocab-bpe.gguf" --text "Hello world<|eot_id|>")"
expect_eq "$out" "[9906,1917,128009]" "tokenize bpe"
out="$("$locai" model tokenize "$conf/models/stories260K.gguf" --text "Once upon a time" --bos)"
expect_eq "$out" "[1,403,407,261,378]" "tokenize spm with bos"

# eval: the rows have the conformance files' shape, and the top-1 matches the reference.
out="$("$locai" model eval "$conf/models/tiny-f32.gguf" --tokens "1 229 153" --top 3 -t 1)"
top1="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["top"][0][0])' "$out")"
ref1="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sequences"][0]["positions"][0]["top"][0][0])' "$conf/logits/tiny-f32.json")"
reftok="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sequences"][0]["tokens"][0])' "$conf/logits/tiny-f32.json")"
[[ "$reftok" == 1 ]] || fail "reference sequence does not start with BOS"
expect_eq "$top1" "$ref1" "eval top-1 at position 0"
if "$locai" model eval "$conf/models/tiny-f32.gguf" --tokens "1 99999" 2>"$work/err"; then
  fail "eval accepted a token outside the vocabulary"
fi
expect_contains "$(cat "$work/err")" "outside the vocabulary" "eval error"

# run: the trained model's greedy story.
out="$("$locai" run "$conf/models/stories260K.gguf" -p "Once upon a time" --raw --temp 0 -n 20 -t 1)"
expect_contains "$out" ", there was a little girl named Lily." "run greedy"
out="$("$locai" run "$conf/models/stories260K.gguf" -p "Once upon a time" --raw --temp 0 -n 40 --stop Lily -t 1)"
expect_eq "$out" ", there was a little girl named " "run with a stop string"

# inspect: text and JSON.
out="$("$locai" model inspect "$conf/models/small-q4_k_m.gguf")"
expect_contains "$out" "q4_K" "inspect quantization"
out="$("$locai" model inspect "$conf/models/tied-f16.gguf" --json --ctx 1024 --parallel 2)"
python3 - "$out" <<'PY' || fail "inspect --json"
import json, sys
d = json.loads(sys.argv[1])
assert d["architecture"] == "llama" and d["tied_output"] is True, d
assert d["head_count_kv"] == 1 and d["rope_freq_base"] == 500000.0, d
# K and V, 2 layers, kv_dim 16, f16, 1024 positions, 2 sequences
assert d["memory"]["kv_cache_bytes"] == 2 * 2 * 16 * 2 * 1024 * 2, d["memory"]
PY

# synth + quantize + run: a Llama 3 vocabulary model round trip, and the template is used.
"$locai" model synth --shape tiny --type f16 --vocab-from "$conf/tokenizer/vocab-bpe.gguf" \
  -o "$work/tiny-f16.gguf" -t 1 2>/dev/null
"$locai" model quantize "$work/tiny-f16.gguf" "$work/tiny-q8.gguf" --type q8_0 -t 1 2>/dev/null
out="$("$locai" model inspect "$work/tiny-q8.gguf" --json)"
python3 - "$out" <<'PY' || fail "quantized inspect"
import json, sys
d = json.loads(sys.argv[1])
assert d["vocab_size"] == 128256 and "q8_0" in d["tensor_types"], d
assert d["chat_template"], "the chat template was not copied"
PY
"$locai" run "$work/tiny-q8.gguf" -p "Hello" -n 4 --seed 1 -t 1 >/dev/null
if "$locai" model quantize "$work/tiny-f16.gguf" "$work/bad.gguf" --type q9_z 2>/dev/null; then
  fail "quantize accepted an unknown type"
fi
[[ ! -e "$work/bad.gguf" ]] || fail "a failed quantize left a file"

# bench prints its table.
out="$("$locai" bench "$conf/models/stories260K.gguf" -p 16 -n 4 -t 1)"
expect_contains "$out" "pp16 tok/s" "bench header"
echo "cli_test: all checks passed"
