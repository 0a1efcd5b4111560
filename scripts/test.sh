#!/usr/bin/env bash
# Runs the whole test suite: sets up .venv if needed, installs the system packages the tests use, starts the private
# PostgreSQL/PostGIS server, runs pytest against SQLite and PostgreSQL. Extra arguments go to pytest.
# With CI=true a service that cannot be installed or started stops the run (and a test that needs it fails); on a
# user's machine the run goes on, those tests are skipped, and a warning says so at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ci() { case "${CI:-}" in ""|0|false|no) return 1 ;; *) return 0 ;; esac; }
warnings=()
bash scripts/setup.sh
rc=0
bash scripts/system-deps.sh test || rc=$?
if [ $rc -ne 0 ]; then
  if ci || [ $rc -ne 3 ]; then
    echo "ERROR: scripts/system-deps.sh failed (exit $rc): the packages the tests need are not installed" >&2
    exit 1
  fi
  warnings+=("system packages for the tests are missing (no root): PDF, Chromium and CJK-font tests are skipped")
fi
if url=$(bash scripts/postgres.sh start); then
  export BIGCATS_TEST_PG_URL="$url"
  echo "PostgreSQL for the tests: $url" >&2
elif ci; then
  echo "ERROR: PostgreSQL could not be installed or started (CI=true); see /tmp/bigcats-apt.log" >&2
  exit 1
else
  warnings+=("PostgreSQL could not be installed or started: its tests are skipped (see /tmp/bigcats-apt.log)")
fi
status=0
.venv/bin/python -m pytest -n 2 --dist loadfile "$@" || status=$?
for w in "${warnings[@]}"; do
  echo "WARNING: $w" >&2
done
if [ $status -eq 5 ]; then
  echo "ERROR: pytest collected no tests" >&2
fi
exit $status
