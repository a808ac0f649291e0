#!/usr/bin/env bash
# The verifier's venv: verify/requirements.txt (boto3) from this action's checkout, never Pulumi.
# pip caches its downloads in PIP_CACHE_DIR (the folder actions/cache restores and saves). A second
# run of the action in the same job reuses the venv its requirements built.
set -euo pipefail
requirements="$GITHUB_ACTION_PATH/verify/requirements.txt"
stamp="$VENV/.installed-requirements"
# -I (isolated: -P, and no PYTHON* variable, no user site) on every `python -m`: the step runs in the
# workspace, maybe with a PYTHONPATH of the job's, and otherwise a `venv.py` or `pip/` of the
# consumer's checkout would run in place of the standard library's venv and the venv's pip.
if ! cmp -s "$requirements" "$stamp"; then
  rm -rf "$VENV"
  "$PYTHON" -I -m venv "$VENV"
  "$VENV/bin/python" -I -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
# -P: only this action's checkout and the venv are on the path, not the working directory.
version=$(PYTHONPATH="$GITHUB_ACTION_PATH" "$VENV/bin/python" -P -m verify --version)
echo "$version"
{
  echo "python=$VENV/bin/python"
  echo "version=${version##* }"
} >>"$GITHUB_OUTPUT"
