#!/usr/bin/env bash
# The browser tests (tests/e2e/test_browser.py) drive the distribution's Chromium through
# Playwright: Playwright's own browser download is not available everywhere the tests run,
# the Debian package is. This installs it when it is missing and fails loudly when it cannot.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "ensure_chromium: chromium is not installed and installing it needs root (no sudo here)." >&2
    echo "ensure_chromium: install the 'chromium' package, then run the tests again." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: chromium is not installed and there is no apt-get to install it with." >&2
    echo "ensure_chromium: install Chromium so that 'chromium' is on PATH, then run the tests again." >&2
    exit 1
fi

echo "ensure_chromium: installing chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq || ! "${as_root[@]}" apt-get install -y -qq chromium >/dev/null; then
    echo "ensure_chromium: apt-get could not install chromium; the browser tests cannot run." >&2
    exit 1
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "ensure_chromium: chromium was installed but is not on PATH." >&2
    exit 1
fi
