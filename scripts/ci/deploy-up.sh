#!/usr/bin/env bash
# Step "pulumi up with the policy pack" (deploy workflow): the stack's policy config in the engine's
# format, then `pulumi up` with the pack, its engine events in $OUT/events.json.
# Env: STACK, OUT, PULUMI_ORG, PULUMI_BACKEND_URL (optional).
set -euo pipefail
: "${STACK:?}" "${OUT:?}"
pulumi login ${PULUMI_BACKEND_URL:+"$PULUMI_BACKEND_URL"}
npm run audit -- --stack "$STACK" --pack-config --out "$OUT/policy-config.json"
pulumi up --yes --diff --non-interactive --stack "${PULUMI_ORG:+$PULUMI_ORG/}$STACK" \
    --policy-pack policies --policy-pack-config "$OUT/policy-config.json" \
    --event-log "$OUT/events.json"
