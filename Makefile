# The two commands a newcomer needs:  make demo  (chat with the sample studio)
#                                     make test  (the whole test suite, as CI runs it)
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_LINK_MODE ?= copy

.PHONY: demo test install uv services lint typecheck scenarios nlu-eval prompt-regression \
	deploy-check clean bench bench-quick chaos fuzz bytecode

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  (echo "installing uv with pip" && python3 -m pip install --quiet --disable-pip-version-check uv)

install: uv
	@$(UV) sync --frozen --quiet

demo: install
	@$(UV) run dancebot chat

services:
	@bash scripts/services.sh

lint: install
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench

typecheck: install
	$(UV) run mypy

scenarios: install
	$(UV) run dancebot eval tests/scenarios --json var/scenarios.json
	$(UV) run dancebot eval examples/studio_second/scenarios \
	  --kb examples/studio_second/knowledge.yaml --crm-seed examples/studio_second/seed.yaml

# the deterministic parser on the labelled corpus (tests/nlu/corpus): fails below the threshold
NLU_THRESHOLD ?= 0.85
nlu-eval: install
	$(UV) run dancebot nlu-eval --split dev --threshold $(NLU_THRESHOLD)
	$(UV) run dancebot nlu-eval --split test --threshold $(NLU_THRESHOLD)

prompt-regression: install
	$(UV) run python -m tests.prompt_regression.runner --llm fake

# the container files without Docker (part of `make test` too): compose schema, CLI, env, hadolint
deploy-check: install
	$(UV) run pytest -q tests/unit/deploy

test: install services lint typecheck
	$(UV) run pytest -q
	@$(MAKE) --no-print-directory scenarios
	@$(MAKE) --no-print-directory nlu-eval
	@$(MAKE) --no-print-directory prompt-regression

# Not in `make test`: they measure and stress, and take minutes (bench/README.md).
# The measured processes load compiled bytecode, as in the image (UV_COMPILE_BYTECODE=1):
# where PYTHONDONTWRITEBYTECODE is set, nothing else would ever write it.
bytecode: install
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(UV) run python -m compileall -q src bench >/dev/null

bench: bytecode services
	$(UV) run python -m bench.run --json var/bench.json

bench-quick: bytecode services
	$(UV) run python -m bench.run --quick --json var/bench-quick.json

CHAOS_CONVERSATIONS ?= 100
CHAOS_KILLS ?= 8
FUZZ_EXAMPLES ?= 10000
fuzz: install services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(UV) run pytest -q \
	  tests/e2e/channels/test_webhook_fuzz.py tests/unit/crm/test_impulse_fuzz.py

chaos: bytecode services
	$(UV) run python -m bench.chaos --conversations $(CHAOS_CONVERSATIONS) --kills $(CHAOS_KILLS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
