"""Who may use a table's key, and assume a role, decided from the emulator's state as AWS decides.

moto stores key policies and grants but never consults them, and its DynamoDB never
calls KMS. The Authority does what DynamoDB does on AWS before a data-plane call on a
table encrypted with a customer-managed key: IAM on each DynamoDB action the call
needs, then kms:Decrypt on the table's key as the caller (access.evaluator decides,
from the key policy, the caller's identity policies and the key's grants). A refusal
comes back as the AWS error, worded as AWS words it. With a propagation delay, it
decides from the state as it was `delay` seconds ago (View).

An Authority is one account's, in one region (`of(account, region)` gives another's). A
caller of another account is judged as AWS judges it across accounts
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
the resource's policy (table, stream, key or trust policy) AND the caller's own identity
policies must allow, an explicit Deny in either wins; a KMS grant needs no identity policy.
The resource is read in the Authority's account, the caller's identity policies in the caller's.

Nothing here touches moto: the state comes from sandbox.emulator.state.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from access.arns import table_arn, table_name_of
from access.context import Context
from access.documents import NamedPolicy
from access.evaluator import (
    TABLE_POLICY,
    Decision,
    Request,
    authorize_identity,
    authorize_kms,
    authorize_resource,
    dynamodb_decrypt_request,
)
from access.kms_dynamodb import (
    AUTOSCALING_NAMESPACE,
    AUTOSCALING_POLICY_TYPE,
    INACCESSIBLE_STATUS,
    MFA_CONDITION_KEY,
    USABLE_KEY_STATE,
    dynamodb_via_service,
)
from sandbox.emulator.account import PARTITION
from sandbox.emulator.accounts import arn_account
from sandbox.emulator.actions import TableAccess
from sandbox.emulator.errors import (
    AccessDeniedError,
    AwsError,
    MalformedPolicyDocumentError,
    NotFoundError,
    ValidationError,
)
from sandbox.emulator.key_states import LIFECYCLE_ACTIONS, lifecycle_refusal
from sandbox.emulator.requests import Call
from sandbox.emulator.rules import BYPASS_LOCKOUT_PARAMETER, AssumeRole, Iam, Key, Need, Place, is_alias, needs
from sandbox.emulator.state import (
    AccessState,
    Caller,
    KeyAccess,
    backup_data,
    ciphertext_key_id,
    key_id_of,
    read_identity_policies,
    read_key,
    read_policies_of,
    read_state,
    resource_policy,
    stream_data,
    table_key_id,
)
from sandbox.emulator.state import trust_policy as read_trust_policy

INACCESSIBLE_TABLE_STATUS = INACCESSIBLE_STATUS  # the access core's, re-exported for the layers above


class Verdict(enum.Enum):
    """A control-plane request the layer authorized, or one it leaves to moto's own check."""

    AUTHORIZED = "authorized"
    NOT_MAPPED = "not mapped"


# -- AWS's wording -----------------------------------------------------------------------------------


# The two policy types an AWS denial names (IAM User Guide, "Troubleshoot access denied error messages",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html: "... because no
# <policy type> policy allows the <action> action" for an implicit deny, "... with an explicit deny in a
# <policy type> policy" for an explicit one).
RESOURCE_BASED = "resource-based"
IDENTITY_BASED = "identity-based"
# What the access core names identity policies by (state._owned_policies): every other source is a
# resource's policy (the key policy, a table's or stream's resource policy, a role's trust policy).
_IDENTITY_SOURCES = ("inline policy", "managed policy")


def _because(decision: Decision, action: str, missing: str | None = None) -> str:
    """The tail of an AWS denial message; `missing` names the policy type no statement of allowed (implicit
    deny), by default the key policy for KMS and identity policies otherwise (the same-account readings)."""
    if decision.source:  # a denial names a source only when a Deny statement decided
        if decision.source.startswith(_IDENTITY_SOURCES):
            return f"with an explicit deny in an {IDENTITY_BASED} policy"
        return f"with an explicit deny in a {RESOURCE_BASED} policy"
    if missing is None:
        missing = RESOURCE_BASED if action.startswith("kms:") else IDENTITY_BASED
    return f"because no {missing} policy allows the {action} action"


def iam_denied(
    caller: Caller, action: str, resource: str, decision: Decision, missing: str | None = None
) -> AccessDeniedError:
    return AccessDeniedError(
        f"User: {caller.caller_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {_because(decision, action, missing)}"
    )


def kms_denied(
    caller: Caller, key_arn: str, decision: Decision, action: str = "kms:Decrypt", missing: str | None = None
) -> AccessDeniedError:
    """What DynamoDB answers when KMS refuses what it does with a table's key as the caller."""
    return AccessDeniedError(
        f"KMS key access denied error: User: {caller.caller_arn} is not authorized to perform: "
        f"{action} on resource: {key_arn} {_because(decision, action, missing)} "
        "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
    )


def _missing_across_accounts(request: Request, identity: tuple[NamedPolicy, ...]) -> str | None:
    """Which policy type is missing when a principal of another account is implicitly denied: the identity
    policies when none of them allows, else the resource's policy; None within one account (the default)."""
    if not request.cross_account:
        return None
    # The identity policies read on their own: the same request as if the resource were the caller's.
    own_side = dataclasses.replace(request, resource_account="")
    return RESOURCE_BASED if authorize_identity(own_side, identity).allowed else IDENTITY_BASED


def key_unusable(key_id: str, key: KeyAccess | None) -> ValidationError:
    state = "does not exist" if key is None else f"is {key.state}"
    return ValidationError(
        f"The table's KMS key {key.arn if key else key_id} {state}: the table's data is "
        f"inaccessible ({INACCESSIBLE_TABLE_STATUS}) until the key is usable again"
    )


# -- the caller's own condition keys -------------------------------------------------------------------


def caller_keys(caller: Caller) -> dict[str, str]:
    """The condition keys a request carries by the kind of credentials that signed it.

    aws:MultiFactorAuthPresent "is included in the request context only when the principal uses temporary
    credentials to make the request. The key is not present in AWS CLI, AWS API, or AWS SDK requests that
    are made using long-term credentials", and aws:MultiFactorAuthAge "is included in the request context
    only if the principal making the call was authenticated using MFA" (the IAM User Guide, AWS global
    condition context keys, reference_policies_condition-keys.html). moto's STS keeps no record of an MFA
    device used with AssumeRole (SerialNumber and TokenCode are dropped), and its GetSessionToken hands out
    fixed example credentials the emulator never honours: every session the emulator honours is an
    AssumeRole session, taken as one obtained without MFA ("false", no age). A policy that asks for MFA
    therefore never lets a sandbox caller in; it never lets in one it would refuse on AWS.
    """
    return {MFA_CONDITION_KEY: "false"} if caller.temporary else {}


# The answer KMS gives a key policy under which its caller could not change the key policy again: the
# PutKeyPolicy and CreateKey API references ("The key policy must allow the calling principal to make a
# subsequent PutKeyPolicy request on the KMS key ... To omit this condition, set
# BypassPolicyLockoutSafetyCheck to true"), key-policy-default.html#prevent-unmanageable-key; the message
# as KMS words it (MalformedPolicyDocumentException).
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."
LOCKOUT_CHECKED = frozenset({"CreateKey", "PutKeyPolicy", "ReplicateKey"})
# The key a CreateKey would make, for the lockout check: its ARN is not known yet, and a key policy names
# its own key only as "*".
NEW_KEY_ID = "00000000-0000-0000-0000-000000000000"


# -- decisions ---------------------------------------------------------------------------------------


def trust_decision(account_id: str, caller: Caller, role_arn: str) -> Decision:
    """May the caller assume the role? Its trust policy decides, delegating to IAM when it names the account.

    moto compares the trust policy's principal with the caller's ARN literally,
    so a role trusting the account root (the usual way) could not be assumed. The role is read in
    the account its ARN names (`account_id` when it names none), the caller's identity policies in
    the caller's: a role of another account needs its trust policy and the caller's policies both.
    """
    role_account = arn_account(role_arn) or account_id
    request = Request(
        caller.identity_arn,
        "sts:AssumeRole",
        role_arn,
        caller.account_id,
        context={
            "aws:PrincipalArn": caller.identity_arn,
            "aws:PrincipalAccount": caller.account_id,
            **caller_keys(caller),
        },
        caller_arn=caller.caller_arn,
        resource_account=role_account,
    )
    identity = read_identity_policies(caller.account_id).get(caller.identity_arn, ())
    return authorize_resource(request, read_trust_policy(role_account, role_arn), identity)


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


@dataclass(frozen=True)
class LiveView:
    """What a decision sees with no propagation delay: each key and principal read when asked, now."""

    account_id: str
    region: str

    def key(self, key_id: str) -> KeyAccess | None:
        return read_key(self.account_id, self.region, key_id)

    def policies(self, identity_arn: str) -> tuple[NamedPolicy, ...]:
        return read_policies_of(self.account_id, identity_arn)


Lookup = View | LiveView


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
    # The Authorities of the emulator's other regions (replicas.py) and accounts, by (account, region),
    # made on first use; `home` is the emulator's own, which records every change for all of them.
    regional: dict[tuple[str, str], Authority] = field(default_factory=dict, repr=False)
    home: Authority | None = field(default=None, repr=False)
    # Every account the emulator serves (the home account first); () for the home account alone.
    accounts: tuple[str, ...] = ()

    @property
    def served_accounts(self) -> tuple[str, ...]:
        root = self.home or self
        return root.accounts or (root.account_id,)

    def in_region(self, region: str) -> Authority:
        """The Authority of a request in `region`: that region's keys, tables and ARNs, the same identities,
        delay and clock; its history starts with the identities' history so far."""
        return self.of(self.account_id, region)

    def of(self, account_id: str, region: str) -> Authority:
        """The Authority of `account_id` in `region`: that account's keys, tables, identities and ARNs there."""
        if self.home is not None:
            return self.home.of(account_id, region)
        if (account_id, region) == (self.account_id, self.region):
            return self
        with self.lock:
            other = self.regional.get((account_id, region))
            if other is None:
                history: list[tuple[float, AccessState]] = []
                if account_id == self.account_id:
                    history = [(at, AccessState({}, state.identity_policies)) for at, state in self.history]
                other = Authority(account_id, region, self.delay, self.clock, history, home=self)
                self.regional[(account_id, region)] = other
            return other

    def record_change(self) -> None:
        if self.delay > 0:
            state = read_state(self.account_id, self.region)
            with self.lock:
                self.history.append((self.clock(), state))
                others = list(self.regional.values())
            for other in others:
                other.record_change()

    def view(self) -> View | LiveView:
        if self.delay <= 0:
            return LiveView(self.account_id, self.region)
        now = read_state(self.account_id, self.region)
        with self.lock:
            return View(now, self.clock() - self.delay, tuple(self.history))

    def key_access(self, key_id: str) -> KeyAccess | None:
        return self.view().key(key_id)

    def table_key_id(self, table_name: str) -> str | None:
        """Id of the customer-managed key a table is encrypted with, or None."""
        return table_key_id(self.account_id, self.region, table_name)

    def refusal(self, caller: Caller, actions: Iterable[TableAccess]) -> AwsError | None:
        """The error AWS answers if the caller may not run this data-plane call, else None.

        As AWS: IAM on each DynamoDB action first (on the index's ARN for a read of an
        index), then kms:Decrypt on each table's key.
        """
        view = self.view()
        identity = self._identity(caller, view)
        pairs = [(table_name_of(access.table), access.action, access.index) for access in actions]
        for name, action, index in dict.fromkeys(pairs):
            arn = table_arn(PARTITION, self.region, self.account_id, name) + (f"/index/{index}" if index else "")
            refused = self._iam(caller, identity, action, arn)
            if refused is not None:
                return refused
        for name in dict.fromkeys(name for name, _, _ in pairs):
            refused = self._table_data(caller, view, identity, name, self.table_key_id(name))
            if refused is not None:
                return refused
        return None

    def decide(self, caller: Caller, call: Call) -> AwsError | Verdict:
        """A control-plane request judged on its real resources (rules.needs): refused, authorized, or not mapped."""
        found = needs(call, Place(PARTITION, self.region, self.account_id))
        if found is None:
            return Verdict.NOT_MAPPED
        view = self.view()
        identity = self._identity(caller, view)
        for need in found:
            refused = self._judge(need, caller, view, identity)
            if refused is not None:
                return refused
        return self._lifecycle(call) or _scaling_policy_refusal(call) or Verdict.AUTHORIZED

    def _lifecycle(self, call: Call) -> AwsError | None:
        """What the state of the key a lifecycle call names refuses, once the caller may make the call: the
        key's state now (it is the key's own, not a permission that propagates)."""
        if call.service.name != "kms" or f"kms:{call.operation}" not in LIFECYCLE_ACTIONS:
            return None
        key_id = key_id_of(self.account_id, self.region, str(call.params.get("KeyId", "")))
        key = read_key(self.account_id, self.region, key_id) if key_id is not None else None
        if key is None:
            return None
        return lifecycle_refusal(f"kms:{call.operation}", call.params, key.arn, key.state)

    def lockout_refusal(self, caller: Caller, call: Call) -> AwsError | None:
        """KMS's lockout safety check: a key policy (CreateKey, PutKeyPolicy, ReplicateKey) under which the
        caller could not call PutKeyPolicy on the key afterwards is refused, unless the request sets
        BypassPolicyLockoutSafetyCheck. Judged by the evaluator, from the new policy and the caller's identity
        policies (a grant cannot allow PutKeyPolicy). A request without a policy gets KMS's default policy,
        which delegates to the account: not checked."""
        if call.service.name != "kms" or call.operation not in LOCKOUT_CHECKED:
            return None
        text = call.params.get("Policy")
        if call.params.get(BYPASS_LOCKOUT_PARAMETER) is True or not isinstance(text, str):
            return None
        try:
            policy = json.loads(text)
        except ValueError:
            return None  # refused as malformed already (policy_documents)
        region, key_id = self.region, NEW_KEY_ID
        if call.operation == "PutKeyPolicy":
            found = key_id_of(self.account_id, self.region, str(call.params.get("KeyId", "")))
            key_id = found or key_id
        elif call.operation == "ReplicateKey":
            region = str(call.params.get("ReplicaRegion") or region)
            key_id = key_id_of(self.account_id, self.region, str(call.params.get("KeyId", ""))) or key_id
        key_arn = f"arn:{PARTITION}:kms:{region}:{self.account_id}:key/{key_id}"
        identity = self._identity(caller, self.view())
        context = {"kms:CallerAccount": caller.account_id}
        decision = authorize_kms(self._request(caller, "kms:PutKeyPolicy", key_arn, context), policy, identity)
        return None if decision.allowed else MalformedPolicyDocumentError(LOCKOUT_MESSAGE)

    def _identity(self, caller: Caller, view: Lookup) -> tuple[NamedPolicy, ...]:
        """The caller's identity policies, read in the caller's own account (as late as the delay says)."""
        if caller.account_id == self.account_id:
            return view.policies(caller.identity_arn)
        return self.of(caller.account_id, self.region).view().policies(caller.identity_arn)

    def _request(
        self, caller: Caller, action: str, resource: str, context: Context | None = None, **facts: object
    ) -> Request:
        """A request of the caller on a resource of this Authority's account, with the caller's own keys."""
        return Request(
            caller.identity_arn,
            action,
            resource,
            caller.account_id,
            context={**caller_keys(caller), **(context or {})},
            caller_arn=caller.caller_arn,
            resource_account=self.account_id,
            **facts,  # type: ignore[arg-type]
        )

    # -- the needs ------------------------------------------------------------------------------

    def _judge(self, need: Need, caller: Caller, view: Lookup, identity: tuple[NamedPolicy, ...]) -> AwsError | None:
        if isinstance(need, Iam):
            return self._iam(caller, identity, need.action, need.resource, need.context)
        if isinstance(need, Key):
            return self._key(need, caller, view, identity)
        if isinstance(need, AssumeRole):
            try:
                decision = trust_decision(self.account_id, caller, need.role_arn)
            except Exception:
                decision = Decision(False, f"denied: no role {need.role_arn}")
            return None if decision.allowed else iam_denied(caller, "sts:AssumeRole", need.role_arn, decision)
        if need.iterator:
            stream = stream_data(self.account_id, self.region, need.iterator)
            if stream is None:
                return ValidationError("Invalid ShardIterator: it does not name a shard iterator of this account")
            refused = self._iam(caller, identity, "dynamodb:GetRecords", stream.stream_arn)
            return refused or self._table_data(caller, view, identity, stream.table_name, stream.key_id)
        if need.backup:
            backup = backup_data(self.account_id, self.region, need.backup)
            if backup is None:
                return None  # moto answers BackupNotFoundException
            return self._table_data(caller, view, identity, backup.table_name, backup.key_id)
        return self._table_data(caller, view, identity, need.table, self.table_key_id(need.table))

    def _iam(
        self,
        caller: Caller,
        identity: tuple[NamedPolicy, ...],
        action: str,
        resource: str,
        context: Context | None = None,
    ) -> AwsError | None:
        """IAM as AWS decides it: identity policies, and the table's (or stream's) resource policy when it has
        one: in the same account either one allowing suffices, an explicit Deny in either wins."""
        request = self._request(caller, action, resource, context)
        policy = resource_policy(self.account_id, self.region, resource) if action.startswith("dynamodb:") else None
        if policy is not None:
            decision = authorize_resource(request, policy, identity, kind=TABLE_POLICY)
            missing = _missing_across_accounts(request, identity)
            return None if decision.allowed else iam_denied(caller, action, resource, decision, missing)
        if request.cross_account:
            # Across accounts a resource without a resource policy lets nobody in, whatever the caller's
            # own policies say: "both must allow" (cross-account policy evaluation logic).
            refused = Decision(False, f"denied: {resource} has no resource-based policy")
            return iam_denied(caller, action, resource, refused, RESOURCE_BASED)
        decision = authorize_identity(request, identity)
        return None if decision.allowed else iam_denied(caller, action, resource, decision)

    def _key(self, need: Key, caller: Caller, view: Lookup, identity: tuple[NamedPolicy, ...]) -> AwsError | None:
        if need.key and not need.alias_allowed and is_alias(need.key):
            # The parameter takes a key id or key ARN only: KMS finds no key by an alias (moto's wording).
            return NotFoundError(f"Invalid keyId {need.key}")
        key_id = key_id_of(self.account_id, self.region, need.key) if need.key else ciphertext_key_id(need.ciphertext)
        key = view.key(key_id) if key_id is not None else None
        if key is None:
            named = need.key or "the ciphertext's key"
            return NotFoundError(f"Key '{named}' does not exist" if need.key else f"{named} does not exist")
        context: dict[str, str | bool | Sequence[str]] = {
            **need.context,
            "kms:CallerAccount": caller.account_id,
            "kms:EncryptionContextKeys": sorted(need.encryption_context),
            **{f"kms:EncryptionContext:{k}": v for k, v in need.encryption_context.items()},
        }
        if need.via_dynamodb:
            context["kms:ViaService"] = dynamodb_via_service(self.region)
        request = self._request(
            caller, need.action, key.arn, context=context, encryption_context=need.encryption_context
        )
        decision = authorize_kms(request, key.policy, identity, key.grants)
        if decision.allowed:
            return None
        missing = _missing_across_accounts(request, identity)
        if need.via_dynamodb:
            return kms_denied(caller, key.arn, decision, need.action, missing)
        return iam_denied(caller, need.action, key.arn, decision, missing)

    def _table_data(
        self, caller: Caller, view: Lookup, identity: tuple[NamedPolicy, ...], table_name: str, key_id: str | None
    ) -> AwsError | None:
        """kms:Decrypt through DynamoDB, as the caller, on the key of a table's data (None: not a CMK)."""
        if key_id is None:
            return None  # AWS-owned or AWS-managed key: not this boundary
        key = view.key(key_id)
        if key is None or key.state != USABLE_KEY_STATE:
            self.inaccessible_since.setdefault(key_id, time.time())
            return key_unusable(key_id, key)
        # As the caller, with the table's encryption context (subscriberId: the table's own account).
        request = dynamodb_decrypt_request(
            principal_arn=caller.identity_arn,
            caller_arn=caller.caller_arn,
            key_arn=key.arn,
            table_name=table_name,
            region=self.region,
            account_id=caller.account_id,
            resource_account=self.account_id,
        )
        request = dataclasses.replace(request, context={**request.context, **caller_keys(caller)})
        decision = authorize_kms(request, key.policy, identity, key.grants)
        if decision.allowed:
            return None
        return kms_denied(caller, key.arn, decision, missing=_missing_across_accounts(request, identity))


def _scaling_policy_refusal(call: Call) -> AwsError | None:
    """Application Auto Scaling takes only target tracking for DynamoDB: PutScalingPolicy's PolicyType
    "StepScaling—Not supported for DynamoDB, ...", "PredictiveScaling—Only supported for Amazon ECS"
    (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html). moto takes
    any type. The message is the sandbox's own (AWS's exact wording is not documented)."""
    if call.service.name != "application-autoscaling" or call.operation != "PutScalingPolicy":
        return None
    if call.params.get("ServiceNamespace") != AUTOSCALING_NAMESPACE:
        return None
    kind = call.params.get("PolicyType")
    if kind == AUTOSCALING_POLICY_TYPE:
        return None
    return ValidationError(
        f"PolicyType {kind!r} is not supported for the {AUTOSCALING_NAMESPACE} namespace; use {AUTOSCALING_POLICY_TYPE}"
    )
