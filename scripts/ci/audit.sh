#!/usr/bin/env bash
# Step "Audit the head plan with the policy pack" of the pull-request workflow (working directory: the
# head checkout). Writes $OUT/audit.sarif and $OUT/audit.md from $OUT/plan.json, and `code=<exit>` of
# the audit to $GITHUB_OUTPUT: 0 no mandatory violation, 2 a mandatory violation (the step succeeds, the
# job fails at its last step, after the reports are out); anything else fails the step.
# Env: STACK, OUT, GITHUB_OUTPUT.
set -uo pipefail
: "${STACK:?}" "${OUT:?}" "${GITHUB_OUTPUT:?}"
npm run audit -- --plan "$OUT/plan.json" --stack "$STACK" --format sarif --out "$OUT/audit.sarif"
code=$?
npm run audit -- --plan "$OUT/plan.json" --stack "$STACK" --format markdown --out "$OUT/audit.md"
md=$?
echo "code=$code" >> "$GITHUB_OUTPUT"
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi
if [ "$md" -ne "$code" ]; then
    echo "::error::the Markdown audit exited $md, the SARIF audit $code"
    exit 1
fi
exit 0
