#!/usr/bin/env bash
# Runs the whole test suite: sets up .venv if needed, starts the private PostgreSQL/PostGIS server, runs pytest
# against SQLite and PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
if url=$(bash scripts/postgres.sh start); then
  export BIGCATS_TEST_PG_URL="$url"
  echo "PostgreSQL for the tests: $url" >&2
else
  echo "WARNING: PostgreSQL could not be started; its tests will be reported as skipped." >&2
fi
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
