"""python -m verify: prove a deployment's encryption and key-user boundary from its stack outputs.

Exit codes (verify/findings.py): 0 every check passed (or was skipped), 1 a check failed,
2 the verification could not run (bad or missing outputs or arguments, no credentials,
unreachable endpoint, throttled, expired credentials, an internal error), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM, as `timeout`, `docker stop` and CI timeouts send).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import FrameType
from typing import NoReturn
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from access.arns import parse_table_arn
from access.kms_dynamodb import MANAGED_POLICY_MAX_CHARACTERS
from access.version import VERSION
from verify.audit.report import as_external_matrix, as_matrix, external_rows_as_json, rows_as_json
from verify.audit.run import AuditResult, run_audit
from verify.canary import Canary
from verify.external import CONSUMER_PROFILE_OPTION, consumer_profile, profiles_for
from verify.external_probe import consumers_for
from verify.failures import cannot_run_message
from verify.findings import (
    EXIT_CANNOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    Finding,
    Status,
    exit_code,
    printable,
)
from verify.inputs import CannotRunError, StackOutputs, parse_outputs
from verify.locate import located
from verify.outputs_file import read_outputs
from verify.permissions import (
    POLICY_FILE_PATTERN,
    attach_commands,
    managed_policy_documents,
    policy_file_name,
    policy_for,
)
from verify.report import as_json, as_junit, as_table
from verify.report_markdown import as_markdown
from verify.report_sarif import AUDIT_ONLY, CHECKS_ONLY, DEFAULT_SOURCE, as_sarif, automation_id, sarif_text
from verify.rules import COULD_NOT_VERIFY
from verify.run import CLIENT_CONFIG, Aws, refusals_seen, verify

VERSION_LINE = f"encrypted-dynamodb {VERSION}"


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every finally (the canary's delete) runs."""


def _terminate(_signal: int, _frame: FrameType | None) -> None:
    raise Terminated


def max_wait_seconds(text: str) -> float:
    """--max-wait: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds, 0 or more")
    return value


def endpoint_url(text: str) -> str:
    """--endpoint-url: an http(s) URL with a host, as botocore needs it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL, e.g. http://127.0.0.1:4566")
    return text


def consumer_profile_argument(text: str) -> tuple[str, str]:
    """--consumer-profile NAME=PROFILE, checked as verify.external.consumer_profile reads it."""
    try:
        return consumer_profile(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def sarif_source(text: str) -> str:
    """--sarif-source: the repository-relative file SARIF results point at. Code scanning matches a result's
    artifactLocation.uri against a file of the repository ("we recommend that this is a relative path from
    the root of the GitHub repository being analyzed", SARIF support for code scanning, physicalLocation), so
    an absolute path, a URI, or a path climbing out of the repository with `..` is refused."""
    posix = PurePosixPath(text.replace("\\", "/"))
    if not text.strip() or text != text.strip():
        problem = "is empty or has surrounding spaces"
    elif not posix.parts:  # "." or "./": the repository itself, no file
        problem = "names no file"
    elif posix.is_absolute() or PureWindowsPath(text).drive or ":" in posix.parts[0]:
        problem = "is absolute (or a URI)"
    elif ".." in posix.parts:
        problem = "climbs out of the repository with '..'"
    else:
        return posix.as_posix()
    raise argparse.ArgumentTypeError(
        f"{text!r} {problem}: give the file's path relative to the repository root, e.g. {DEFAULT_SOURCE}"
    )


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments are exit 2 with one line saying what is wrong, as every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CANNOT_RUN, f"verify: cannot run: {message} (see python -m verify --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m verify", description=(__doc__ or "").split("\n", 1)[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", help="read outputs with `pulumi stack output --json --show-secrets --stack NAME`")
    source.add_argument("--outputs", metavar="FILE", help="outputs JSON file, or - for standard input")
    parser.add_argument("--profile", help="AWS profile (default: the standard boto3 credential chain)")
    parser.add_argument(
        "--endpoint-url",
        type=endpoint_url,
        default=None,
        help="AWS-compatible endpoint, e.g. an emulator (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument(
        "--max-wait",
        type=max_wait_seconds,
        help="cap, in seconds, on waiting for IAM/KMS propagation and for the canary to reach each replica",
    )
    audit = parser.add_mutually_exclusive_group()
    audit.add_argument(
        "--audit",
        action="store_true",
        help="only the access audit: every principal of the account, both layers (default: after the checks, "
        "when the outputs declare the intended key users)",
    )
    audit.add_argument("--no-audit", action="store_true", help="skip the access audit")
    parser.add_argument(
        "--print-policy",
        action="store_true",
        help="print the IAM policy document the verifier needs for this stack (one customer managed policy), and exit",
    )
    parser.add_argument(
        "--policy-dir",
        metavar="DIR",
        help="write the verifier's rights for this stack as customer managed policies, DIR/verifier-policy-N.json "
        "(as many as IAM's size quota needs), print the AWS CLI commands that create and attach them, and exit",
    )
    parser.add_argument(
        CONSUMER_PROFILE_OPTION,
        metavar="NAME=PROFILE",
        action="append",
        type=consumer_profile_argument,
        default=[],
        help="probe as a declared external principal (NAME its ARN, or an account id for each of that account's) "
        "with this AWS profile; a role is assumed with it unless the profile already is that role (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON instead of a table")
    parser.add_argument("--junit-xml", metavar="PATH", help="also write the findings as JUnit XML")
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write a Markdown summary (checks, audit matrix), short enough for a GitHub job summary; "
        "written whatever the outcome",
    )
    parser.add_argument(
        "--sarif",
        metavar="PATH",
        help="also write the failures as SARIF 2.1.0 for GitHub code scanning; written whatever the outcome",
    )
    parser.add_argument(
        "--sarif-source",
        metavar="PATH",
        type=sarif_source,
        default=DEFAULT_SOURCE,
        help=f"the repository-relative file SARIF results point at (default: {DEFAULT_SOURCE})",
    )
    parser.add_argument("--version", action="version", version=VERSION_LINE)
    return parser


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.endpoint_url is None and os.environ.get("AWS_ENDPOINT_URL"):
            args.endpoint_url = endpoint_url(os.environ["AWS_ENDPOINT_URL"])
    except argparse.ArgumentTypeError as error:
        parser.error(f"AWS_ENDPOINT_URL: {error}")
    return args


def _report_paths(args: argparse.Namespace) -> dict[str, str]:
    """The report files asked for, by flag."""
    given = {"--junit-xml": args.junit_xml, "--markdown": args.markdown, "--sarif": args.sarif}
    return {flag: path for flag, path in given.items() if path is not None}


def _check_report_path(flag: str, path: str) -> None:
    """Refuse an unwritable report path before anything runs, not after every check passed."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise CannotRunError(f"{flag} {path}: the folder {folder} does not exist")
    if Path(path).is_dir():
        raise CannotRunError(f"{flag} {path}: is a directory; give a file name")
    if not os.access(folder, os.W_OK):
        raise CannotRunError(f"{flag} {path}: the folder {folder} is not writable")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomically(path: str, text: str) -> None:
    """Write a report whole or not at all: a temporary file in the same folder, renamed over the path (a
    reader, or a step that uploads it, never sees half a report)."""
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=target.resolve().parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        # As a plain write would leave it (mkstemp makes the file private): 0666 less the umask.
        Path(temporary).chmod(0o666 & ~_umask())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _canary_line(canaries: list[Canary]) -> str:
    left = [c for c in canaries if c.left_behind]
    if not left:
        return "the canary item was deleted, nothing of ours is left" if canaries else "no canary was written"
    canary = left[0]
    why = f" ({canary.removal_error})" if canary.removal_error else ""
    return (
        f"the canary item may still be in {canary.table_name}{why}, key {canary.key}; "
        f"delete it with: {canary.delete_command()}"
    )


def _printed_policy(want: StackOutputs, policy_dir: str | None) -> str:
    """--print-policy: the one document, as it always was; more than one needs --policy-dir. --policy-dir:
    each document in its file (older files of ours beyond them removed), and the commands that use them."""
    documents = managed_policy_documents(policy_for(want))
    if policy_dir is None:
        if len(documents) > 1:
            raise CannotRunError(
                f"the verifier's rights for this stack are {len(documents)} customer managed policies (IAM holds "
                f"at most {MANAGED_POLICY_MAX_CHARACTERS:,} characters in one): write them with --policy-dir DIR"
            )
        return json.dumps(documents[0], indent=2)
    folder = Path(policy_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            match = POLICY_FILE_PATTERN.fullmatch(old.name)
            if match and int(match["number"]) > len(documents):
                old.unlink()
        files = [folder / policy_file_name(number) for number in range(1, len(documents) + 1)]
        for path, document in zip(files, documents, strict=True):
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise CannotRunError(f"--policy-dir {policy_dir}: {error.strerror or error}") from None
    partition = parse_table_arn("table_arn", want.table_arn).partition
    commands = attach_commands(
        [str(path) for path in files], table_name=want.table_name, partition=partition, account_id=want.account_id
    )
    return "\n".join(commands)


def _subject(args: argparse.Namespace, want: StackOutputs | None) -> str:
    """What the reports are about: the stack when named, else the table (its region and account)."""
    if args.stack:
        return str(args.stack)
    if want is not None:
        return f"{want.table_name}@{want.region}.{want.account_id}"
    return "outputs"


def _part(args: argparse.Namespace, want: StackOutputs | None) -> str:
    """What part of the stack's whole run this one is (its SARIF category says so): all of it, the audit
    alone (--audit), or the checks alone (--no-audit on a stack whose outputs declare the intent the audit
    reads; without it the audit never runs for the stack, and a run without it is whole)."""
    if args.audit:
        return AUDIT_ONLY
    if args.no_audit and want is not None and want.intent.declared:
        return CHECKS_ONLY
    return ""


def _about(args: argparse.Namespace, want: StackOutputs | None) -> str:
    if want is None:
        return f"stack {args.stack}" if args.stack else ""
    stack = f"stack {args.stack}: " if args.stack else ""
    replicas = f", replicas in {', '.join(r.region for r in want.replicas)}" if want.replicas else ""
    return f"{stack}table {want.table_name} in {want.region} (account {want.account_id}){replicas}"


def _write_reports(
    args: argparse.Namespace,
    findings: list[Finding],
    want: StackOutputs | None,
    audited: AuditResult | None,
    code: int,
) -> int:
    """--junit-xml, --markdown and --sarif, whatever the outcome; each is tried (one that cannot be written
    costs no other); EXIT_CANNOT_RUN when one cannot be written."""
    if want is not None:
        findings = located(findings, want)
    reports: dict[str, str] = {}
    if args.junit_xml:
        reports["--junit-xml"] = as_junit(findings)
    if args.markdown:
        reports["--markdown"] = as_markdown(
            findings,
            principals=audited.rows if audited else None,
            replica_principals=audited.replica_rows if audited else None,
            external=audited.external if audited else None,
            primary_region=want.region if want else "",
            about=_about(args, want),
        )
    if args.sarif:
        sarif = as_sarif(
            findings,
            automation=automation_id(_subject(args, want), _part(args, want)),
            source_path=args.sarif_source,
            exit_code=code,
        )
        reports["--sarif"] = sarif_text(sarif)
    written = EXIT_OK
    for flag, text in reports.items():
        path = _report_paths(args)[flag]
        try:
            write_atomically(path, text)
        except OSError as error:
            print(f"verify: cannot write {flag} {path}: {error.strerror or error}", file=sys.stderr)
            written = EXIT_CANNOT_RUN
    return written


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parse(argv)
    except SystemExit as stop:  # argparse: usage on stderr (or --version, --help on stdout)
        return int(stop.code or 0)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        named: dict[Path, str] = {}
        for flag, path in _report_paths(args).items():
            _check_report_path(flag, path)
            # One file each: two reports at one path would be written one over the other.
            if (other := named.setdefault(Path(path).resolve(), flag)) != flag:
                raise CannotRunError(f"{other} and {flag} name the same file {path}: give each report its own")
    except CannotRunError as error:
        print(f"verify: cannot run: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN

    previous = signal.signal(signal.SIGTERM, _terminate)
    canaries: list[Canary] = []
    want: StackOutputs | None = None
    findings: list[Finding] = []
    audited: AuditResult | None = None
    stopped: tuple[int, str] | None = None  # (exit code, the one line) of a run that did not finish
    try:
        want = parse_outputs(read_outputs(outputs_file=args.outputs, stack=args.stack))
        profiles = profiles_for(args.consumer_profile, want.external)
        if args.print_policy or args.policy_dir:
            print(_printed_policy(want, args.policy_dir))
            return EXIT_OK
        session = boto3.session.Session(profile_name=args.profile, region_name=want.region)
        if session.get_credentials() is None:
            raise NoCredentialsError()
        aws = Aws(session, args.endpoint_url)
        consumers = consumers_for(profiles, want.external, args.endpoint_url, CLIENT_CONFIG)
        findings = (
            []
            if args.audit
            else verify(aws, want, max_wait=args.max_wait, progress=progress, canaries=canaries, consumers=consumers)
        )
        if args.audit or (want.intent.declared and not args.no_audit):
            progress("auditing who can reach the data, on every path, by IAM and by KMS")
            seen = refusals_seen(findings, want)
            audited = run_audit(aws, dataclasses.replace(want, intent=dataclasses.replace(want.intent, refused=seen)))
            findings += audited.findings
    except KeyboardInterrupt:
        stopped = (EXIT_INTERRUPTED, f"interrupted; {_canary_line(canaries)}")
    except Terminated:
        stopped = (EXIT_TERMINATED, f"terminated; {_canary_line(canaries)}")
    except (CannotRunError, BotoCoreError, ClientError) as error:
        stopped = (EXIT_CANNOT_RUN, f"cannot run: {cannot_run_message(error, args.endpoint_url)}")
    except Exception as error:
        # A bug, or an AWS answer no judge foresaw: nothing was proved. Python's own exit code for it would be
        # 1, "a check failed", which the action takes for a run that got to its end (and uploads its SARIF).
        traceback.print_exc()
        stopped = (EXIT_CANNOT_RUN, f"cannot run: internal error: {type(error).__name__}: {error} (please report it)")
    finally:
        signal.signal(signal.SIGTERM, previous)

    if stopped is not None:
        code, line = stopped
        print(f"verify: {line}", file=sys.stderr)
        # What there is: the checks that ran before it stopped (the audit may be what could not run), and the
        # run's one line as the could-not-verify finding.
        _write_reports(args, [*findings, Finding(COULD_NOT_VERIFY, Status.ERROR, line)], want, None, code)
        return code

    assert want is not None  # noqa: S101 (the run went to its end, so the outputs were read)
    if args.json:
        regional = {region: rows_as_json(rows) for region, rows in audited.replica_rows.items()} if audited else None
        external = external_rows_as_json(audited.external) if audited else None
        print(as_json(located(findings, want), rows_as_json(audited.rows) if audited else None, regional, external))
    else:
        print(as_table(findings))
        if audited is not None:
            print()
            if audited.replica_rows:
                print(f"{want.region} (primary):")
            # The audit's rows hold live text (a statement's Sid) as the findings do: keep it printable too.
            print(printable(as_matrix(audited.rows)))
            for region, rows in audited.replica_rows.items():
                print()
                print(f"{region} (replica):")
                print(printable(as_matrix(rows)))
            if audited.external:
                print()
                print("Principals of other accounts let in:")
                print(printable(as_external_matrix(audited.external)))
    code = exit_code(findings)
    if _write_reports(args, findings, want, audited, code) != EXIT_OK:
        return EXIT_CANNOT_RUN
    return code


if __name__ == "__main__":
    sys.exit(main())
