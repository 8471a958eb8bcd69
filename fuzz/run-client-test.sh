#!/usr/bin/env bash
# Generated-client test (docs/spec.md §6, issue 7): generates a Python client from the COMMITTED contract
# openapi/system-ops-runbooks.openapi.yaml with openapi-python-client (into a temp dir, at test
# time) and drives the whole flow with it against a live atlas-ops on a fresh PostgreSQL database:
# token auth, runbooks, tenants, preflight, start, poll to completion (fuzz/client/test_flow.py).
#
#   fuzz/run-client-test.sh [extra pytest args...]
#
# Needs target/debug/atlas-ops (built by `make client-test`), psql and PostgreSQL at 127.0.0.1:5432.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONTRACT="${FUZZ_CONTRACT:-$FUZZ_ROOT/openapi/system-ops-runbooks.openapi.yaml}"
[ -f "$CONTRACT" ] || fuzz_die "the committed contract $CONTRACT does not exist (run 'make openapi')"

fuzz_venv
trap fuzz_server_stop EXIT
fuzz_server_start

fuzz_log "running the generated-client test against $FUZZ_BASE_URL (server log: $FUZZ_LOG)"
cd "$FUZZ_ROOT"
# No bytecode or pytest cache in the tree; the trap prints nothing, so pytest's summary is last.
FUZZ_CONTRACT="$CONTRACT" FUZZ_CLIENT_DIR="$FUZZ_TMP/client" PYTHONDONTWRITEBYTECODE=1 \
  "$FUZZ_VENV/bin/python" -m pytest -p no:cacheprovider -q -rA fuzz/client "$@"
