"""`python -m sandbox plan`: run the stack program under mocks and show what it would create.

Until the local emulator lands this is what `make demo` runs: no AWS account and
no Pulumi CLI needed. Secret outputs are shown as [secret], never their values.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components import ConfigError
from sandbox.program import ProgramRun, run_program


def _parse_config(pairs: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--config expects key=value, got {pair!r}")
        config[key] = value
    return config


def render_plan(run: ProgramRun) -> str:
    lines = ["Planned resources (type, name, parent):"]
    for resource in run.mocks.resources:
        parent = resource.parent.rsplit("::", 1)[-1] if resource.parent else "-"
        lines.append(f"  + {resource.typ:<55} {resource.name:<32} {parent}")
    lines.append("")
    lines.append("Outputs:")
    for key, value in run.outputs.items():
        shown = "[secret]" if key in run.secret_outputs else json.dumps(value)
        lines.append(f"  {key:<30} {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="run the program under mocks and print the planned resources and outputs")
    plan.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="stack config (repeatable)")
    plan.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)

    try:
        run = run_program(_parse_config(args.config), stack=args.stack)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_plan(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
