#!/usr/bin/env bash
# Debian packages bigcats uses beyond Python's. Usage: scripts/system-deps.sh [main|test]
#   main: what the main job (bigcats demo) needs for PDF reports: Pango for WeasyPrint. Fonts need no system
#         package: Noto Sans CJK comes from PyPI (noto-cjk-sans-otc) and DejaVu with matplotlib.
#   test: main + what the test suite needs: poppler-utils (look at PDF pages), Debian's Chromium for the Playwright
#         browser tests (no browser download), and a CJK font for Chinese pages in the browser.
# Installs only what is missing, as root or through sudo without a password. Waits (bounded: BIGCATS_APT_WAIT
# seconds, default 600) for another apt/dpkg run to release its lock instead of failing at once.
# Exit status: 0 all there; 1 an install failed (see the log); 3 packages are missing and there is no root or sudo.
set -euo pipefail
what=${1:-test}
LOG=${BIGCATS_APT_LOG:-/tmp/bigcats-apt-$(id -u).log}
WAIT=${BIGCATS_APT_WAIT:-600}
main_pkgs=(libpango-1.0-0 libpangoft2-1.0-0)
test_pkgs=(poppler-utils chromium fonts-noto-cjk)
case "$what" in
  main) wanted=("${main_pkgs[@]}") ;;
  test) wanted=("${main_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [main|test]" >&2; exit 2 ;;
esac

missing=()
if command -v dpkg >/dev/null; then
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
else
  echo "system-deps: not a Debian/Ubuntu system (no dpkg); install the equivalents of ${wanted[*]} yourself" >&2
  exit 3
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root() { sudo -n "$@"; }
else
  echo "system-deps: ${missing[*]} missing and no root or password-less sudo to install them" >&2
  exit 3
fi

# apt's own lock wait covers dpkg's frontend lock; `apt-get update` takes the lists lock, so retry it until WAIT.
export DEBIAN_FRONTEND=noninteractive
apt_get() { as_root apt-get -o DPkg::Lock::Timeout="$WAIT" -q -y "$@"; }
deadline=$((SECONDS + WAIT))
echo "system-deps: installing ${missing[*]} (log: $LOG)" >&2
until apt_get update >>"$LOG" 2>&1; do
  if [ $SECONDS -ge $deadline ]; then
    echo "system-deps: apt-get update failed for ${WAIT}s (another install holding the lock, or no network); see $LOG" >&2
    tail -5 "$LOG" >&2
    exit 1
  fi
  echo "system-deps: apt is busy or failed; retrying in 10 s (until ${WAIT}s)" >&2
  sleep 10
done
if ! apt_get install "${missing[@]}" >>"$LOG" 2>&1; then
  echo "system-deps: could not install ${missing[*]}; see $LOG" >&2
  tail -5 "$LOG" >&2
  exit 1
fi
