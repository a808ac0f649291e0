"""The action's last step: pass or fail as the verifier's exit code says, once every report is out.

Run by verdict.sh with the verifier's venv and this action's checkout on PYTHONPATH, so the exit
codes are verify/findings.py's own. Exit 1 (a check failed, the audit found something) fails the
step when fail-on-findings is true and is a warning otherwise; anything but 0 and 1 means the
verification could not run, or was stopped, and always fails it.
"""

from __future__ import annotations

import os
import sys

from verify.findings import EXIT_FAILED, EXIT_OK

TITLE = "encrypted-dynamodb verify"


def verdict(exit_code: str, fail_on_findings: bool) -> tuple[int, str]:
    """(this step's exit code, the line it prints: a workflow command for GitHub's annotations)."""
    try:
        code = int(exit_code)
    except ValueError:
        return 1, f"::error title={TITLE}::the Verify step recorded no exit code ({exit_code!r})"
    if code == EXIT_OK:
        return 0, "verify: every check passed"
    if code == EXIT_FAILED:
        seen = "a check failed or the audit found something (exit 1): see the job summary and the verifier's log"
        if fail_on_findings:
            return 1, f"::error title={TITLE}::{seen}"
        return 0, f"::warning title={TITLE}::{seen}; not failing, fail-on-findings is false"
    return 1, f"::error title={TITLE}::the verification could not run (exit {code}): the Verify step's log says why"


def main() -> int:
    code, line = verdict(os.environ.get("EXIT_CODE", ""), os.environ.get("FAIL_ON_FINDINGS") == "true")
    print(line)
    return code


if __name__ == "__main__":
    sys.exit(main())
