"""The embedded AWS emulator: moto's app on 127.0.0.1, behind the KMS enforcement middleware, with auth on.

Every caller needs credentials the emulator issued: the deployer's (an IAM user
with an administrator policy, created here) or those the program creates (the
test principal's access key, or an assumed role's session).

Several accounts (issue 19): the deployer's (ACCOUNT_ID) and, by default, the consumer's
(CONSUMER_ACCOUNT_ID), each seeded alike (an administrator user with an access key, the
managed policies); the consumer's also holds the role CONSUMER_ROLE_NAME, which only its own
account may assume and which has no policy. Each other account's administrator is a named
profile (`session(profile)`, and the shared credentials and config files `environment()`
points at, for the AWS CLI and the verifier in a subprocess).

One of the modules that touch moto (sandbox/emulator/__init__.py lists them) (5.2.x, pinned): it runs moto's WSGI app,
resets moto's state on start and stop, and seeds the account (the deployer, the
managed policies a DynamoDB/KMS user attaches) directly in moto's IAM backend.
moto keeps its state in module globals, so one Emulator runs per process at a time.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.emulator.account import (
    ACCOUNT_ID,
    CONSUMER_ACCOUNT_ID,
    CONSUMER_PROFILE,
    CONSUMER_ROLE_NAME,
    PARTITION,
    REGION,
)
from sandbox.emulator.decisions import Authority
from sandbox.emulator.faults import FaultInjector
from sandbox.emulator.middleware import KmsEnforcement
from sandbox.emulator.patches import MotoPatches
from sandbox.emulator.replicas import Replication

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sts import STSClient

Service = Literal["dynamodb", "iam", "kms", "sts"]
# Served for the key-loss alarms and provisioned global tables; no type stubs are installed for them.
UntypedService = Literal["events", "sns", "application-autoscaling"]
DEPLOYER_NAME = "sandbox-deployer"
# Each other account's administrator user (its credentials are the account's profile).
ADMINISTRATOR_NAME = "sandbox-administrator"
# The profiles of the accounts besides the deployer's, by profile name: the consumer's by default.
DEFAULT_PROFILES: Mapping[str, str] = {CONSUMER_PROFILE: CONSUMER_ACCOUNT_ID}
ADMINISTRATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "SandboxAdministrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# moto can load all ~1,500 AWS managed policies, but does so for every partition
# on an account's first request (about a second). The sandbox installs the ones a
# DynamoDB/KMS user attaches; attaching any other fails with NoSuchEntity.
MANAGED_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess")
MANAGED_POLICY_MARKERS = ("DynamoDB", "KMS")
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})


class EmulatorNotRunningError(RuntimeError):
    """The emulator was asked for its endpoint, credentials or clients before start() or after stop()."""


class UnknownProfileError(ValueError):
    """A profile the emulator does not hold."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)


@functools.cache
def _managed_policy_data() -> dict[str, Any]:
    data = json.loads(aws_managed_policies_data)
    return {
        name: spec
        for name, spec in data.items()
        if name in MANAGED_POLICY_NAMES or any(marker in name for marker in MANAGED_POLICY_MARKERS)
    }


def _install_managed_policies(account_id: str) -> None:
    iam = iam_backends[account_id]["global"]
    for name, spec in _managed_policy_data().items():
        policy = AWSManagedPolicy.from_data(name, account_id, iam.region_name, spec)
        iam.aws_managed_policies.append(policy)
        iam.managed_policies[policy.arn] = policy


def _create_administrator(account_id: str, region: str, user_name: str) -> Credentials:
    """An account seeded as AWS hands one over: the managed policies, and an administrator with an access key."""
    _install_managed_policies(account_id)
    iam = iam_backends[account_id]["global"]
    iam.create_user(region, user_name)
    iam.put_user_policy(user_name, "administrator", json.dumps(ADMINISTRATOR_POLICY))
    key = iam.create_access_key(user_name)
    return Credentials(key.access_key_id, key.secret_access_key)


def own_account_trust_policy(account_id: str) -> dict[str, Any]:
    """A trust policy that lets the account's own principals (those its identity policies allow) assume a role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{PARTITION}:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def _create_consumer_role() -> None:
    """The consumer account's reader role: assumable by its own account only, with no policy of its own."""
    iam_backends[CONSUMER_ACCOUNT_ID]["global"].create_role(
        CONSUMER_ROLE_NAME,
        json.dumps(own_account_trust_policy(CONSUMER_ACCOUNT_ID)),
        "/",
        None,
        "The consumer account's reader of another account's tables (sandbox)",
        [],
        None,
    )


def _write_profiles(directory: Path, endpoint_url: str, region: str, profiles: Mapping[str, Credentials]) -> None:
    """The shared credentials and config files holding each profile, as the AWS CLI and boto3 read them."""
    credentials = "".join(
        f"[{name}]\naws_access_key_id = {c.access_key_id}\naws_secret_access_key = {c.secret_access_key}\n\n"
        for name, c in profiles.items()
    )
    config = "".join(f"[profile {name}]\nregion = {region}\nendpoint_url = {endpoint_url}\n\n" for name in profiles)
    (directory / "credentials").write_text(credentials)
    (directory / "config").write_text(config)
    (directory / "credentials").chmod(0o600)


class _QuietRequestHandler(MotoRequestHandler):
    """No access log on the terminal: the demo prints its own story."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class _Running:
    server: BaseWSGIServer
    thread: threading.Thread
    deployer: Credentials
    authority: Authority
    faults: FaultInjector
    patches: MotoPatches
    profiles: Mapping[str, Credentials]  # each other account's administrator, by profile name
    profile_directory: Path  # the shared credentials and config files; removed on stop

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@dataclass
class Emulator:
    """`with Emulator() as aws:` — a running endpoint and the deployer's credentials."""

    region: str = REGION
    propagation_delay: float = 0.0
    port: int = 0  # 0: a free port
    clock: Callable[[], float] = time.monotonic  # what the propagation delay is measured on
    # The accounts besides the deployer's, by the profile naming each one's administrator.
    profiles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    _running: _Running | None = field(default=None, init=False, repr=False)

    def start(self) -> Emulator:
        moto_api_backend.reset()  # fresh accounts, whatever ran in this process before
        # Created directly in the backends: auth is on from the first request.
        deployer = _create_administrator(ACCOUNT_ID, self.region, DEPLOYER_NAME)
        profiles = {
            name: _create_administrator(account_id, self.region, ADMINISTRATOR_NAME)
            for name, account_id in self.profiles.items()
        }
        if CONSUMER_ACCOUNT_ID in self.profiles.values():
            _create_consumer_role()
        accounts = (ACCOUNT_ID, *dict.fromkeys(a for a in self.profiles.values() if a != ACCOUNT_ID))
        authority = Authority(
            ACCOUNT_ID, self.region, delay=self.propagation_delay, clock=self.clock, accounts=accounts
        )
        # Inside the enforcement, around moto: global tables and multi-Region key replicas (replicas.py).
        moto_app = Replication(DomainDispatcherApplication(create_backend_app), authority)
        enforcement = KmsEnforcement(moto_app, authority)
        patches = MotoPatches(enforcement.token)
        patches.apply()
        try:
            faults = FaultInjector(enforcement)
            server = make_server("127.0.0.1", self.port, faults, threaded=True, request_handler=_QuietRequestHandler)
        except BaseException:
            patches.undo()
            raise
        thread = threading.Thread(
            # A short poll interval: shutdown() waits for the loop to notice.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="sandbox-emulator",
            daemon=True,
        )
        thread.start()
        directory = Path(tempfile.mkdtemp(prefix="sandbox-profiles-"))
        endpoint = f"http://127.0.0.1:{server.server_port}"
        _write_profiles(directory, endpoint, self.region, profiles)
        self._running = _Running(server, thread, deployer, authority, faults, patches, profiles, directory)
        authority.record_change()  # the starting point of the propagation history
        return self

    def stop(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.server.shutdown()
            running.server.server_close()
            running.thread.join()
            running.patches.undo()
            shutil.rmtree(running.profile_directory, ignore_errors=True)
        moto_api_backend.reset()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> _Running:
        if self._running is None:
            raise EmulatorNotRunningError("the emulator is not running: start() it first")
        return self._running

    @property
    def endpoint_url(self) -> str:
        return self.running.endpoint_url

    @property
    def faults(self) -> FaultInjector:
        """Fault injection for tests; nothing is injected unless added."""
        return self.running.faults

    # -- clients ---------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The deployer's environment, as the AWS CLI and boto3 read it, with the other accounts' profiles.

        The deployer's credentials are environment variables (the default); `--profile NAME` (or
        AWS_PROFILE) picks another account's administrator from the shared files: a named profile
        takes precedence over the environment's keys in botocore's credential chain.
        """
        directory = self.running.profile_directory
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.running.deployer.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.running.deployer.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "credentials"),
            "AWS_CONFIG_FILE": str(directory / "config"),
        }

    def account_of(self, profile: str | None = None) -> str:
        """The account a profile's credentials are of (the deployer's by default)."""
        if profile is None:
            return ACCOUNT_ID
        self._credentials(profile)
        return self.profiles[profile]

    def _credentials(self, profile: str | None) -> Credentials:
        if profile is None:
            return self.running.deployer
        found = self.running.profiles.get(profile)
        if found is None:
            known = ", ".join(sorted(self.running.profiles)) or "none"
            raise UnknownProfileError(f"profile {profile!r} is not one of the emulator's profiles ({known})")
        return found

    def session(self, profile: str | None = None) -> boto3.session.Session:
        """A boto3 session as the deployer, or as the administrator of the account `profile` names."""
        credentials = self._credentials(profile)
        return boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            region_name=self.region,
        )

    @overload
    def client(self, service: Literal["dynamodb"], session: boto3.session.Session | None = None) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["iam"], session: boto3.session.Session | None = None) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], session: boto3.session.Session | None = None) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sts"], session: boto3.session.Session | None = None) -> STSClient: ...
    @overload
    def client(self, service: UntypedService, session: boto3.session.Session | None = None) -> Any: ...
    def client(
        self, service: Service | UntypedService, session: boto3.session.Session | None = None
    ) -> DynamoDBClient | IAMClient | KMSClient | STSClient | Any:
        """A client of the emulator, as the deployer unless another session is given."""
        return (session or self.session()).client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
