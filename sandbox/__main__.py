"""python -m sandbox: the whole story offline, in an embedded AWS emulator that enforces KMS key access.

  demo    deploy without the grant, verify (expects denied), deploy with it, verify (expects read);
          with --replicas REGION, a global table, told in every region; with --external-reader, a
          role of another account refused until its account attaches its policy, then reading; with
          --key-loss, a key administrator refused the key's deletion, break-glass allowed, the alarms
  serve   deploy, write the stack outputs, print the deployer's environment, stay up until interrupted
  plan    run the program under plain mocks and list what it would create (no emulator)

Secret outputs are never printed: the plan shows [secret], serve writes them only to the outputs file.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from access.arns import PRINCIPAL_KINDS, REGION_PATTERN
from access.errors import ConfigError
from sandbox.demo import describe_changes, run_demo, run_external_demo, run_key_loss_demo
from sandbox.emulator.account import REGION
from sandbox.emulator.server import Emulator
from sandbox.engine import NotModelledError, ResourceOperationError, Stack
from sandbox.harness import ProgramRun, deploy, run_program
from stack.config import GRANT_MODES
from stack.project import check_declared
from verify.__main__ import max_wait_seconds as seconds  # the same rule: finite, 0 or more

DEFAULT_OUTPUTS_FILE = "sandbox-outputs.json"


def _parse_config(pairs: list[str]) -> dict[str, Any]:
    """--config KEY=VALUE pairs, checked as the Pulumi CLI checks stack config: declared keys only."""
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError("--config", f"{pair!r} is not KEY=VALUE", "e.g. --config testPrincipal=user")
        config[key] = value
    check_declared(config)
    if "aws:region" in config:
        try:
            region_name(config["aws:region"])
        except argparse.ArgumentTypeError as error:
            raise ConfigError("aws:region", str(error), "e.g. us-east-1") from None
    return config


def _region(config: dict[str, Any]) -> str:
    return str(config.get("aws:region") or REGION)


def region_name(text: str) -> str:
    if REGION_PATTERN.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a region name, e.g. us-east-1")
    return text


def port(text: str) -> int:
    """A TCP port on 127.0.0.1: 0 (a free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 for a free one, up to 65535)")
    return value


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


def export_lines(environment: dict[str, str]) -> str:
    """Shell lines a user can eval; values quoted for POSIX shells."""
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in environment.items())


def check_outputs_path(path: Path) -> None:
    """Refuse an outputs file that cannot be written, before anything is deployed."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise ConfigError("--outputs-file", f"the folder {folder} does not exist", "a path in an existing folder")
    if path.is_dir():
        raise ConfigError("--outputs-file", f"{path} is a directory", "a file name")
    if not os.access(folder, os.W_OK):
        raise ConfigError("--outputs-file", f"the folder {folder} is not writable", "a writable folder")


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    """The outputs as `pulumi stack output --json --show-secrets` prints them; readable by the owner only,
    from the moment the file exists (it holds a secret access key with testPrincipal=user)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode on open: narrow it before writing
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(outputs, indent=2) + "\n")


def _serve(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    config = _parse_config(args.config)
    path = Path(args.outputs_file)
    check_outputs_path(path)
    with Emulator(region=_region(config), propagation_delay=args.propagation_delay, port=args.port) as emulator:
        deployment = deploy(Stack(emulator), config)
        for line in describe_changes(deployment.changes):
            print(line, file=sys.stderr)
        write_outputs(path, deployment.outputs)
        print(f"# stack outputs: {path.resolve()}", file=sys.stderr)
        print("# the deployer's environment (eval these lines, then use the AWS CLI or boto3):", file=sys.stderr)
        print(export_lines(emulator.environment()), flush=True)
        print("# serving until interrupted (Ctrl-C)", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="tell the whole story and verify both halves (exit 0 when both pass)")
    demo.add_argument("--principal", choices=PRINCIPAL_KINDS, default="role", help="kind of test principal")
    demo.add_argument("--grant-mode", choices=GRANT_MODES, default="grant", help="how it becomes a key user")
    demo.add_argument(
        "--propagation-delay",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="policy and grant changes wait this long",
    )

    demo.add_argument("--region", type=region_name, default=REGION, help="the emulator's region (default %(default)s)")
    demo.add_argument(
        "--replicas",
        type=region_name,
        action="append",
        default=[],
        metavar="REGION",
        help="a replica region: the table becomes a global table, told in every region (repeatable)",
    )

    demo.add_argument(
        "--external-reader",
        action="store_true",
        help="the reader is a role of another account: refused until its account attaches its policy, then reads",
    )

    demo.add_argument(
        "--key-loss",
        action="store_true",
        help="key-loss protection: an administrator refused the key's deletion, break-glass allowed, the alarms",
    )

    serve = commands.add_parser("serve", help="deploy, write the outputs, print the environment, stay up")
    serve.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="stack config (repeatable)")
    serve.add_argument("--outputs-file", default=DEFAULT_OUTPUTS_FILE, metavar="PATH")
    serve.add_argument("--port", type=port, default=0, help="port on 127.0.0.1 (default: a free one)")
    serve.add_argument("--propagation-delay", type=seconds, default=0.0, metavar="SECONDS")

    plan = commands.add_parser("plan", help="run the program under plain mocks and print the planned resources")
    plan.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="stack config (repeatable)")
    plan.add_argument("--stack", default="dev")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo" and args.key_loss:
            other_options = (args.external_reader, args.replicas, args.propagation_delay)
            if any(other_options) or args.principal != "role" or args.grant_mode != "grant":
                print("error: --key-loss takes only --region", file=sys.stderr)
                return 2
            return 0 if run_key_loss_demo(region=args.region).passed else 1
        if args.command == "demo" and args.external_reader:
            if args.replicas or args.principal != "role" or args.grant_mode != "grant" or args.propagation_delay:
                print("error: --external-reader takes only --region", file=sys.stderr)
                return 2
            return 0 if run_external_demo(region=args.region).passed else 1
        if args.command == "demo":
            result = run_demo(
                principal=args.principal,
                grant_mode=args.grant_mode,
                propagation_delay=args.propagation_delay,
                region=args.region,
                replicas=tuple(args.replicas),
            )
            return 0 if result.passed else 1
        if args.command == "serve":
            return _serve(args)
        print(render_plan(run_program(_parse_config(args.config), stack=args.stack)))
        return 0
    except (ConfigError, NotModelledError, ResourceOperationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
