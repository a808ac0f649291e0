"""ProbePrincipal: the walkthrough's test principal (a part of the stack program, not of the library).

An IAM role (or user) with the AWS managed AmazonDynamoDBReadOnlyAccess policy
and no KMS data permission: IAM lets it read the table, so whether it can
decrypt depends only on the key. The verifier probes the boundary as it.
"""

from __future__ import annotations

import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from access.arns import PRINCIPAL_KINDS
from components.context import deploy_context
from components.policy_builders import trust_account_policy
from components.validation import require_choice

TOKEN = "encrypted-dynamodb:index:ProbePrincipal"  # noqa: S105 (a Pulumi type token, not a secret)
READ_ONLY_POLICY = "AmazonDynamoDBReadOnlyAccess"


class ProbePrincipalArgs(TypedDict):
    """Arguments of a ProbePrincipal."""

    kind: NotRequired[str]
    """'role' (default; assumable by principals of the deploying account) or 'user' (with an access key)."""
    tags: NotRequired[pulumi.Input[dict[str, pulumi.Input[str]]]]
    """Tags for the role or user."""


class ProbePrincipal(pulumi.ComponentResource):
    """A principal with DynamoDB read-only rights and no KMS rights."""

    kind: str
    arn: pulumi.Output[str]
    """ARN of the role or user."""
    access_key_id: pulumi.Output[str] | None
    """Access key id (kind 'user')."""
    secret_access_key: pulumi.Output[str] | None
    """Secret access key (kind 'user'), always a Pulumi secret."""

    def __init__(self, name: str, args: ProbePrincipalArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self.kind = require_choice("kind", args.get("kind", "role"), PRINCIPAL_KINDS)
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        where = deploy_context(self)
        read_only_arn = where.partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{READ_ONLY_POLICY}")
        tags = args.get("tags")

        self.access_key_id = None
        self.secret_access_key = None
        if self.kind == "role":
            trust = pulumi.Output.all(where.partition, where.account_id).apply(
                lambda values: json.dumps(trust_account_policy(values[0], values[1]))
            )
            role = aws.iam.Role(
                f"{name}-role",
                assume_role_policy=trust,
                description="Test principal: DynamoDB read-only, no KMS permission",
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(f"{name}-read-only", role=role.name, policy_arn=read_only_arn, opts=child)
            self.arn = role.arn
        else:
            user = aws.iam.User(f"{name}-user", tags=tags, opts=child)
            aws.iam.UserPolicyAttachment(f"{name}-read-only", user=user.name, policy_arn=read_only_arn, opts=child)
            key = aws.iam.AccessKey(f"{name}-access-key", user=user.name, opts=child)
            self.arn = user.arn
            self.access_key_id = key.id
            # The provider marks it secret too; say so here so no path can leak it.
            self.secret_access_key = pulumi.Output.secret(key.secret)

        outputs: dict[str, pulumi.Output[str]] = {"arn": self.arn}
        if self.access_key_id is not None and self.secret_access_key is not None:
            outputs.update(access_key_id=self.access_key_id, secret_access_key=self.secret_access_key)
        self.register_outputs(outputs)
