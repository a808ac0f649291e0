#!/usr/bin/env bash
# Run the verifier in work-dir with the arguments inputs.py planned, and record its exit code and
# the reports it wrote as step outputs. Its verdict never fails this step: the summary and the
# SARIF upload come first, the Verdict step last.
set -euo pipefail
cd "$WORK_DIR"
mapfile -t arguments <<<"$VERIFY_ARGUMENTS"
code=0
# -P: a consumer's own verify/, stack/ or access/ folder in work-dir is not ours.
PYTHONPATH="$GITHUB_ACTION_PATH" "$VERIFY_PYTHON" -P -m verify "${arguments[@]}" || code=$?
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
