#!/usr/bin/env bash
# Check the inputs and plan the run (inputs.py): before anything is installed. PYTHONSAFEPATH
# rather than -P, so that a Python older than 3.11 still starts and is refused by name.
set -euo pipefail
PYTHONPATH="$GITHUB_ACTION_PATH" PYTHONSAFEPATH=1 exec "$PYTHON" "$GITHUB_ACTION_PATH/.github/verify-action/inputs.py"
