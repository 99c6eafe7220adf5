#!/usr/bin/env bash
# Step "Install" of the offline plan job: dependencies of the base and the head checkouts.
# Env: OUT.
set -euo pipefail
: "${OUT:?}"
npm ci --no-audit --no-fund --prefix base
npm ci --no-audit --no-fund --prefix head
mkdir -p "$OUT"
