#!/usr/bin/env bash
# Step "Audit the update's policy events" (deploy workflow): the audit of $OUT/events.json on the summary
# page. The step fails when the audit does (1: the log is no evidence that the pack ran; 2: a mandatory
# violation; 3: a crash), after the summary is written.
# Env: STACK, OUT, GITHUB_STEP_SUMMARY.
set -uo pipefail
: "${STACK:?}" "${OUT:?}" "${GITHUB_STEP_SUMMARY:?}"
npm run audit -- --event-log "$OUT/events.json" --stack "$STACK" --format markdown --out "$OUT/audit.md" 2> "$OUT/audit.log"
code=$?
cat "$OUT/audit.log" >&2
if [ -f "$OUT/audit.md" ]; then
    cat "$OUT/audit.md" >> "$GITHUB_STEP_SUMMARY"
else
    { echo "## Policy audit of the \`$STACK\` update: no report"; echo; echo '```'; cat "$OUT/audit.log"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
fi
exit "$code"
