#!/usr/bin/env bash
# Step "pulumi preview --diff with the policy pack" (preview job): the stack's policy config in the
# engine's format, then a real preview with the pack, its engine events in $OUT/events.json and its
# output in $OUT/preview.txt; `code=<exit>` of the preview to $GITHUB_OUTPUT (the job's last step fails on it).
# Env: STACK, OUT, GITHUB_OUTPUT, PULUMI_ORG, PULUMI_BACKEND_URL (optional).
set -uo pipefail
: "${STACK:?}" "${OUT:?}" "${GITHUB_OUTPUT:?}"
set -e
pulumi login ${PULUMI_BACKEND_URL:+"$PULUMI_BACKEND_URL"}
npm run audit -- --stack "$STACK" --pack-config --out "$OUT/policy-config.json"
set +e
pulumi preview --diff --non-interactive --stack "${PULUMI_ORG:+$PULUMI_ORG/}$STACK" \
    --policy-pack policies --policy-pack-config "$OUT/policy-config.json" \
    --event-log "$OUT/events.json" 2>&1 | tee "$OUT/preview.txt"
code=${PIPESTATUS[0]}
echo "code=$code" >> "$GITHUB_OUTPUT"
exit 0
