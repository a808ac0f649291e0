"""Every change the sandbox makes to moto's own code and settings, made on start and undone on stop.

- auth on: moto checks every request's credentials and identity policies
  (settings.INITIAL_NO_AUTH_ACTION_COUNT = 0, its request counter reset);
- moto's role-trust check is replaced by one that knows what trusting the account
  root means (decisions.trust_decision): moto compares the trust policy's principal
  with the caller's ARN literally;
- moto's authentication and identity-policy check stand aside for the requests the
  middleware authorized: moto judges <service>:<Operation> against Resource "*" and reads
  no key policy; the middleware judges the action AWS authorizes (dynamodb:PartiQLSelect
  for a SELECT, dynamodb:GetItem per item of a transaction) on the table's ARN, and the
  control-plane calls it maps (rules.needs) on their table, stream, backup, key or role,
  after verifying the signature itself. moto would look the caller's access key up in the
  account serving the request, which for a call across accounts is not the caller's;
- moto's own key-policy check of DescribeKey (KmsResponse._validate_key_policy) stands aside for the requests
  the middleware authorized: it refused DescribeKey whenever the key policy held a Deny naming it, whoever
  that Deny named and whatever its conditions (a Deny for sessions only refused access keys too);
- moto's UpdateTable applies SSESpecification, which it otherwise ignores
  (table_updates.with_encryption_updates);
- moto's restores keep the source's encryption or take SSESpecificationOverride, and a point-in-time
  restore takes its source by SourceTableArn (restores.with_encryption): moto restored a table unencrypted,
  and found no source by ARN;
- moto's ExportTableToPointInTime takes a request without S3Prefix and names the export as DynamoDB does
  (exports.with_optional_prefix): moto answered HTTP 500 without the prefix;
- moto's Put/Get/DeleteResourcePolicy serve a stream's own policy (stream_policies): moto read a
  stream ARN's last segment as a table name and refused it;
- moto's DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion and ListKeyRotations are handed
  the key id of a key ARN, and ScheduleKeyDeletion and CancelKeyDeletion answer with the key ARN
  (key_ids): moto answered HTTP 500 to a key ARN;
- moto's PartiQL executor is served the statement's own table or index only
  (partiql_runs.on_its_resource): moto kept tables and indexes in one name space, so a table
  named "orders.byCustomer" and the index byCustomer of "orders" hid each other.

One of the modules that touch moto (5.2.x, pinned). moto keeps all of this in
module and class globals, so one emulator runs per process at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMRequestBase
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse

from sandbox.emulator.decisions import trust_decision
from sandbox.emulator.exports import with_optional_prefix
from sandbox.emulator.key_ids import BY_KEY_ID_METHODS, KEY_ARN_RESPONSES, by_key_id, with_key_arn
from sandbox.emulator.middleware import AUTHORIZED_HEADER
from sandbox.emulator.partiql_runs import on_its_resource
from sandbox.emulator.restores import with_encryption
from sandbox.emulator.state import resolve_caller
from sandbox.emulator.stream_policies import delete_on_streams, get_on_streams, put_on_streams
from sandbox.emulator.table_updates import with_encryption_updates


def _trust_check(request: Any, role_arn: str) -> bool:
    """moto's IAMRequestBase._check_role_trust_relationship, as AWS decides it."""
    caller = resolve_caller(
        request.account_id, request._access_key._access_key_id, request._headers.get("X-Amz-Security-Token")
    )
    return caller is not None and trust_decision(request.account_id, caller, role_arn).allowed


def _authentication(original: Callable[..., None], token: str) -> Callable[..., None]:
    """moto's ActionAuthenticatorMixin._authenticate_and_authorize_action (signature, caller, identity
    policies), skipped for requests the middleware authorized."""

    def check(response: Any, iam_request_cls: Any, resource: str = "*") -> None:
        if response.headers.get(AUTHORIZED_HEADER) == token:
            return
        original(response, iam_request_cls, resource)

    return check


def _key_policy_check(original: Callable[..., None], token: str) -> Callable[..., None]:
    """moto's KmsResponse._validate_key_policy, skipped for requests the middleware authorized (it decided the
    key policy with its conditions and principals)."""

    def check(response: Any, key_id: str, action: str) -> None:
        if response.headers.get(AUTHORIZED_HEADER) == token:
            return
        original(response, key_id, action)

    return check


@dataclass
class MotoPatches:
    """The changes, for one running emulator: `apply()` on start, `undo()` on stop (safe to repeat)."""

    token: str  # the middleware's mark on the requests it authorized
    _saved: dict[str, Any] = field(default_factory=dict)

    def apply(self) -> None:
        self._saved = {
            "no_auth": moto_settings.INITIAL_NO_AUTH_ACTION_COUNT,
            "trust_check": IAMRequestBase._check_role_trust_relationship,
            "authentication": ActionAuthenticatorMixin._authenticate_and_authorize_action,
            "key_policy_check": KmsResponse._validate_key_policy,
            "update_table": DynamoHandler.update_table,
            "restore_from_backup": DynamoHandler.restore_table_from_backup,
            "restore_to_point_in_time": DynamoHandler.restore_table_to_point_in_time,
            "export_to_point_in_time": DynamoHandler.export_table_to_point_in_time,
            "execute_statement": DynamoDBBackend.execute_statement,
            "put_resource_policy": DynamoDBBackend.put_resource_policy,
            "get_resource_policy": DynamoDBBackend.get_resource_policy,
            "delete_resource_policy": DynamoDBBackend.delete_resource_policy,
            **{f"kms_backend.{name}": getattr(KmsBackend, name) for name in BY_KEY_ID_METHODS},
            **{f"kms_response.{name}": getattr(KmsResponse, name) for name in KEY_ARN_RESPONSES},
        }
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0
        IAMRequestBase._check_role_trust_relationship = _trust_check  # type: ignore[method-assign,assignment]
        ActionAuthenticatorMixin._authenticate_and_authorize_action = _authentication(  # type: ignore[method-assign]
            self._saved["authentication"], self.token
        )
        KmsResponse._validate_key_policy = _key_policy_check(  # type: ignore[method-assign]
            self._saved["key_policy_check"], self.token
        )
        DynamoHandler.update_table = with_encryption_updates(  # type: ignore[method-assign,assignment]
            self._saved["update_table"]
        )
        DynamoHandler.restore_table_from_backup = with_encryption(  # type: ignore[method-assign,assignment]
            self._saved["restore_from_backup"]
        )
        DynamoHandler.restore_table_to_point_in_time = with_encryption(  # type: ignore[method-assign,assignment]
            self._saved["restore_to_point_in_time"]
        )
        DynamoHandler.export_table_to_point_in_time = with_optional_prefix(  # type: ignore[method-assign,assignment]
            self._saved["export_to_point_in_time"]
        )
        DynamoDBBackend.execute_statement = on_its_resource(  # type: ignore[method-assign,assignment]
            self._saved["execute_statement"]
        )
        DynamoDBBackend.put_resource_policy = put_on_streams(  # type: ignore[method-assign]
            self._saved["put_resource_policy"]
        )
        DynamoDBBackend.get_resource_policy = get_on_streams(  # type: ignore[method-assign]
            self._saved["get_resource_policy"]
        )
        DynamoDBBackend.delete_resource_policy = delete_on_streams(  # type: ignore[method-assign]
            self._saved["delete_resource_policy"]
        )
        for name in BY_KEY_ID_METHODS:
            setattr(KmsBackend, name, by_key_id(self._saved[f"kms_backend.{name}"]))
        for name in KEY_ARN_RESPONSES:
            setattr(KmsResponse, name, with_key_arn(self._saved[f"kms_response.{name}"]))

    def undo(self) -> None:
        if not self._saved:
            return
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = self._saved["no_auth"]
        IAMRequestBase._check_role_trust_relationship = self._saved["trust_check"]  # type: ignore[method-assign]
        ActionAuthenticatorMixin._authenticate_and_authorize_action = self._saved[  # type: ignore[method-assign]
            "authentication"
        ]
        KmsResponse._validate_key_policy = self._saved["key_policy_check"]  # type: ignore[method-assign]
        DynamoHandler.update_table = self._saved["update_table"]  # type: ignore[method-assign]
        DynamoHandler.restore_table_from_backup = self._saved["restore_from_backup"]  # type: ignore[method-assign]
        DynamoHandler.restore_table_to_point_in_time = self._saved[  # type: ignore[method-assign]
            "restore_to_point_in_time"
        ]
        DynamoHandler.export_table_to_point_in_time = self._saved[  # type: ignore[method-assign]
            "export_to_point_in_time"
        ]
        DynamoDBBackend.execute_statement = self._saved["execute_statement"]  # type: ignore[method-assign]
        DynamoDBBackend.put_resource_policy = self._saved["put_resource_policy"]  # type: ignore[method-assign]
        DynamoDBBackend.get_resource_policy = self._saved["get_resource_policy"]  # type: ignore[method-assign]
        DynamoDBBackend.delete_resource_policy = self._saved["delete_resource_policy"]  # type: ignore[method-assign]
        for name in BY_KEY_ID_METHODS:
            setattr(KmsBackend, name, self._saved[f"kms_backend.{name}"])
        for name in KEY_ARN_RESPONSES:
            setattr(KmsResponse, name, self._saved[f"kms_response.{name}"])
        self._saved = {}
