"""The embedded AWS emulator: moto on 127.0.0.1, behind KMS enforcement, with auth on.

Every caller needs credentials the emulator issued: the deployer's (an IAM user
with an administrator policy, created here) or those the program creates (the
test principal's access key, or an assumed role's session).

moto keeps its state in module globals, so one Emulator runs per process at a time.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMRequestBase
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.enforcement import AUTHORIZED_HEADER, Authority, KmsEnforcement, resolve_caller, trust_decision
from sandbox.faults import FaultInjector

ACCOUNT_ID = "123456789012"  # moto's default account: credentials it issues map to it
REGION = "us-east-1"
PARTITION = "aws"
DEPLOYER_NAME = "sandbox-deployer"
ADMINISTRATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "SandboxAdministrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# moto can load all ~1,500 AWS managed policies, but does so for every partition
# on an account's first request (about a second). The sandbox installs the ones a
# DynamoDB/KMS user attaches; attaching any other fails with NoSuchEntity.
MANAGED_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess")
MANAGED_POLICY_MARKERS = ("DynamoDB", "KMS")


@functools.cache
def _managed_policy_data() -> dict[str, Any]:
    data = json.loads(aws_managed_policies_data)
    return {
        name: spec
        for name, spec in data.items()
        if name in MANAGED_POLICY_NAMES or any(marker in name for marker in MANAGED_POLICY_MARKERS)
    }


def _trust_check(region: str) -> Any:
    """moto's role-trust check, replaced by one that knows what trusting the account root means."""

    def check(request: Any, role_arn: str) -> bool:
        caller = resolve_caller(
            request.account_id, request._access_key._access_key_id, request._headers.get("X-Amz-Security-Token")
        )
        return caller is not None and trust_decision(request.account_id, region, caller, role_arn).allowed

    return check


def _permission_check(original: Any, token: str) -> Any:
    """moto's identity-policy check, skipped for data-plane requests the enforcement layer authorized.

    moto judges dynamodb:<Operation> against Resource "*"; the layer judges the action
    AWS authorizes (dynamodb:PartiQLSelect for a SELECT, dynamodb:GetItem per item of a
    transaction) on the table's ARN, so it is the one to trust for those requests.
    """

    def check(request: Any, resource: str) -> None:
        if request._headers.get(AUTHORIZED_HEADER) == token:
            return
        original(request, resource)

    return check


class _QuietRequestHandler(MotoRequestHandler):
    """No access log on the terminal: the demo prints its own story."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass
class Emulator:
    """`with Emulator() as aws:` — a running endpoint and the deployer's credentials."""

    region: str = REGION
    propagation_delay: float = 0.0
    port: int = 0  # 0: a free port
    clock: Callable[[], float] = time.monotonic  # what the propagation delay is measured on
    endpoint_url: str = ""
    deployer: Credentials | None = None
    authority: Authority | None = None
    faults: FaultInjector | None = None  # for fault tests; nothing is injected unless added
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None
    _saved: dict[str, Any] = field(default_factory=dict)

    def start(self) -> Emulator:
        self._saved = {"no_auth": moto_settings.INITIAL_NO_AUTH_ACTION_COUNT}
        moto_api_backend.reset()  # a fresh account, whatever ran in this process before
        self._install_managed_policies()
        self.deployer = self._create_deployer()
        # Auth on from the first request: the deployer was created directly in the backend.
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0

        self.authority = Authority(ACCOUNT_ID, self.region, delay=self.propagation_delay, clock=self.clock)
        enforcement = KmsEnforcement(DomainDispatcherApplication(create_backend_app), self.authority)
        # Two corrections to moto's own IAM check, undone by stop().
        self._saved["trust_check"] = IAMRequestBase._check_role_trust_relationship
        IAMRequestBase._check_role_trust_relationship = _trust_check(self.region)  # type: ignore[method-assign]
        self._saved["permission_check"] = IAMRequestBase.check_action_permitted
        IAMRequestBase.check_action_permitted = _permission_check(  # type: ignore[method-assign]
            self._saved["permission_check"], enforcement.token
        )
        self.faults = FaultInjector(enforcement)
        app = self.faults
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=_QuietRequestHandler)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            # A short poll interval: shutdown() waits for the loop to notice.
            target=lambda: self._server.serve_forever(poll_interval=0.05) if self._server else None,
            name="sandbox-emulator",
            daemon=True,
        )
        self._thread.start()
        self.authority.record_change()  # the starting point of the propagation history
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = self._saved.get("no_auth", float("inf"))
        if "trust_check" in self._saved:
            IAMRequestBase._check_role_trust_relationship = self._saved["trust_check"]  # type: ignore[method-assign]
        if "permission_check" in self._saved:
            IAMRequestBase.check_action_permitted = self._saved["permission_check"]  # type: ignore[method-assign]
        moto_api_backend.reset()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _install_managed_policies(self) -> None:
        iam = iam_backends[ACCOUNT_ID]["global"]
        for name, spec in _managed_policy_data().items():
            policy = AWSManagedPolicy.from_data(name, ACCOUNT_ID, iam.region_name, spec)
            iam.aws_managed_policies.append(policy)
            iam.managed_policies[policy.arn] = policy

    def _create_deployer(self) -> Credentials:
        iam = iam_backends[ACCOUNT_ID]["global"]
        iam.create_user(self.region, DEPLOYER_NAME)
        iam.put_user_policy(DEPLOYER_NAME, "administrator", json.dumps(ADMINISTRATOR_POLICY))
        key = iam.create_access_key(DEPLOYER_NAME)
        return Credentials(key.access_key_id, key.secret_access_key)

    # -- clients ---------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The deployer's environment, as the AWS CLI and boto3 read it."""
        assert self.deployer is not None, "start() first"
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.deployer.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.deployer.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def session(self) -> boto3.session.Session:
        assert self.deployer is not None, "start() first"
        return boto3.session.Session(
            aws_access_key_id=self.deployer.access_key_id,
            aws_secret_access_key=self.deployer.secret_access_key,
            region_name=self.region,
        )

    def client(self, service: str, session: boto3.session.Session | None = None) -> Any:
        return (session or self.session()).client(
            service, endpoint_url=self.endpoint_url, config=Config(retries={"mode": "standard", "max_attempts": 2})
        )
