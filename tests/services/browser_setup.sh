#!/usr/bin/env bash
# Installs Debian's chromium for the web app's browser tests (Playwright drives it through
# executable_path; no browser is ever downloaded). Idempotent; needs root, as CI and developers have.
set -euo pipefail
if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "chromium ready for the browser tests: $(chromium --version 2>/dev/null || echo unknown version)"
