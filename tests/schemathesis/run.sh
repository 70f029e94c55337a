#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from the OpenAPI document of a
# real `comeback serve` and fails on any 5xx or any response that violates the document.
#
#   tests/schemathesis/run.sh [extra `schemathesis run` options, e.g.
#                             --max-examples 300 --seed 7]
#
# Strict: there is no list of known failures; every failure fails the run.
#
# 1. Creates the venv $SCHEMATHESIS_VENV (default .schemathesis-venv) from the pinned
#    requirements.txt, wheels only, when it is missing or the pins changed (~40 s).
# 2. Builds `comeback` (debug) unless COMEBACK_BIN names a binary, and starts
#    `comeback serve` on a fresh SQLite file in a temporary directory, on a free loopback
#    port, with cheap argon2 costs; then (step 2-4 again) on a fresh PostgreSQL database
#    when COMEBACK_TEST_POSTGRES_URL is set (created next to that URL's database with
#    psql, dropped afterwards).
# 3. bootstrap.py: first admin through the printed one-time set-up link, API token,
#    a few users, the transactions of data/CDNOW_sample.txt posted through the API.
# 4. `schemathesis run` of every operation in /api/openapi.json with the token, the
#    checks below, a bounded number of examples and a fixed seed; hooks.py keeps the run
#    from revoking its own token or resetting its own password.
# The exit code is non-zero when any backend's run fails; the server log is printed when
# something fails, and a last line counts passed and failed suites (JUnit) of all runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PYTHONDONTWRITEBYTECODE=1

venv="${SCHEMATHESIS_VENV:-$repo/.schemathesis-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/schemathesis" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "schemathesis: creating $venv" >&2
  start=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
    -r "$here/requirements.txt"
  echo "$want" >"$stamp"
  echo "schemathesis: venv ready in $((SECONDS - start)) s" >&2
fi

if [[ -z "${COMEBACK_BIN:-}" ]]; then
  (cd "$repo" && cargo build --quiet -p comeback)
  COMEBACK_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/comeback"
fi

work="$(mktemp -d)"
server_pid=""
pg_admin_url=""
pg_db=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [[ -n "$pg_db" ]]; then
    psql "$pg_admin_url" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# `--no-baseline` (from when known failures were listed) is accepted and ignored: the run
# is always strict.
if [[ "${1:-}" == "--no-baseline" ]]; then
  shift
fi

# run_backend NAME DATABASE_URL [schemathesis options...]: serve, bootstrap, fuzz; returns
# schemathesis's status.
run_backend() {
  local name="$1" url="$2"
  shift 2
  local log="$work/serve-$name.log"
  echo "schemathesis: comeback serve on $name" >&2
  # Port 0: the server picks a free port; the set-up link it prints names the bound address.
  COMEBACK_ARGON2_MEMORY_KIB=8 COMEBACK_ARGON2_ITERATIONS=1 COMEBACK_ARGON2_PARALLELISM=1 \
    NO_COLOR=1 \
    "$COMEBACK_BIN" serve --database-url "$url" --bind 127.0.0.1:0 \
    --insecure-cookie >"$log" 2>&1 &
  server_pid=$!
  show_log() {
    echo "---- comeback serve log on $name (last 200 lines) ----" >&2
    tail -n 200 "$log" >&2 || true
  }

  local link=""
  for _ in $(seq 1 300); do
    link="$(grep -oE 'http://127\.0\.0\.1:[0-9]+/setup\?token=[0-9a-f]{64}' "$log" | head -n1 || true)"
    [[ -n "$link" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "schemathesis: comeback serve exited before printing the set-up link" >&2
      show_log
      return 1
    fi
    sleep 0.1
  done
  if [[ -z "$link" ]]; then
    echo "schemathesis: no set-up link from comeback serve within 30 s" >&2
    show_log
    return 1
  fi
  local base="${link%%/setup*}"
  if ! "$venv/bin/python" "$here/bootstrap.py" "$base" "${link##*token=}" \
    "$repo/data/CDNOW_sample.txt" "$work/env-$name.sh"; then
    show_log
    return 1
  fi
  # shellcheck source=/dev/null
  source "$work/env-$name.sh"

  local status=0
  SCHEMATHESIS_HOOKS="$here/hooks.py" "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --header "Authorization: Bearer $COMEBACK_ST_TOKEN" \
    --checks all --exclude-checks positive_data_acceptance \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples 100 \
    --seed 20261130 \
    --workers 1 \
    --generation-database none \
    --no-color \
    --report junit --report-junit-path "$work/junit-$name.xml" \
    "$@" || status=$?
  if [[ $status -ne 0 ]]; then
    show_log
  fi
  stop_server
  return "$status"
}

status=0
backends=(sqlite)
run_backend sqlite "sqlite://$work/comeback.db" "$@" || status=1

if [[ -n "${COMEBACK_TEST_POSTGRES_URL:-}" ]]; then
  # A fresh database beside the one the URL names (which must allow CREATE DATABASE).
  pg_admin_url="$COMEBACK_TEST_POSTGRES_URL"
  pg_db="comeback_schemathesis_$$"
  psql "$pg_admin_url" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
  psql "$pg_admin_url" -qAtc "CREATE DATABASE $pg_db" >/dev/null
  pg_url="${pg_admin_url%%\?*}"
  query="${pg_admin_url#"$pg_url"}"
  backends+=(postgresql)
  run_backend postgresql "${pg_url%/*}/$pg_db$query" "$@" || status=1
fi

# One plain count line over all runs (API operations and the stateful suite, as in the
# JUnit reports; a run that failed before schemathesis reported counts as one failure).
"$venv/bin/python" - "$work" "${backends[@]}" <<'PY'
import os
import sys
import xml.etree.ElementTree as ET

ok = bad = 0
for name in sys.argv[2:]:
    path = os.path.join(sys.argv[1], f"junit-{name}.xml")
    if not os.path.exists(path):
        bad += 1
        continue
    s = ET.parse(path).getroot()
    b = int(s.get("failures", 0)) + int(s.get("errors", 0))
    bad += b
    ok += int(s.get("tests", 0)) - b - int(s.get("skipped", 0))
print(f"schemathesis: {ok} passed, {bad} failed")
PY
exit "$status"
