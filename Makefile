# The two commands of the README:
#   make run   builds in release mode and runs the example server (eventide-example bench)
#   make test  runs the whole test suite, then checks GET /metrics with promtool and a
#              real Prometheus (scripts/metrics-check.sh), the OpenAPI example with
#              schemathesis (scripts/schemathesis.sh) and the task dashboard in a real
#              browser (scripts/browser-test.sh: headless chromium, chromium-driver, Selenium)
#   make sanitizers runs the suite under ThreadSanitizer, then AddressSanitizer
#              (scripts/sanitizers.sh; CI runs it after make test)
#   make bench runs the benchmarks (Benchmarks/run.py; see Benchmarks/README.md),
#              e.g. make bench BENCH_ARGS="--rounds 1 --duration 3"
# Each installs libuv1-dev, libsqlite3-dev, libpq-dev and postgresql (and pkg-config) with
# apt when `pkg-config libuv sqlite3 libpq` fails or the PostgreSQL server is missing.
# make test and make sanitizers run the suite inside a throw-away PostgreSQL cluster
# (scripts/with-postgres.sh).

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?= bench --host 127.0.0.1 --port 8000

.PHONY: run test build deps

deps:
	@{ pkg-config --exists libuv sqlite3 libpq 2>/dev/null && \
		ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || { \
		echo "libuv, sqlite3, libpq or the PostgreSQL server not found: installing pkg-config, libuv1-dev, libsqlite3-dev, libpq-dev and postgresql with apt"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq pkg-config libuv1-dev libsqlite3-dev libpq-dev postgresql; }

# --static-swift-stdlib: the Swift runtime and Foundation linked into the binary (README,
# "The static Swift standard library": 9 MiB less RSS when no other process maps them,
# the same instructions per request). A command-line choice, not a manifest flag.
build: deps
	swift build -c release --static-swift-stdlib --product eventide-example

run: build
	.build/release/eventide-example $(ARGS)

# The example executable is built first: tests run the tutorial apps as processes. Then
# schemathesis (PyPI, in .venv-ci/) fuzzes eventide-example openapi against its own
# openapi.yaml on a live server: no 5xx, every response as documented, a task per 2xx.
test: deps
	swift build
	scripts/with-postgres.sh swift test
	bash scripts/metrics-check.sh
	bash scripts/schemathesis.sh
	bash scripts/browser-test.sh

# Own scratch paths (.build-tsan, .build-asan); exits non-zero on any report or failure.
.PHONY: sanitizers
sanitizers: deps
	bash scripts/sanitizers.sh all

BENCH_ARGS ?=

.PHONY: bench
bench: deps
	python3 Benchmarks/run.py $(BENCH_ARGS)
