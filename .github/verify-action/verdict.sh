#!/usr/bin/env bash
# The action's last step: fail it as the verifier's exit code says (verdict.py), now that the
# reports are out.
set -euo pipefail
PYTHONPATH="$GITHUB_ACTION_PATH" exec "$VERIFY_PYTHON" -P "$GITHUB_ACTION_PATH/.github/verify-action/verdict.py"
