"""Readers in other accounts (issue 19), judged: do the table's side and the key's side agree, and why was
a cross-account read refused? Pure: records in, findings out; the boto3 calls are external_probe.py's.

Across accounts, both the owner's resource and the consumer's identity must allow a request: "For
cross-account access, you must explicitly allow access in both the identity and resource policies"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-auth-iam-id-based-policies-DDB.html).
For an encrypted table there are three sides, then: the table's resource policy (per replica table:
resource policies are per resource, rbac-examples.html says a policy takes effect only on the resource
whose ARN it names), the key's policy or a grant of that region's key, and the consumer account's
identity policy. The first two the owner writes and the verifier reads; the third lives in the
consumer's account, and only a probe as the consumer shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from access.analyzers import external_principals
from access.arns import account_of, account_root_arn, is_account_principal, parse_principal_arn
from access.errors import ConfigError
from access.evaluator import Grant
from stack import outputs
from verify.findings import Finding
from verify.inputs import CannotRunError, ExternalPrincipal
from verify.probe import Attempt, Outcome

POLICIES_AGREE = "external.policies_agree"
EXTERNAL_PROBE = "boundary_probe.external"
CONSUMER_PROFILE_OPTION = "--consumer-profile"

# The sides, as findings name them.
TABLE_POLICY = "table policy"
STREAM_POLICY = "stream policy"
KEY_SIDE = "key policy or grant"
IDENTITY_POLICY = "identity policy in the consumer account"


def principal_check(check: str, principal: str) -> str:
    """A check about one external principal: `<check>[<principal>]`."""
    return f"{check}[{principal}]"


def canonical_principal(entry: str, partition: str) -> str:
    """One spelling per principal: a bare account id in a Principal element means the account's root
    (IAM User Guide, AWS JSON policy elements: Principal, "AWS account principals")."""
    if is_account_principal(entry) and account_of(entry) == entry:
        return account_root_arn(partition, entry)
    return entry


# -- the two sides the owner writes --------------------------------------------------------------------


@dataclass(frozen=True)
class PolicySides:
    """What one region holds for readers in other accounts: the table's (or replica's) resource policy,
    its stream's, the region's key policy and the key's grants. Each side's principals are read once: the
    agreement check asks per declared principal, the probe on every attempt."""

    region: str
    partition: str
    owner_account: str
    table_policy: Mapping[str, Any] | None
    key_policy: Mapping[str, Any]
    grants: tuple[Grant, ...]
    stream_arn: str = ""  # "" when the table has no stream
    stream_policy: Mapping[str, Any] | None = None

    def _named(self, document: Mapping[str, Any] | None, source: str) -> dict[str, list[str]]:
        if document is None:
            return {}
        found: dict[str, list[str]] = {}
        for principal, labels in external_principals(document, self.owner_account).items():
            found.setdefault(canonical_principal(principal, self.partition), []).extend(
                f"{source} statement {label}" for label in labels
            )
        return found

    @functools.cached_property
    def table_side(self) -> dict[str, list[str]]:
        return self._named(self.table_policy, TABLE_POLICY)

    @functools.cached_property
    def stream_side(self) -> dict[str, list[str]]:
        return self._named(self.stream_policy, STREAM_POLICY)

    @functools.cached_property
    def key_policy_side(self) -> dict[str, list[str]]:
        return self._named(self.key_policy, "key policy")

    @functools.cached_property
    def grant_side(self) -> dict[str, list[str]]:
        """Grantees of another account (a grant names one principal; an account id means its root)."""
        found: dict[str, list[str]] = {}
        for grant in self.grants:
            account = account_of(grant.grantee_principal)
            if account is not None and account != self.owner_account:
                grantee = canonical_principal(grant.grantee_principal, self.partition)
                found.setdefault(grantee, []).append(f"grant {grant.grant_id}")
        return found


def _key_side(sides: PolicySides, declared: ExternalPrincipal) -> tuple[list[str], list[str]]:
    """(what lets it in on the key side, in the declared mode; what names it in the other mode)."""
    by_policy = sides.key_policy_side.get(declared.principal, [])
    by_grant = sides.grant_side.get(declared.principal, [])
    if declared.key_access == "grant":
        return by_grant, by_policy
    return by_policy, by_grant


def judge_agreement(sides: PolicySides, declared: Sequence[ExternalPrincipal], prefix: str = "") -> list[Finding]:
    """For each declared external principal, in this region: the table policy names it, and so does the
    key side its keyAccess declares (a key policy statement, or a grant: "pass a grant principal only when
    a grant exists for it"); its stream's policy too when it reads the stream and there is one. A side
    that names it alone is a FAIL naming the principal, the missing side and the region. External
    principals nobody declared are the audit's (audit.other_account)."""
    table_side, stream_side = sides.table_side, sides.stream_side
    found: list[Finding] = []
    for external in declared:
        check = principal_check(f"{prefix}{POLICIES_AGREE}", external.principal)
        on_key, other_mode = _key_side(sides, external)
        present = [*table_side.get(external.principal, []), *on_key]
        missing: list[str] = []
        if external.principal not in table_side:
            missing.append(TABLE_POLICY)
        if not on_key:
            expected = "a KMS grant" if external.key_access == "grant" else "a key policy statement"
            besides = f"; only {', '.join(other_mode)}, not the declared mode" if other_mode else ""
            missing.append(f"{KEY_SIDE} (keyAccess {external.key_access}: expected {expected}{besides})")
        if external.stream and sides.stream_arn:
            if external.principal in stream_side:
                present += stream_side[external.principal]
            else:
                missing.append(f"{STREAM_POLICY} of {sides.stream_arn}")
        if not missing:
            found.append(
                Finding.passed(check, f"in {sides.region}: {external.principal} let in by {', '.join(present)}").about(
                    principal=external.principal, statement=", ".join(present)
                )
            )
            continue
        seen = f"in {sides.region}: {external.principal} is missing from the {'; and from the '.join(missing)}" + (
            f"; named only by {', '.join(present)}" if present else "; named on neither side"
        )
        found.append(
            Finding.failed(
                check,
                seen,
                "EncryptedTable writes both sides for each external principal (table policy per region, key "
                "policy statement or grant per region's key): run `pulumi up`, and look for a side edited "
                "outside the stack",
            ).about(principal=external.principal, statement=", ".join(present))
        )
    return found


# -- why a cross-account read was refused --------------------------------------------------------------

# AWS's wording of an implicit deny (IAM User Guide, troubleshoot access denied error messages,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): "... because no
# resource-based policy allows the <action> action" / "because no identity-based policy allows ...";
# an explicit one: "... with an explicit deny in a resource-based policy" (or identity-based).
_NO_RESOURCE_POLICY = "no resource-based policy allows"
_NO_IDENTITY_POLICY = "no identity-based policy allows"
_EXPLICIT_DENY = "with an explicit deny in"


def refused_side(attempt: Attempt) -> str | None:
    """Which side a refusal says is missing: KMS (the key side), DynamoDB's resource policy (the table
    policy) or the caller's identity policy; None for anything else (a read, no credentials yet, ...).
    KMS first: DynamoDB's KMS refusal quotes KMS's own message, which says "resource-based" too."""
    if attempt.outcome is Outcome.KMS_DENIED:
        return KEY_SIDE
    if attempt.outcome is not Outcome.IAM_DENIED:
        return None
    if _NO_RESOURCE_POLICY in attempt.detail:
        return TABLE_POLICY
    if _NO_IDENTITY_POLICY in attempt.detail:
        return IDENTITY_POLICY
    if _EXPLICIT_DENY in attempt.detail:
        return "an explicit Deny (" + attempt.detail.split(_EXPLICIT_DENY, 1)[1].strip(" .") + ")"
    return None


def refusal_advice(external: ExternalPrincipal, side: str | None, region: str) -> str:
    """What to do about a refused read, by the side the refusal names."""
    if side == KEY_SIDE:
        where = "a statement in the key policy" if external.key_access == "key-policy" else "a KMS grant"
        return (
            f"refused by KMS: the key side is missing for {external.principal} in {region} ({where}, "
            "keyAccess " + external.key_access + "); run `pulumi up` and see external.policies_agree"
        )
    if side == TABLE_POLICY:
        return (
            f"refused by DynamoDB: no resource-based policy of the table in {region} lets {external.principal} "
            "in (the table policy is missing its statement); run `pulumi up` and see external.policies_agree"
        )
    if side == IDENTITY_POLICY:
        policy = external.consumer_policy or (
            f"the output {outputs.EXTERNAL_PRINCIPALS}[].{outputs.EXTERNAL_CONSUMER_POLICY} of this stack"
        )
        return (
            f"refused because no identity-based policy of account {external.account} allows it: attach to "
            f"{external.principal} (in its account) this identity policy: {policy}"
        )
    if side is not None:
        return f"refused by {side}: remove the Deny, or declare the principal denied"
    return "the read did not settle: check the profile's credentials and the role's trust policy, and wait"


# -- which credentials probe as which external principal -----------------------------------------------


def consumer_profile(text: str) -> tuple[str, str]:
    """--consumer-profile NAME=PROFILE: NAME an external principal's ARN or a 12-digit account id."""
    name, equals, profile = text.partition("=")
    name, profile = name.strip(), profile.strip()
    if not equals or not name or not profile:
        raise ValueError(f"{CONSUMER_PROFILE_OPTION} {text!r}: expected PRINCIPAL_ARN=PROFILE or ACCOUNT_ID=PROFILE")
    if account_of(name) == name:
        return name, profile
    try:
        parse_principal_arn(CONSUMER_PROFILE_OPTION, name)
    except ConfigError:
        raise ValueError(
            f"{CONSUMER_PROFILE_OPTION} {text!r}: {name!r} is neither a 12-digit account id nor an IAM role, "
            "user or account root ARN"
        ) from None
    return name, profile


def profiles_for(pairs: Sequence[tuple[str, str]], declared: Sequence[ExternalPrincipal]) -> dict[str, str]:
    """Declared principal ARN -> the profile to probe as it. A principal's own ARN wins over its account
    id; a NAME that matches no declared external principal cannot run (exit 2): a typo would otherwise
    leave the principal unprobed while the run looks complete."""
    by_principal: dict[str, str] = {}
    by_account: dict[str, str] = {}
    for name, profile in pairs:
        if account_of(name) == name:
            if not any(e.account == name for e in declared):
                raise CannotRunError(
                    f"{CONSUMER_PROFILE_OPTION} {name}={profile}: no external principal of account {name} is "
                    f"declared (output {outputs.EXTERNAL_PRINCIPALS}: {_declared(declared)})"
                )
            by_account[name] = profile
        else:
            if not any(e.principal == name for e in declared):
                raise CannotRunError(
                    f"{CONSUMER_PROFILE_OPTION} {name}={profile}: {name} is not a declared external principal "
                    f"(output {outputs.EXTERNAL_PRINCIPALS}: {_declared(declared)})"
                )
            by_principal[name] = profile
    found: dict[str, str] = {}
    for external in declared:
        chosen = by_principal.get(external.principal) or by_account.get(external.account)
        if chosen:
            found[external.principal] = chosen
    return found


def _declared(declared: Sequence[ExternalPrincipal]) -> str:
    return ", ".join(e.principal for e in declared) or "none"
