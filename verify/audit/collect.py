"""Collect: the live account, read with paged, read-only calls, into an AccountSnapshot.

IAM comes from GetAccountAuthorizationDetails (paged): every user with its groups, every
role, every group, and every managed policy's default version, inline and attached
policies included, in a few calls however many principals there are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from access.arns import parse_table_arn
from access.documents import NamedPolicy, parse_document, parse_policy
from access.evaluator import Grant
from verify.audit.model import AccountSnapshot, KeyGrant, Principal
from verify.failures import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient

AUTHORIZATION_FILTER: list[str] = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
NO_RESOURCE_POLICY = frozenset({"PolicyNotFoundException", "ResourceNotFoundException"})


def _document(raw: Any) -> Mapping[str, Any]:
    # boto3 decodes IAM policy documents; an emulator may hand back the URL-encoded text.
    if isinstance(raw, str):
        return parse_document(unquote(raw))
    return parse_document(raw)


def _inline(kind: str, owner: str, listed: list[Any]) -> list[NamedPolicy]:
    return [
        NamedPolicy(f"inline policy {p['PolicyName']} of {kind} {owner}", _document(p["PolicyDocument"]))
        for p in listed
    ]


def authorization_details(iam: IAMClient) -> Iterator[Mapping[str, Any]]:
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=AUTHORIZATION_FILTER  # type: ignore[arg-type]
    )
    yield from pages


def collect_principals(iam: IAMClient) -> tuple[Principal, ...]:
    users: list[Mapping[str, Any]] = []
    roles: list[Mapping[str, Any]] = []
    groups: dict[str, Mapping[str, Any]] = {}
    managed: dict[str, NamedPolicy] = {}
    for page in authorization_details(iam):
        users += page.get("UserDetailList", [])
        roles += page.get("RoleDetailList", [])
        groups.update({g["GroupName"]: g for g in page.get("GroupDetailList", [])})
        for policy in page.get("Policies", []):
            default = next(
                (v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")),
                (policy.get("PolicyVersionList") or [None])[0],
            )
            if default is not None:
                managed[policy["Arn"]] = NamedPolicy(
                    f"managed policy {policy.get('PolicyName') or policy['Arn'].rsplit('/', 1)[-1]}",
                    _document(default["Document"]),
                )

    def attached(detail: Mapping[str, Any]) -> list[NamedPolicy]:
        return [managed[a["PolicyArn"]] for a in detail.get("AttachedManagedPolicies", []) if a["PolicyArn"] in managed]

    group_policies = {
        name: [*_inline("group", name, g.get("GroupPolicyList", [])), *attached(g)] for name, g in groups.items()
    }
    found: list[Principal] = []
    for role in roles:
        policies = [*_inline("role", role["RoleName"], role.get("RolePolicyList", [])), *attached(role)]
        trust = role.get("AssumeRolePolicyDocument")
        found.append(
            Principal(
                role["Arn"],
                "role",
                role["RoleName"],
                role.get("RoleId", ""),
                tuple(policies),
                trust_policy=_document(trust) if trust else None,
            )
        )
    for user in users:
        member_of = tuple(user.get("GroupList", []))
        policies = [*_inline("user", user["UserName"], user.get("UserPolicyList", [])), *attached(user)]
        for group in member_of:
            policies += group_policies.get(group, [])
        found.append(
            Principal(user["Arn"], "user", user["UserName"], user.get("UserId", ""), tuple(policies), member_of)
        )
    return tuple(found)


def collect_grants(kms: KMSClient, key_arn: str) -> tuple[KeyGrant, ...]:
    grants: list[KeyGrant] = []
    for page in kms.get_paginator("list_grants").paginate(KeyId=key_arn):
        for g in page.get("Grants", []):
            grants.append(
                KeyGrant(
                    Grant(
                        g.get("GrantId", ""),
                        g.get("GranteePrincipal", ""),
                        tuple(g.get("Operations", [])),
                        {k: {**v} for k, v in (g.get("Constraints") or {}).items() if isinstance(v, Mapping)},
                    ),
                    g.get("RetiringPrincipal", ""),
                    g.get("Name", ""),
                )
            )
    return tuple(grants)


def collect_table_policy(dynamodb: DynamoDBClient, table_arn: str) -> Mapping[str, Any] | None:
    try:
        text = dynamodb.get_resource_policy(ResourceArn=table_arn).get("Policy")
    except ClientError as error:
        if error_code(error) in NO_RESOURCE_POLICY:
            return None
        raise
    return parse_policy(text, "table resource policy").document if text else None


def collect_table_shape(dynamodb: DynamoDBClient, table_arn: str) -> tuple[str | None, tuple[str, ...]]:
    """The table's latest stream (readable for 24 hours after it is turned off) and its index names."""
    try:
        table = dynamodb.describe_table(TableName=table_arn)["Table"]
    except ClientError as error:
        if error_code(error) in NO_RESOURCE_POLICY:  # no table: the checks say so; nothing to add here
            return None, ()
        raise
    indexes = [*table.get("GlobalSecondaryIndexes", []), *table.get("LocalSecondaryIndexes", [])]
    return table.get("LatestStreamArn"), tuple(i["IndexName"] for i in indexes)


def collect_snapshot(
    dynamodb: DynamoDBClient,
    kms: KMSClient,
    iam: IAMClient,
    *,
    table_arn: str,
    key_arn: str,
    principals: tuple[Principal, ...] | None = None,
) -> AccountSnapshot:
    """The table's region (its clients, `dynamodb` and `kms`) and the account's principals: IAM is
    global, so a caller auditing several regions collects them once and passes `principals`."""
    table = parse_table_arn("tableArn", table_arn)
    stream_arn, index_names = collect_table_shape(dynamodb, table_arn)
    return AccountSnapshot(
        account_id=table.account,
        partition=table.partition,
        region=table.region,
        table_name=table.name,
        table_arn=table_arn,
        key_arn=key_arn,
        key_policy=parse_document(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]),
        grants=collect_grants(kms, key_arn),
        principals=collect_principals(iam) if principals is None else principals,
        table_policy=collect_table_policy(dynamodb, table_arn),
        stream_arn=stream_arn,
        # A stream has a resource policy of its own (access-control-resource-based.html).
        stream_policy=collect_table_policy(dynamodb, stream_arn) if stream_arn else None,
        index_names=index_names,
    )
