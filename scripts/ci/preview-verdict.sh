#!/usr/bin/env bash
# Last step of the preview job: fail on a failed preview or a mandatory violation in its events.
# Env: PREVIEW_CODE, AUDIT_CODE.
set -euo pipefail
if [ "${PREVIEW_CODE:-}" != 0 ] || [ "${AUDIT_CODE:-}" = 2 ]; then
    echo "::error::pulumi preview exited ${PREVIEW_CODE:-?}; the policy audit of its events exited ${AUDIT_CODE:-?}"
    exit 1
fi
