# The two commands a newcomer needs:  make demo  (chat with the sample studio)
#                                     make test  (the whole test suite, as CI runs it)
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_LINK_MODE ?= copy

.PHONY: demo test install uv services lint typecheck scenarios nlu-eval prompt-regression \
	deploy-check clean

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
	$(UV) run ruff check src tests
	$(UV) run ruff format --check src tests

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

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
