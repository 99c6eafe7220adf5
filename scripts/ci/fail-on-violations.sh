#!/usr/bin/env bash
# Last step of the offline plan job: after every report is written and uploaded, fail the job when the
# head plan (PLAN_CODE) or its audit (AUDIT_CODE) found a mandatory policy violation (exit 2).
# Env: STACK, PLAN_CODE, AUDIT_CODE.
set -euo pipefail
if [ "${PLAN_CODE:-}" = 2 ] || [ "${AUDIT_CODE:-}" = 2 ]; then
    echo "::error::mandatory policy violations in the ${STACK:-?} plan (plan exit ${PLAN_CODE:-?}, audit exit ${AUDIT_CODE:-?}); see the audit in the job summary and the PR comment"
    exit 1
fi
echo "no mandatory policy violation in the ${STACK:-?} plan"
