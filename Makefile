# TenantAtlas Ops — see README.md. `make run` and `make test` are the two commands of a fresh
# machine; everything else is for development.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
NPM ?= npm
# The binary `cargo build` just wrote: under CARGO_TARGET_DIR when that is set.
BIN := $(or $(CARGO_TARGET_DIR),target)/debug/atlas-ops
NEXTEST_PROFILE := $(if $(CI),ci,default)

.PHONY: run serve build backend frontend frontend-deps test test-unit test-sqlite test-postgres \
        test-frontend test-e2e test-reliability lint fmt openapi client bench e2e clean fuzz client-test

## run: build the SPA and the backend, migrate + seed the SQLite demo database, serve :8080
run: build
	COOKIE_SECURE=$${COOKIE_SECURE:-false} $(BIN) serve --seed-demo

build: frontend backend

backend:
	$(CARGO) build -p atlas-ops

frontend-deps:
	@if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then \
		cd frontend && $(NPM) ci --no-audit --no-fund; \
	fi

frontend: frontend-deps
	cd frontend && $(NPM) run build

## test: frontend unit tests, the browser e2e, API fuzzing + generated-client test, then every Rust test (unit + black-box on SQLite and PostgreSQL)
test: test-frontend test-e2e fuzz client-test test-reliability
	$(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) -E 'not binary(reliability)'

## test-reliability: the slow suite of faults, load and bad input (tests/tests/reliability.rs):
## worker SIGKILLs, a PostgreSQL outage, SIGTERM, failing audit, a hung webhook, races, fuzzed
## bodies, slowloris, session churn
test-reliability:
	$(CARGO) nextest run -p atlas-ops-tests --test reliability --profile $(NEXTEST_PROFILE)

test-unit:
	$(CARGO) nextest run --workspace --lib --bins --profile $(NEXTEST_PROFILE)

test-sqlite:
	$(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) -E 'not test(/^postgres/)'

test-postgres:
	$(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) -E 'test(/postgres/)'

## fuzz: schemathesis (all phases, stateful included) against a live server on a fresh PostgreSQL
## database with an operator token; fails on any 5xx, undocumented status or schema violation
fuzz: backend
	fuzz/run-schemathesis.sh

## client-test: a Python client generated (openapi-python-client) from the committed contract
## drives token auth → preflight → start → poll to completion against a live server
client-test: backend
	fuzz/run-client-test.sh

test-frontend: frontend-deps
	cd frontend && $(NPM) run typecheck && $(NPM) test

## e2e: Playwright in Debian's Chromium (/usr/bin/chromium) against the real server on a fresh SQLite DB
e2e test-e2e: build
	cd frontend && E2E_SKIP_BUILD=1 $(NPM) run e2e

## bench: the rebuild pipeline vs a single-statement SQL rebuild on PostgreSQL; writes bench/RESULTS.md
bench:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	@command -v sqlite3 >/dev/null || (apt-get update && apt-get install -y sqlite3)
	$(CARGO) bench -p atlas-ops-tests --bench rebuild

lint: frontend-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd frontend && $(NPM) run typecheck

fmt:
	$(CARGO) fmt --all

## openapi: regenerate the committed contracts from the code, then the SPA's API types from
## them (tests in both fail when they drift)
openapi: frontend-deps
	$(CARGO) build -q -p atlas-ops
	mkdir -p openapi
	$(BIN) openapi --plane system > openapi/system-ops-runbooks.openapi.yaml
	$(BIN) openapi --plane admin > openapi/customer.openapi.yaml
	cd frontend && $(NPM) run --silent gen:api

clean:
	$(CARGO) clean
	rm -rf frontend/dist data
