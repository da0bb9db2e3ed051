# The two commands a newcomer needs:  make demo  (chat with the sample studio)
#                                     make test  (the whole test suite, as CI runs it)
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_LINK_MODE ?= copy

.PHONY: demo test install uv services lint typecheck unit clean

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

test: install services lint typecheck
	$(UV) run pytest -q

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
