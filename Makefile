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
        test-frontend test-e2e test-reliability lint fmt openapi client bench e2e clean fuzz client-test \
        lint-contract lint-docs

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

## test: the contract and docs linters, frontend unit tests, the browser e2e, API fuzzing + generated-client test, then every Rust test (unit + black-box on SQLite and PostgreSQL)
test: lint-contract lint-docs test-frontend test-e2e fuzz client-test test-reliability
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
	$(CARGO) bench -p atlas-ops-tests --bench control

# The linters below run from frontend/node_modules (pinned in package.json, installed by
# `npm ci`) and never touch the network: Redocly's telemetry is off (here and in redocly.yaml)
# and its update check suppressed; Spectral's `spectral:oas` and remark's link check are local.
LINT_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
NODE_BIN := frontend/node_modules/.bin

## lint-contract: both committed OpenAPI documents through Redocly CLI (recommended-strict:
## every warning an error; redocly.yaml) and Spectral (spectral:oas, failing on warnings;
## .spectral.yaml); an exception is a rule turned off there with its reason
lint-contract: frontend-deps
	$(LINT_ENV) $(NODE_BIN)/redocly lint --config redocly.yaml --format stylish
	$(LINT_ENV) $(NODE_BIN)/spectral lint --ruleset .spectral.yaml --fail-severity warn \
		openapi/system-ops-runbooks.openapi.yaml openapi/customer.openapi.yaml

## lint-docs: every tracked Markdown file's relative links and #anchors resolve (files and
## headings in this repository; http(s) links are not fetched)
lint-docs: frontend-deps
	cd frontend && node_modules/.bin/remark --no-config --no-stdout --no-color --frail --quiet \
		--use remark-validate-links=repository:false \
		$$(cd .. && git ls-files -- '*.md' | sed 's|^|../|')

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
