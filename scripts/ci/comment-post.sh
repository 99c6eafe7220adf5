#!/usr/bin/env bash
# Step "Create or update the comment": writes the body (comment-body.sh, next to this script) and posts
# it on the pull request, replacing the previous one (found by its marker).
# Env: GH_TOKEN, REPO, PR, SHA, RUN_URL, REPORTS (default: reports).
set -euo pipefail
: "${REPO:?}" "${PR:?}"
export REPORTS="${REPORTS:-reports}"
marker='<!-- scaling-topology:plan-diff -->'
bash "$(dirname "$0")/comment-body.sh" > body.md
id=$(gh api --paginate "repos/$REPO/issues/$PR/comments" --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | tail -n 1)
if [ -n "$id" ]; then
    gh api -X PATCH "repos/$REPO/issues/comments/$id" -F body=@body.md > /dev/null
else
    gh api -X POST "repos/$REPO/issues/$PR/comments" -F body=@body.md > /dev/null
fi
