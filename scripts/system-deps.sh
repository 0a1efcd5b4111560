#!/usr/bin/env bash
# Debian packages that maps, reports and the browser tests need: a CJK font (Chinese text renders, never as
# empty boxes), Pango for WeasyPrint's PDFs, poppler-utils to look at PDF pages, and Debian's Chromium for the
# Playwright browser tests (no browser download). Installs only what is missing; needs root or sudo.
set -euo pipefail
LOG=/tmp/bigcats-apt.log
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
missing=()
for pkg in fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  { as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}"; } >>"$LOG" 2>&1 \
    || { echo "could not install ${missing[*]} (see $LOG); Chinese text will not render" >&2; exit 1; }
fi
