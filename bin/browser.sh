#!/usr/bin/env bash
# The browser for the dashboard's browser tests (tests/dashboard/browser): Debian's Chromium, driven
# by Playwright's Python package (no browser download). Installed when missing and we may (root with
# apt-get); otherwise those tests are skipped loudly, and they fail under CI=true.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  printf '[setup] installing Chromium for the dashboard browser tests (Debian package)...'
  started=$(date +%s)
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
     || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; }; then
    echo " done in $(( $(date +%s) - started )) s"
  else
    echo " failed: the dashboard browser tests will be skipped (and fail under CI=true)" >&2
  fi
else
  echo "[setup] no /usr/bin/chromium and not root: the dashboard browser tests will be skipped (they fail under CI=true)" >&2
fi
