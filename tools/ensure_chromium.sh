#!/usr/bin/env bash
# The browser tests (tests/e2e/) drive the distribution's Chromium through Playwright:
# Playwright's own browser download is not available everywhere the tests run, the Debian
# package is. This installs it when it is missing and fails loudly when it cannot.
exec bash "$(dirname "$0")/ensure_command.sh" chromium chromium
