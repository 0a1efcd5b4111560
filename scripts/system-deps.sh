#!/usr/bin/env bash
# Debian packages that maps, reports and the browser tests need: a CJK font (Chinese labels render, never as
# empty boxes). Installs only what is missing; needs root or sudo. Safe to run again.
set -euo pipefail
LOG=/tmp/bigcats-apt.log
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
missing=()
for pkg in fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  { as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}"; } >>"$LOG" 2>&1 \
    || { echo "could not install ${missing[*]} (see $LOG); Chinese text will not render" >&2; exit 1; }
fi
