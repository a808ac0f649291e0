"""ConsumerAccess: attach an external principal's identity policy in ITS account (the consumer's side).

Cross-account access to an EncryptedTable needs both sides: the owner's table resource policy and key
policy (or grant) name the principal, and the principal's own account allows it the same actions
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
EncryptedTable.consumer_policies has that second document; this component attaches it, through the
provider the program passes in `opts` (credentials of the consumer account, e.g.
`aws.Provider(profile=..., allowed_account_ids=[<consumer account>])`).
"""

from typing import TypedDict

import pulumi
import pulumi_aws as aws

from access.arns import parse_principal_arn
from access.errors import ConfigError
from components.key_user import identity_policy_resource
from components.validation import require_plain_or_output

TOKEN = "encrypted-dynamodb:index:ConsumerAccess"  # noqa: S105 (a Pulumi type token, not a secret)


class ConsumerAccessArgs(TypedDict):
    """Arguments of a ConsumerAccess."""

    principal_arn: str
    """The role or user of the consumer account (an external principal of the table); known before deploy."""
    policy: pulumi.Input[str]
    """The identity policy JSON to attach (EncryptedTable.consumer_policies[principal_arn])."""


def consumer_principal_kind(principal_arn: object) -> str:
    """'role' or 'user': the kind of principal the policy is attached to; ConfigError for an account, which
    has nothing to attach a policy to (its administrators delegate to their own principals)."""
    parsed = parse_principal_arn("principal_arn", principal_arn)
    if parsed.kind == "root":
        raise ConfigError(
            "principal_arn",
            f"{parsed.arn!r} is a whole account: there is no principal to attach a policy to; its administrators "
            "attach the consumer policy to the principals they choose",
            "a role or user ARN of the consumer account",
        )
    return parsed.kind


class ConsumerAccess(pulumi.ComponentResource):
    """The consumer account's half of a cross-account reader: its identity policy on the table and keys."""

    principal_arn: pulumi.Output[str]
    """The principal the policy is attached to."""
    policy_name: pulumi.Output[str]
    """Name of the inline policy attached to the role or user."""

    def __init__(self, name: str, args: ConsumerAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """opts.provider: a provider of the CONSUMER account; the children use it (they inherit it from this
        component), never the owner's default provider."""
        kind = consumer_principal_kind(args.get("principal_arn"))  # before anything is registered
        require_plain_or_output("policy", args.get("policy"), str, "an identity policy JSON string")
        super().__init__(TOKEN, name, None, opts)
        self.principal_arn = pulumi.Output.from_input(args["principal_arn"])
        self.attachment: aws.iam.RolePolicy | aws.iam.UserPolicy = identity_policy_resource(
            f"{name}-policy",
            kind,
            self.principal_arn,
            pulumi.Output.from_input(args["policy"]),
            pulumi.ResourceOptions(parent=self),
        )
        self.policy_name = self.attachment.name
        self.register_outputs({"principal_arn": self.principal_arn, "policy_name": self.policy_name})
