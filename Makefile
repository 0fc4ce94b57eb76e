# Two entry points on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := tinyproxy wrk curl
PYTEST_ARGS ?= -n 2

.PHONY: run example test lint typecheck pytest docs bench clean debian venv

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[speedups,test,bench,docs]'
	touch $(STAMP)

venv: $(STAMP)

debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Bytecode caches are allowed even where the environment forbids them: without them each
# xdist worker compiles every module again (several seconds of CPU per worker).
pytest: $(STAMP) debian
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest $(PYTEST_ARGS)

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site

test: lint typecheck docs pytest

# The main job: the built-in httpbin-compatible server over HTTP and HTTPS (Ctrl-C stops it).
run: $(STAMP)
	$(BIN)/toolkit serve --tls

example: $(STAMP)
	$(BIN)/python examples/fetch.py

bench: $(STAMP) debian
	$(BIN)/python bench/client.py

clean:
	rm -rf $(VENV) .site .mypy_cache .pytest_cache .ruff_cache
