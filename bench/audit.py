"""The access audit at scale, in the sandbox: R roles, U users in G groups, K grants on the key.

Builds the account through the API (not measured), then measures `run_audit` end to end:
the paged collection of every principal and policy, the grants, and the judgement of both
layers for every principal on every path (the table's stream is on), with the assume-role
closure over chains of roles that may assume the next one.

Run as `python -m bench.audit ROLES USERS GROUPS GRANTS` in a fresh process; prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time

from access.documents import POLICY_VERSION
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from sandbox.harness import deploy
from stack import outputs
from verify.audit.run import run_audit
from verify.inputs import parse_outputs
from verify.run import Aws

READ_ONLY = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
CONFIG = {"testPrincipal": "role", "deletionProtection": "false", "grantTestPrincipal": "true"}


def _document(statement: dict[str, object]) -> str:
    return json.dumps({"Version": POLICY_VERSION, "Statement": [statement]})


def populate(emulator: Emulator, roles: int, users: int, groups: int, grants: int, key_arn: str, table: str) -> None:
    """An account shaped like a real one: most principals read DynamoDB, some hold inline policies."""
    iam, kms = emulator.client("iam"), emulator.client("kms")
    trust = _document(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
    )
    arns = []
    for index in range(roles):
        name = f"bench-role-{index:04d}"
        arns.append(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])
        if index % 2 == 0:
            iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
        if index % 10 == 3:  # chains of roles: this one may become the one before it
            iam.put_role_policy(
                RoleName=name,
                PolicyName="hop",
                PolicyDocument=_document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arns[-2]}),
            )
        if index % 5 == 0:
            iam.put_role_policy(
                RoleName=name,
                PolicyName="logs",
                PolicyDocument=_document({"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}),
            )
    for index in range(groups):
        iam.create_group(GroupName=f"bench-group-{index:02d}")
        iam.attach_group_policy(GroupName=f"bench-group-{index:02d}", PolicyArn=READ_ONLY)
    for index in range(users):
        name = f"bench-user-{index:04d}"
        iam.create_user(UserName=name)
        if groups:
            iam.add_user_to_group(GroupName=f"bench-group-{index % groups:02d}", UserName=name)
    emulator.client("dynamodb").update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    for index in range(grants):
        kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=arns[index % len(arns)],
            Operations=["Decrypt", "DescribeKey"],
            Constraints={"EncryptionContextSubset": {"aws:dynamodb:tableName": table}},
        )


def measure(roles: int, users: int, groups: int, grants: int) -> dict[str, float | int]:
    with Emulator() as emulator:
        out = deploy(Stack(emulator), CONFIG).outputs
        populate(emulator, roles, users, groups, grants, out[outputs.KEY_ARN], out[outputs.TABLE_NAME])
        start = time.perf_counter()
        result = run_audit(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out))
        seconds = time.perf_counter() - start
    chains = sum(len(row.assumable_by) for row in result.rows)
    return {"seconds": seconds, "principals": len(result.rows), "findings": len(result.findings), "chains": chains}


if __name__ == "__main__":
    print(json.dumps(measure(*(int(a) for a in sys.argv[1:5]))))
