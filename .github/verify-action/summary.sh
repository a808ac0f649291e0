#!/usr/bin/env bash
# The Markdown report into the job summary. GitHub drops a step's summary larger than 1 MiB whole
# ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k"; GitHub docs,
# workflow commands, "Step isolation and limits": each step is restricted to 1 MiB); a report that
# large is left as a file and the summary says where.
set -euo pipefail
limit=$((1024 * 1024))
size=$(wc -c <"$MARKDOWN_PATH")
if [ "$size" -le "$limit" ]; then
  cat "$MARKDOWN_PATH" >>"$GITHUB_STEP_SUMMARY"
else
  message="The verification report is $size bytes, over the job summary's $limit: see the markdown-path output ($MARKDOWN_PATH)."
  echo "::warning title=encrypted-dynamodb::$message"
  echo "$message" >>"$GITHUB_STEP_SUMMARY"
fi
