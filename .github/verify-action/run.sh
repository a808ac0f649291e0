#!/usr/bin/env bash
# Run the verifier in work-dir with the arguments inputs.py planned, and record its exit code and
# the reports it wrote as step outputs. Its verdict never fails this step: the summary and the
# SARIF upload come first, the Verdict step last.
set -euo pipefail
cd "$WORK_DIR"
# The role the action assumed (role-to-assume), for the verifier alone: the job's environment keeps the
# caller's credentials and region for the steps after the action. Without it, the job's own.
if [ -n "${ASSUMED_AWS_ACCESS_KEY_ID:-}" ]; then
  export AWS_ACCESS_KEY_ID="$ASSUMED_AWS_ACCESS_KEY_ID"
  export AWS_SECRET_ACCESS_KEY="$ASSUMED_AWS_SECRET_ACCESS_KEY"
  export AWS_SESSION_TOKEN="$ASSUMED_AWS_SESSION_TOKEN"
  export AWS_REGION="$ASSUMED_AWS_REGION" AWS_DEFAULT_REGION="$ASSUMED_AWS_REGION"
  unset AWS_PROFILE
fi
unset ASSUMED_AWS_ACCESS_KEY_ID ASSUMED_AWS_SECRET_ACCESS_KEY ASSUMED_AWS_SESSION_TOKEN ASSUMED_AWS_REGION
mapfile -t arguments <<<"$VERIFY_ARGUMENTS"
code=0
# The verifier's output quotes text that is not ours: the stack's outputs, a key policy's Sids, principals'
# names and paths, AWS's error messages. The runner acts on `::command::` at a line's start and on the
# legacy `##[command]` anywhere in a line (actions/runner, src/Runner.Common/ActionCommand.cs TryParse),
# so that text could forge annotations, mask words, or set the job's environment where
# ACTIONS_ALLOW_UNSECURE_COMMANDS is on. Commands stay stopped while the verifier runs, until a token it
# cannot know: `::stop-commands::<token>`, then `::<token>::`, the token random and new for each run
# (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands, "Stopping and
# starting workflow commands").
token="encrypted-dynamodb-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
echo "::stop-commands::$token"
# -P: a consumer's own verify/, stack/ or access/ folder in work-dir is not ours. Its standard error
# through standard output: the runner reads the two pipes apart, so a line the verifier wrote last on
# standard error could be read after the token on standard output, with commands on again.
PYTHONPATH="$GITHUB_ACTION_PATH" "$VERIFY_PYTHON" -P -m verify "${arguments[@]}" 2>&1 || code=$?
echo "::$token::"
written() {
  if [ -n "$2" ] && [ -f "$2" ]; then
    echo "$1=$2"
  else
    echo "$1="
  fi
}
{
  echo "exit-code=$code"
  written markdown-path "$MARKDOWN_PATH"
  written sarif-path "$SARIF_PATH"
  written junit-path "$JUNIT_PATH"
} >>"$GITHUB_OUTPUT"
