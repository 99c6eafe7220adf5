#!/usr/bin/env bash
# Writes the pull request comment (Markdown) to stdout from the downloaded artifacts in REPORTS
# (REPORTS/plan-<stack>/{diff.md,audit.md,plan.log}, REPORTS/preview-<stack>/preview-audit.md): per stack
# the diff and the audit, or why there is no diff (the plan's last messages). Capped below GitHub's
# 65,536 characters. Env: REPORTS, SHA, RUN_URL, STACKS (default "dev prod").
set -euo pipefail
: "${REPORTS:?}" "${RUN_URL:?}"
marker='<!-- scaling-topology:plan-diff -->'
body=$(mktemp)
{
    echo "$marker"
    echo "# Infrastructure review for ${SHA:0:7}"
    echo
    for stack in ${STACKS:-dev prod}; do
        d="$REPORTS/plan-$stack"
        if [ -f "$d/diff.md" ]; then
            cat "$d/diff.md"
        else
            echo "## \`$stack\`: no diff (the plan or its diff failed; see [the run]($RUN_URL))"
            if [ -f "$d/plan.log" ]; then echo; echo '```'; tail -n 20 "$d/plan.log"; echo '```'; fi
        fi
        echo
        if [ -f "$d/audit.md" ]; then
            echo "<details><summary>Policy audit of the $stack plan</summary>"; echo; cat "$d/audit.md"; echo; echo "</details>"; echo
        fi
        if [ -f "$REPORTS/preview-$stack/preview-audit.md" ]; then
            echo "<details><summary>Policy audit of the real pulumi preview of $stack</summary>"; echo; cat "$REPORTS/preview-$stack/preview-audit.md"; echo; echo "</details>"; echo
        fi
    done
    echo "[Workflow run]($RUN_URL) · how to read this: README, *Reviewing infrastructure diffs*"
} > "$body"
if [ "$(wc -c < "$body")" -gt 60000 ]; then
    head -c 59000 "$body"
    printf '\n\n... truncated: the full reports are in [the run](%s) (job summaries and artifacts).\n' "$RUN_URL"
else
    cat "$body"
fi
rm -f "$body"
