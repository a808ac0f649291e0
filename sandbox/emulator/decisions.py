"""KMS key access enforced in front of the emulator's DynamoDB data plane.

moto stores key policies and grants but never consults them, and its DynamoDB
never calls KMS: on its own, a principal with DynamoDB rights and no KMS rights
reads a table encrypted with a customer-managed key. This WSGI middleware does
what DynamoDB does on AWS: before a data-plane call on such a table it asks
whether the caller may kms:Decrypt (components.evaluator decides, from the
key policy, the caller's identity policies and the key's grants) and answers
as AWS does when not: HTTP 400 AccessDeniedException, "KMS key access denied
error: ...". A disabled or pending-deletion key makes the table's data
inaccessible, and DescribeTable then reports it.

Reading moto's backends is the only coupling to moto internals (5.2.x, pinned).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.sts.models import sts_backends

from access.documents import NamedPolicy, parse_policy
from access.evaluator import (
    KEY_POLICY,
    Decision,
    Grant,
    Request,
    authorize_identity,
    authorize_kms,
    authorize_resource,
    dynamodb_decrypt_request,
)

DYNAMODB_TARGET = "DynamoDB_20120810."
KMS_TARGET = "TrentService."
# The calls that read or write items: DynamoDB calls kms:Decrypt as the caller for each.
DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
USABLE_KEY_STATE = "Enabled"
INACCESSIBLE_TABLE_STATUS = "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
_PARTIQL_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.\-]+)"?', re.IGNORECASE)
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/")


_PARTIQL_ACTIONS = {
    "SELECT": "PartiQLSelect",
    "INSERT": "PartiQLInsert",
    "UPDATE": "PartiQLUpdate",
    "DELETE": "PartiQLDelete",
}
_TRANSACT_WRITE_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _partiql(statement: str) -> list[tuple[str, str]]:
    tables = _PARTIQL_TABLE.findall(statement)[:1]
    verb = statement.lstrip().split(" ", 1)[0].upper()
    return [(table, f"dynamodb:{_PARTIQL_ACTIONS.get(verb, 'PartiQLSelect')}") for table in tables]


def table_actions(operation: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(table as sent, IAM action) for each table a data-plane request touches. Pure.

    The IAM action is what AWS authorizes: a transaction is authorized item by item
    (dynamodb:GetItem, PutItem, ... ConditionCheckItem) and PartiQL by its verb
    (dynamodb:PartiQLSelect, ...), not by the API operation's own name.
    """
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(table, f"dynamodb:{operation}") for table in body.get("RequestItems", {})]
    if operation == "TransactGetItems":
        return [(i["Get"]["TableName"], "dynamodb:GetItem") for i in body.get("TransactItems", []) if "Get" in i]
    if operation == "TransactWriteItems":
        return [
            (op["TableName"], f"dynamodb:{_TRANSACT_WRITE_ACTIONS.get(kind, kind)}")
            for item in body.get("TransactItems", [])
            for kind, op in item.items()
            if "TableName" in op
        ]
    if operation == "ExecuteStatement":
        return _partiql(body.get("Statement", ""))
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        return [pair for s in body.get(key, []) for pair in _partiql(s.get("Statement", ""))]
    return [(body["TableName"], f"dynamodb:{operation}")] if "TableName" in body else []


def _table_name(name_or_arn: str) -> str:
    return name_or_arn.split(":table/", 1)[1].split("/", 1)[0] if ":table/" in name_or_arn else name_or_arn


# -- what the emulator holds, as the evaluator's inputs -----------------------------------------


@dataclass(frozen=True)
class KeyAccess:
    arn: str
    state: str
    policy: Mapping[str, Any]
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Caller:
    identity_arn: str  # user ARN, or the role ARN (with path) behind a session
    caller_arn: str  # as AWS names the caller in errors: the session ARN for a role
    account_id: str


@dataclass(frozen=True)
class AccessState:
    """Everything key access depends on, at one moment."""

    keys: Mapping[str, KeyAccess]  # by key id
    identity_policies: Mapping[str, tuple[NamedPolicy, ...]]  # by identity ARN


def _default_document(policy: Any) -> str | Mapping[str, Any]:
    return next(v for v in policy.versions if v.is_default).document


def _owned_policies(kind: str, owner: Any) -> list[NamedPolicy]:
    """A moto user, group or role's inline and attached managed policies."""
    found = [parse_policy(doc, f"inline policy {name} of {kind} {owner.name}") for name, doc in owner.policies.items()]
    found += [parse_policy(_default_document(p), f"managed policy {p.name}") for p in owner.managed_policies.values()]
    return found


def read_identity_policies(account_id: str) -> dict[str, tuple[NamedPolicy, ...]]:
    """Every user's (with its groups') and every role's identity policies, by ARN."""
    iam = iam_backends[account_id]["global"]
    identity: dict[str, tuple[NamedPolicy, ...]] = {}
    for user in list(iam.users.values()):
        policies = _owned_policies("user", user)
        for group in iam.get_groups_for_user(user.name):
            policies += _owned_policies("group", group)
        identity[user.arn] = tuple(policies)
    for role in list(iam.roles.values()):
        identity[role.arn] = tuple(_owned_policies("role", role))
    return identity


def read_state(account_id: str, region: str) -> AccessState:
    """A snapshot of keys, grants and identity policies from moto's backends."""
    keys = {
        key.id: KeyAccess(
            arn=key.arn,
            state=key.key_state,
            policy=json.loads(key.policy) if key.policy else {},
            grants=tuple(
                Grant(g.id, g.grantee_principal, tuple(g.operations), dict(g.constraints or {}))
                for g in key.grants.values()
            ),
        )
        for key in list(kms_backends[account_id][region].keys.values())
    }
    return AccessState(keys, read_identity_policies(account_id))


def resolve_caller(account_id: str, access_key_id: str, session_token: str | None) -> Caller | None:
    """Who signed a request, from its access key id; None if the emulator did not issue it."""
    iam = iam_backends[account_id]["global"]
    if session_token:
        for assumed in list(sts_backends[account_id]["global"].assumed_roles):
            if assumed.access_key_id == access_key_id and assumed.session_token == session_token:
                role = iam.get_role_by_arn(assumed.role_arn)
                session = f"arn:aws:sts::{account_id}:assumed-role/{role.name}/{assumed.session_name}"
                return Caller(role.arn, session, account_id)
        return None
    for user in list(iam.users.values()):
        if any(k.access_key_id == access_key_id and k.status == "Active" for k in user.access_keys):
            return Caller(user.arn, user.arn, account_id)
    return None


@dataclass(frozen=True)
class View:
    """What a decision sees of each key and principal, `delay` seconds late.

    For each item: the newest recorded state at least `delay` old that has it;
    failing that, the oldest recorded state that has it (a new key or principal
    is usable at once, as on AWS, while later changes to it wait); failing
    that, the state now.
    """

    now: AccessState
    cutoff: float = 0.0
    history: tuple[tuple[float, AccessState], ...] = ()

    def _pick(self, has: Callable[[AccessState], bool]) -> AccessState | None:
        recorded = [(at, state) for at, state in self.history if has(state)]
        if not recorded:
            return self.now if has(self.now) else None
        settled = [state for at, state in recorded if at <= self.cutoff]
        return settled[-1] if settled else recorded[0][1]

    def key(self, key_id: str) -> KeyAccess | None:
        state = self._pick(lambda s: key_id in s.keys)
        return state.keys[key_id] if state else None

    def policies(self, identity_arn: str) -> tuple[NamedPolicy, ...]:
        state = self._pick(lambda s: identity_arn in s.identity_policies)
        return state.identity_policies[identity_arn] if state else ()


def trust_decision(account_id: str, region: str, caller: Caller, role_arn: str) -> Decision:
    """May the caller assume the role? Its trust policy decides, delegating to IAM when it names the account.

    moto compares the trust policy's principal with the caller's ARN literally,
    so a role trusting the account root (the usual way) could not be assumed.
    """
    iam = iam_backends[account_id]["global"]
    role = iam.get_role_by_arn(role_arn)
    request = Request(
        caller.identity_arn,
        "sts:AssumeRole",
        role_arn,
        account_id,
        context={"aws:PrincipalArn": caller.identity_arn, "aws:PrincipalAccount": account_id},
        caller_arn=caller.caller_arn,
    )
    identity = read_identity_policies(account_id).get(caller.identity_arn, ())
    trust = parse_policy(role.assume_role_policy_document, f"trust policy of role {role.name}")
    return authorize_resource(request, trust, identity)


# -- propagation -----------------------------------------------------------------------------------


@dataclass
class Authority:
    """Decides key access from the emulator's state, optionally as it was `delay` seconds ago.

    With a delay, every change to IAM or KMS is recorded with its time, and a
    decision uses, for each key and each principal, the newest record at least
    `delay` old; something newer than that (a key just created) is seen as first
    recorded, the way a new resource is usable at once on AWS while changes to
    it propagate.
    """

    account_id: str
    region: str
    delay: float = 0.0
    clock: Callable[[], float] = time.monotonic
    history: list[tuple[float, AccessState]] = field(default_factory=list)
    inaccessible_since: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_change(self) -> None:
        if self.delay > 0:
            state = read_state(self.account_id, self.region)
            with self.lock:
                self.history.append((self.clock(), state))

    def view(self) -> View:
        now = read_state(self.account_id, self.region)
        if self.delay <= 0:
            return View(now)
        with self.lock:
            return View(now, self.clock() - self.delay, tuple(self.history))

    def key_access(self, key_id: str) -> KeyAccess | None:
        return self.view().key(key_id)

    def table_key_id(self, table_name: str) -> str | None:
        """Id of the customer-managed key a table is encrypted with, or None."""
        tables = dynamodb_backends[self.account_id][self.region].tables
        table = tables.get(_table_name(table_name))
        sse = getattr(table, "sse_specification", None) or {}
        if not sse.get("Enabled") or not sse.get("KMSMasterKeyId"):
            return None
        kms = kms_backends[self.account_id][self.region]
        try:
            key = kms.describe_key(sse["KMSMasterKeyId"])
        except Exception:
            return str(sse["KMSMasterKeyId"])
        return key.id if key.key_manager == "CUSTOMER" else None

    def refusal(self, caller: Caller, actions: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
        """(error code, message) if the caller may not run this data-plane call, else None.

        As AWS: IAM on each DynamoDB action first, then kms:Decrypt on each table's key.
        """
        view = self.view()
        identity = view.policies(caller.identity_arn)
        pairs = [(_table_name(table), action) for table, action in actions]
        for name, action in dict.fromkeys(pairs):
            table_arn = f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}"
            request = Request(caller.identity_arn, action, table_arn, caller.account_id, caller_arn=caller.caller_arn)
            iam = authorize_identity(request, identity)
            if not iam.allowed:
                return "AccessDeniedException", (
                    f"User: {caller.caller_arn} is not authorized to perform: {action} "
                    f"on resource: {table_arn} {_because(iam, action)}"
                )
        for name in dict.fromkeys(name for name, _ in pairs):
            key_id = self.table_key_id(name)
            if key_id is None:
                continue  # AWS-owned or AWS-managed key: not this boundary
            key = view.key(key_id)
            if key is None or key.state != USABLE_KEY_STATE:
                self.inaccessible_since.setdefault(key_id, time.time())
                state = "does not exist" if key is None else f"is {key.state}"
                return "ValidationException", (
                    f"The table's KMS key {key.arn if key else key_id} {state}: the table's data is "
                    f"inaccessible ({INACCESSIBLE_TABLE_STATUS}) until the key is usable again"
                )
            decision = authorize_kms(
                dynamodb_decrypt_request(
                    principal_arn=caller.identity_arn,
                    caller_arn=caller.caller_arn,
                    key_arn=key.arn,
                    table_name=name,
                    region=self.region,
                    account_id=caller.account_id,
                ),
                key.policy,
                identity,
                key.grants,
            )
            if not decision.allowed:
                return "AccessDeniedException", (
                    f"KMS key access denied error: User: {caller.caller_arn} is not authorized to perform: "
                    f"kms:Decrypt on resource: {key.arn} {_because(decision, 'kms:Decrypt')} "
                    "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
                )
        return None


def _because(decision: Decision, action: str) -> str:
    """The tail of an AWS denial message."""
    if decision.source == KEY_POLICY:
        return "with an explicit deny in a resource-based policy"
    if decision.source:
        return "with an explicit deny in an identity-based policy"
    if action.startswith("kms:"):
        return f"because no resource-based policy allows the {action} action"
    return f"because no identity-based policy allows the {action} action"


# -- the middleware --------------------------------------------------------------------------------


def json_error(start_response: Callable[..., Any], status: int, error_type: str, message: str) -> list[bytes]:
    """An error as AWS's JSON protocols answer it (DynamoDB, KMS): botocore reads the code after any '#'."""
    body = json.dumps({"__type": error_type, "message": message}).encode()
    start_response(
        f"{status} Error",
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]


def _is_change(environ: Mapping[str, Any], body: bytes) -> bool:
    """Does this IAM or KMS request change something key access depends on?"""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith(KMS_TARGET):
        action = target[len(KMS_TARGET) :]
    elif b"Action=" in body and "iam" in environ.get("HTTP_AUTHORIZATION", ""):
        action = re.search(rb"Action=(\w+)", body).group(1).decode()  # type: ignore[union-attr]
    else:
        return False
    return not action.startswith(("Get", "List", "Describe", "Generate", "Encrypt", "Decrypt"))


# Set on a data-plane request this layer has authorized (IAM and KMS), so that moto's
# own identity check, which knows only API operation names (dynamodb:ExecuteStatement
# rather than dynamodb:PartiQLSelect), does not judge it again. Never taken from a client.
AUTHORIZED_ENVIRON = "HTTP_X_SANDBOX_AUTHORIZED"
AUTHORIZED_HEADER = "X-Sandbox-Authorized"


@dataclass
class KmsEnforcement:
    """WSGI middleware: the emulator's app, with KMS key access enforced on DynamoDB data."""

    app: Callable[..., Iterable[bytes]]
    authority: Authority
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop(AUTHORIZED_ENVIRON, None)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target[len(DYNAMODB_TARGET) :] if target.startswith(DYNAMODB_TARGET) else ""

        if operation in DATA_PLANE:
            caller = self._caller(environ)
            if caller is not None:  # unknown credentials: moto's own check refuses them
                refused = self.authority.refusal(caller, table_actions(operation, json.loads(body or b"{}")))
                if refused is not None:
                    code, message = refused
                    return json_error(start_response, 400, f"com.amazonaws.dynamodb.v20120810#{code}", message)
                environ[AUTHORIZED_ENVIRON] = self.token
        if operation == "DescribeTable":
            return self._describe_table(environ, start_response, json.loads(body or b"{}"))

        response = self.app(environ, start_response)
        if _is_change(environ, body):
            self.authority.record_change()
        return response

    def _caller(self, environ: Mapping[str, Any]) -> Caller | None:
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not found:
            return None
        return resolve_caller(self.authority.account_id, found.group(1), environ.get("HTTP_X_AMZ_SECURITY_TOKEN"))

    def _describe_table(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: Mapping[str, Any]
    ) -> Iterable[bytes]:
        """DescribeTable, with the table marked inaccessible while its key is not usable."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda _data: None

        body = b"".join(self.app(environ, capture))
        key_id = self.authority.table_key_id(str(request.get("TableName", "")))
        if captured["status"].startswith("200") and key_id is not None:
            key = self.authority.key_access(key_id)
            if key is None or key.state != USABLE_KEY_STATE:
                described = json.loads(body)
                since = self.authority.inaccessible_since.setdefault(key_id, time.time())
                described["Table"]["TableStatus"] = INACCESSIBLE_TABLE_STATUS
                described["Table"].setdefault("SSEDescription", {})["InaccessibleEncryptionDateTime"] = since
                body = json.dumps(described).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]
