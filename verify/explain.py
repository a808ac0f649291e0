"""Why did the boundary probe go the wrong way? Ask the policy evaluator, on the live policies.

Reads what decides kms:Decrypt for the test principal through DynamoDB — the
key policy, the key's grants, and the principal's inline, attached and group
policies — with the same read-only API calls on AWS and in the sandbox, and
names the statement or grant that decided. An explanation, not a verdict: the
probe's real GetItem stays the authority (SCPs, permission boundaries and
session policies are not read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from access.arns import parse_principal_arn
from access.documents import NamedPolicy, parse_policy
from access.evaluator import Decision, Grant, authorize_kms, dynamodb_decrypt_request

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def key_grants(kms: KMSClient, key_arn: str) -> list[Grant]:
    return [
        Grant(
            g["GrantId"],
            g.get("GranteePrincipal", ""),
            tuple(g.get("Operations", [])),
            dict(g.get("Constraints") or {}),
        )
        for g in _pages(kms, "list_grants", "Grants", KeyId=key_arn)
    ]


def _managed(iam: IAMClient, arn: str) -> NamedPolicy:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return parse_policy(document, f"managed policy {arn.rsplit('/', 1)[-1]}")


def identity_policies(iam: IAMClient, principal_arn: str) -> list[NamedPolicy]:
    """Inline and attached policies of a role, or of a user and its groups."""
    principal = parse_principal_arn("principal_arn", principal_arn)
    found: list[NamedPolicy] = []
    owners: list[tuple[str, str]] = [(principal.kind, principal.name)]
    if principal.kind == "user":
        owners += [
            ("group", g["GroupName"]) for g in _pages(iam, "list_groups_for_user", "Groups", UserName=principal.name)
        ]
    for kind, name in owners:
        parameter = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
        for policy_name in _pages(iam, f"list_{kind}_policies", "PolicyNames", **{parameter: name}):
            document = getattr(iam, f"get_{kind}_policy")(**{parameter: name, "PolicyName": policy_name})[
                "PolicyDocument"
            ]
            found.append(parse_policy(document, f"inline policy {policy_name} of {kind} {name}"))
        for attached in _pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **{parameter: name}):
            found.append(_managed(iam, attached["PolicyArn"]))
    return found


def explain_decrypt(
    kms: KMSClient,
    iam: IAMClient,
    *,
    principal_arn: str,
    key_arn: str,
    table_name: str,
    region: str,
    account_id: str,
    caller_arn: str = "",
) -> Decision:
    """The evaluator's decision on kms:Decrypt through DynamoDB for this principal, from live policies.
    `caller_arn` names one session of a role (`principal_arn`): the statements and grants that name
    that session count too."""
    key_policy = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    request = dynamodb_decrypt_request(
        principal_arn=principal_arn,
        key_arn=key_arn,
        table_name=table_name,
        region=region,
        account_id=account_id,
        caller_arn=caller_arn,
    )
    return authorize_kms(
        request,
        parse_policy(key_policy, "key policy").document,
        identity_policies(iam, principal_arn),
        key_grants(kms, key_arn),
    )


def live_decision(kms: KMSClient, iam: IAMClient, **request: str) -> Decision | None:
    """explain_decrypt, or None when the policies cannot be read (a missing right is no finding)."""
    try:
        return explain_decrypt(kms, iam, **request)
    except (ClientError, BotoCoreError, ValueError):
        return None


def explained(kms: KMSClient, iam: IAMClient, **request: str) -> tuple[str, Decision | None]:
    """One line for the report, and the decision it reads (None when the policies could not be read);
    never raises for want of a permission to read the policies."""
    try:
        decision = explain_decrypt(kms, iam, **request)
    except (ClientError, BotoCoreError, ValueError) as error:
        return f"policy evaluator could not read the policies ({error})", None
    return f"policy evaluator: {decision.reason}", decision


def explanation(kms: KMSClient, iam: IAMClient, **request: str) -> str:
    """explained's line alone."""
    return explained(kms, iam, **request)[0]
