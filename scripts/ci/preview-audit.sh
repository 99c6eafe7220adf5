#!/usr/bin/env bash
# Step "Audit the preview's policy events" (preview job): $OUT/preview-audit.md from the engine events,
# the preview's output and the audit on the summary page, `code=<exit>` of the audit to $GITHUB_OUTPUT.
# 2 (a mandatory violation) lets the artifact upload run, the last step fails the job; 1 (an event log
# that is no evidence the pack ran) or 3 fail this step.
# Env: STACK, OUT, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -uo pipefail
: "${STACK:?}" "${OUT:?}" "${GITHUB_OUTPUT:?}" "${GITHUB_STEP_SUMMARY:?}"
npm run audit -- --event-log "$OUT/events.json" --stack "$STACK" --format markdown --out "$OUT/preview-audit.md" 2> "$OUT/preview-audit.log"
code=$?
cat "$OUT/preview-audit.log" >&2
echo "code=$code" >> "$GITHUB_OUTPUT"
{
    echo "## pulumi preview of \`$STACK\`"; echo
    echo '<details><summary>preview --diff output</summary>'; echo; echo '```'
    tail -c 50000 "$OUT/preview.txt" 2>/dev/null; echo '```'; echo '</details>'; echo
    if [ -f "$OUT/preview-audit.md" ]; then cat "$OUT/preview-audit.md"; else echo '```'; cat "$OUT/preview-audit.log"; echo '```'; fi
} >> "$GITHUB_STEP_SUMMARY"
if [ ! -f "$OUT/preview-audit.md" ]; then
    { echo "## Policy audit of the preview: no report"; echo; echo '```'; cat "$OUT/preview-audit.log"; echo '```'; } > "$OUT/preview-audit.md"
fi
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi
exit 0
