# corpussieve: two commands from a fresh clone, `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out/demo
DEMO_DOCS ?= 2000
BENCH_ARGS ?=

# setup also fetches the delta-spark jars with Maven into .jars/ (one line and delta-rs only when it cannot),
# then records the JVM class archive local sessions start from (.jars/class-archive/: ~5 s off each start).
.PHONY: setup check-java demo test test-fast bench clean

setup: $(STAMP)
	@$(PY) scripts/fetch_delta_jars.py
	@$(PY) scripts/build_class_archive.py

check-java:
	@ver=$$(java -version 2>&1 | awk -F'"' '/version/ {print $$2}'); \
	if [ -z "$$ver" ]; then \
		echo "error: Java 17 or newer is required (Spark runs on the JVM), and 'java' was not found on PATH."; \
		echo "       Install a JDK 17+ (for example 'apt-get install openjdk-17-jre-headless') and set JAVA_HOME."; \
		exit 1; \
	fi; \
	major=$${ver%%.*}; [ "$$major" = "1" ] && major=$$(echo $$ver | cut -d. -f2); \
	if [ "$$major" -lt 17 ]; then \
		echo "error: Java 17 or newer is required, found Java $$ver at $$(command -v java)."; \
		exit 1; \
	fi

$(STAMP): pyproject.toml | check-java
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: setup
	$(PY) scripts/demo.py --output $(OUT) --docs $(DEMO_DOCS)

test: setup
	$(PY) -m pytest tests -q

test-fast: setup
	$(PY) -m pytest tests -q -m "not e2e and not slow"

bench: setup
	$(PY) scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf out bench-out .pytest_cache
