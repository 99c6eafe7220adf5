#!/usr/bin/env bash
# Step "Plan the head and diff it against the base" of the pull-request workflow (working directory:
# the head checkout). Writes $OUT/plan.json, $OUT/diff.json and $OUT/diff.md, and `code=<exit>` of the
# plan to $GITHUB_OUTPUT. Exit 2 of `npm run plan` (a mandatory policy violation) is a complete plan:
# every report is still written, and the step succeeds so that the audit, the summary, the SARIF upload
# and the PR comment follow; the job fails at its last step. Any other failure (1: invalid config,
# 3: a crash) fails the step, with the plan's messages in $OUT/plan.log for the comment.
# Env: STACK, OUT, GITHUB_OUTPUT.
set -uo pipefail
: "${STACK:?}" "${OUT:?}" "${GITHUB_OUTPUT:?}"
mkdir -p "$OUT"
npm run plan -- --stack "$STACK" --format json --out "$OUT/plan.json" 2> "$OUT/plan.log"
code=$?
cat "$OUT/plan.log" >&2
echo "code=$code" >> "$GITHUB_OUTPUT"
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
    echo "::error::the head does not plan stack $STACK (exit $code); see $OUT/plan.log"
    rm -f "$OUT/plan.json"
    exit "$code"
fi
for format in json markdown; do
    ext=$([ "$format" = markdown ] && echo md || echo json)
    npm run plan -- --stack "$STACK" --diff "$OUT/base.json" --format "$format" --out "$OUT/diff.$ext"
    c=$?
    if [ "$c" -ne 0 ] && [ "$c" -ne 2 ]; then
        echo "::error::the diff of stack $STACK against the base failed (exit $c)"
        exit "$c"
    fi
done
exit 0
