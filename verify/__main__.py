"""python -m verify: prove a deployment's encryption and key-user boundary from its stack outputs.

Exit codes: 0 every check passed (or was skipped), 1 a check failed,
2 the verification could not run (bad or missing outputs, no credentials,
unreachable endpoint, throttled, expired credentials), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from verify.failures import cannot_run_message
from verify.findings import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, exit_code
from verify.inputs import CannotRunError, parse_outputs, read_outputs
from verify.report import as_json, as_junit, as_table
from verify.run import Aws, verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.split("\n", 1)[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", help="read outputs with `pulumi stack output --json --show-secrets --stack NAME`")
    source.add_argument("--outputs", metavar="FILE", help="outputs JSON file, or - for standard input")
    parser.add_argument("--profile", help="AWS profile (default: the standard boto3 credential chain)")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS-compatible endpoint, e.g. an emulator (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--max-wait", type=float, help="cap, in seconds, on waiting for IAM/KMS propagation")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON instead of a table")
    parser.add_argument("--junit-xml", metavar="PATH", help="also write the findings as JUnit XML")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        want = parse_outputs(read_outputs(outputs_file=args.outputs, stack=args.stack))
        session = boto3.session.Session(profile_name=args.profile, region_name=want.region)
        if session.get_credentials() is None:
            raise NoCredentialsError()
        findings = verify(Aws(session, args.endpoint_url), want, max_wait=args.max_wait, progress=progress)
    except KeyboardInterrupt:
        # canary_item deletes the canary on the way out; a failure to do so is raised, not hidden.
        print("verify: interrupted; the canary item was deleted, nothing of ours is left", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CannotRunError, BotoCoreError, ClientError) as error:
        print(f"verify: cannot run: {cannot_run_message(error, args.endpoint_url)}", file=sys.stderr)
        return EXIT_CANNOT_RUN

    print(as_json(findings) if args.json else as_table(findings))
    if args.junit_xml:
        with open(args.junit_xml, "w", encoding="utf-8") as handle:
            handle.write(as_junit(findings))
    return exit_code(findings)


if __name__ == "__main__":
    sys.exit(main())
