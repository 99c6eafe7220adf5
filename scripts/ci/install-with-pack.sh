#!/usr/bin/env bash
# Installs the program and the policy pack (policies/ has its own package.json) for a real preview or up.
# Env: OUT.
set -euo pipefail
: "${OUT:?}"
npm ci --no-audit --no-fund
if [ -f policies/package-lock.json ]; then
    npm ci --no-audit --no-fund --prefix policies
else
    npm install --no-audit --no-fund --prefix policies
fi
mkdir -p "$OUT"
