#!/usr/bin/env bash
# Step "Job summary": the diff and the audit (whichever exist) on the run's summary page.
# Env: OUT, GITHUB_STEP_SUMMARY.
set -euo pipefail
: "${OUT:?}" "${GITHUB_STEP_SUMMARY:?}"
for f in diff.md audit.md; do
    if [ -f "$OUT/$f" ]; then
        cat "$OUT/$f" >> "$GITHUB_STEP_SUMMARY"
        echo >> "$GITHUB_STEP_SUMMARY"
    fi
done
if [ ! -f "$OUT/diff.md" ] && [ -f "$OUT/plan.log" ]; then
    { echo "## \`${STACK:-?}\`: no diff, the plan or its diff failed"; echo; echo '```'; tail -n 40 "$OUT/plan.log"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
fi
