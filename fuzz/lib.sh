# Shared helpers for the API fuzzing and generated-client tests (sourced, not executed).
#
#   fuzz_venv          create $FUZZ_VENV (default: .venv at the repo root) if missing and install
#                      fuzz/requirements.txt (idempotent)
#   fuzz_server_start  fresh PostgreSQL database + `atlas-ops serve --seed-demo` on a free port,
#                      waits for /readyz (30 s max), mints an operator token; exports
#                      FUZZ_BASE_URL, FUZZ_TOKEN, FUZZ_DB, FUZZ_LOG
#   fuzz_server_stop   stops the server and drops the database (install it as an EXIT trap)
#
# Expects target/debug/atlas-ops ($CARGO_TARGET_DIR/debug/atlas-ops when that is set) to be built
# already (the Makefile targets depend on `cargo build`).
# Environment knobs: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), FUZZ_BIN, FUZZ_VENV
# (another checkout's virtualenv, e.g. from a git worktree), FUZZ_PYTHON.

FUZZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_VENV="${FUZZ_VENV:-$FUZZ_ROOT/.venv}"
# The binary `cargo build` wrote: under CARGO_TARGET_DIR when that is set (as the Makefile's BIN).
FUZZ_BIN="${FUZZ_BIN:-${CARGO_TARGET_DIR:-$FUZZ_ROOT/target}/debug/atlas-ops}"
FUZZ_PG_HOST="${PGHOST:-127.0.0.1}"
FUZZ_PG_PORT="${PGPORT:-5432}"
FUZZ_PG_USER="${PGUSER:-postgres}"
FUZZ_SERVER_PID=""
FUZZ_DB=""
FUZZ_LOG=""
FUZZ_TMP=""

fuzz_log() { printf '[fuzz] %s\n' "$*" >&2; }
fuzz_die() { fuzz_log "ERROR: $*"; exit 1; }

fuzz_venv() {
  local req="$FUZZ_ROOT/fuzz/requirements.txt" stamp="$FUZZ_VENV/.fuzz-requirements.txt"
  if [ ! -x "$FUZZ_VENV/bin/python" ]; then
    fuzz_log "creating virtualenv $FUZZ_VENV"
    "${FUZZ_PYTHON:-python3}" -m venv "$FUZZ_VENV"
  fi
  # Reinstall only when requirements.txt changed since the last successful install.
  if ! cmp -s "$req" "$stamp"; then
    fuzz_log "installing $(grep -c '==' "$req") pinned packages into $FUZZ_VENV"
    "$FUZZ_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
  fi
}

fuzz_free_port() {
  "${FUZZ_PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

fuzz_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$FUZZ_PG_HOST" -p "$FUZZ_PG_PORT" -U "$FUZZ_PG_USER" -d postgres "$@"
}

# The server's environment (the CLI uses it too, so that it hits the same DB and JWT secret).
# The per-IP limiter keeps its defaults (API_RATE_PER_SECOND=50, API_RATE_BURST=200): its 429s
# are part of the contract, so the fuzzer meets them like any client and checks them.
fuzz_env_vars() {
  FUZZ_ENV=(
    DATABASE_URL="postgres://$FUZZ_PG_USER@$FUZZ_PG_HOST:$FUZZ_PG_PORT/$FUZZ_DB"
    APP_ENV=demo
    SESSION_SECRET="$FUZZ_SESSION_SECRET"
    JWT_SECRET="$FUZZ_JWT_SECRET"
    BIND="127.0.0.1:$FUZZ_PORT"
    WORKERS=2
    COOKIE_SECURE=false
    DEMO_PASSWORD=fuzz-console-password
    LOG_LEVEL="${FUZZ_LOG_LEVEL:-info}"
  )
}

fuzz_server_stop() {
  local rc=$?
  if [ -n "$FUZZ_SERVER_PID" ] && kill -0 "$FUZZ_SERVER_PID" 2>/dev/null; then
    kill -TERM "$FUZZ_SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$FUZZ_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$FUZZ_SERVER_PID" 2>/dev/null || true
    wait "$FUZZ_SERVER_PID" 2>/dev/null || true
  fi
  FUZZ_SERVER_PID=""
  if [ -n "$FUZZ_DB" ]; then
    fuzz_psql -c "DROP DATABASE IF EXISTS \"$FUZZ_DB\" WITH (FORCE)" >/dev/null 2>&1 \
      || fuzz_log "warning: could not drop database $FUZZ_DB"
    FUZZ_DB=""
  fi
  if [ -n "$FUZZ_TMP" ] && [ "${FUZZ_KEEP_TMP:-0}" != 1 ]; then rm -rf "$FUZZ_TMP"; fi
  return "$rc"
}

fuzz_server_start() {
  [ -x "$FUZZ_BIN" ] || fuzz_die "$FUZZ_BIN not found: run 'cargo build -p atlas-ops' first"
  command -v psql >/dev/null || fuzz_die "psql not found"
  FUZZ_TMP="$(mktemp -d "${TMPDIR:-/tmp}/atlas-fuzz.XXXXXX")"
  FUZZ_LOG="$FUZZ_TMP/server.log"
  FUZZ_DB="fuzz_$(date +%s)_$$_${RANDOM}"
  FUZZ_PORT="$(fuzz_free_port)"
  FUZZ_SESSION_SECRET="fuzz-session-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  FUZZ_JWT_SECRET="fuzz-jwt-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  fuzz_psql -c "CREATE DATABASE \"$FUZZ_DB\"" >/dev/null || fuzz_die "cannot create database $FUZZ_DB on $FUZZ_PG_HOST:$FUZZ_PG_PORT"

  fuzz_log "starting atlas-ops on 127.0.0.1:$FUZZ_PORT (database $FUZZ_DB, log $FUZZ_LOG)"
  # Run from the repo root so that STATIC_DIR's default (frontend/dist) resolves.
  fuzz_env_vars
  # `exec` so that the recorded pid is the server's own (the EXIT trap signals it).
  (cd "$FUZZ_ROOT" && exec env "${FUZZ_ENV[@]}" "$FUZZ_BIN" serve --seed-demo) >"$FUZZ_LOG" 2>&1 &
  FUZZ_SERVER_PID=$!
  FUZZ_BASE_URL="http://127.0.0.1:$FUZZ_PORT"

  local deadline=$((SECONDS + ${FUZZ_START_TIMEOUT:-30}))
  until curl -fsS -o /dev/null --max-time 2 "$FUZZ_BASE_URL/readyz" 2>/dev/null; do
    if ! kill -0 "$FUZZ_SERVER_PID" 2>/dev/null; then
      fuzz_log "server exited before becoming ready; last log lines:"
      tail -n 40 "$FUZZ_LOG" >&2
      fuzz_die "atlas-ops serve failed to start"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fuzz_log "server not ready after ${FUZZ_START_TIMEOUT:-30}s; last log lines:"
      tail -n 40 "$FUZZ_LOG" >&2
      fuzz_die "atlas-ops serve did not answer /readyz within ${FUZZ_START_TIMEOUT:-30}s"
    fi
    sleep 0.25
  done
  fuzz_log "server ready at $FUZZ_BASE_URL"

  echo "fuzz-operator-password" | env "${FUZZ_ENV[@]}" "$FUZZ_BIN" operator create fuzzer \
      --password-stdin --capabilities all >"$FUZZ_TMP/operator.log" 2>&1 \
    || { cat "$FUZZ_TMP/operator.log" >&2; fuzz_die "atlas-ops operator create failed"; }
  FUZZ_TOKEN="$(env "${FUZZ_ENV[@]}" "$FUZZ_BIN" token create --operator fuzzer --name fuzz \
      --expires-in-days 1 2>"$FUZZ_TMP/token.log")" \
    || { cat "$FUZZ_TMP/token.log" >&2; fuzz_die "atlas-ops token create failed"; }
  [ -n "$FUZZ_TOKEN" ] || fuzz_die "atlas-ops token create printed nothing"
  export FUZZ_BASE_URL FUZZ_TOKEN FUZZ_DB FUZZ_LOG FUZZ_PORT
}
