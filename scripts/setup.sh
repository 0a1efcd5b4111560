#!/usr/bin/env bash
# Sets bigcats up in ./.venv on a fresh machine (Python 3.11+). Safe to run again: it only adds what is missing.
#   - always (no root needed): a virtual environment with bigcats and its Python dependencies from PyPI, the fonts
#     included (Noto Sans CJK for Chinese comes as the PyPI package noto-cjk-sans-otc);
#   - as root, or with password-less sudo: the Pango library from Debian for PDF reports (scripts/system-deps.sh
#     main). Without root the main job still runs and writes its reports as HTML, saying so once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "bigcats needs Python 3.11 or newer")'
is_root() { [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; }
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/tmp/bigcats-venv-$$.log; then
    rm -rf .venv
    # Debian and Ubuntu ship venv's pip bootstrap separately (python3-venv)
    ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if is_root && command -v apt-get >/dev/null; then
      echo "setup: installing python$ver-venv (Debian) to make the virtual environment" >&2
      as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
      as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" -qq update >/dev/null
      as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" -qq -y install "python$ver-venv" >/dev/null
      "$PY" -m venv .venv
    else
      cat /tmp/bigcats-venv-$$.log >&2
      echo "setup: $PY cannot make a virtual environment; install python$ver-venv (Debian/Ubuntu) or use another" \
           "Python 3.11+ with PYTHON=/path/to/python3 bash scripts/setup.sh" >&2
      exit 1
    fi
  fi
  rm -f /tmp/bigcats-venv-$$.log
fi
stamp=.venv/.bigcats-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing bigcats and its Python dependencies into .venv (a few minutes the first time)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
rc=0
bash scripts/system-deps.sh main || rc=$?
case $rc in
  0) ;;
  3) echo "setup: no root: PDF reports need Pango (as root: apt-get install libpango-1.0-0 libpangoft2-1.0-0);" \
          "until then bigcats writes reports as HTML" >&2 ;;
  *) echo "setup: WARNING: Pango for PDF reports could not be installed (above); reports will be HTML only" >&2 ;;
esac
echo "bigcats is installed in .venv (run .venv/bin/bigcats --help)" >&2
