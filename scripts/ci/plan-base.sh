#!/usr/bin/env bash
# Step "Plan the base" of the pull-request workflow (working directory: the base checkout).
# Writes $OUT/base.json: the base's offline plan of $STACK. `npm run plan` exits 2 when that plan has a
# mandatory policy violation: it is still a complete plan, so it is still the base. Only a base that
# does not plan at all (1: invalid config, e.g. a stack new in this pull request; 3: a crash) is
# replaced by an empty plan, and the diff then shows every resource as created.
# Env: STACK, OUT.
set -uo pipefail
: "${STACK:?}" "${OUT:?}"
mkdir -p "$OUT"
npm run plan -- --stack "$STACK" --format json --out "$OUT/base.json" 2> "$OUT/base-plan.log"
code=$?
cat "$OUT/base-plan.log" >&2
if [ "$code" -eq 2 ] && [ -s "$OUT/base.json" ]; then
    echo "::notice::the base plan of stack $STACK has mandatory policy violations; it is still the base of the diff"
elif [ "$code" -ne 0 ] || [ ! -s "$OUT/base.json" ]; then
    echo "::warning::the base does not plan stack $STACK (exit $code); the diff compares with an empty plan"
    printf '{"project":"scaling-topology","stack":"%s","mode":"update","resources":[],"outputs":{}}\n' "$STACK" > "$OUT/base.json"
fi
exit 0
