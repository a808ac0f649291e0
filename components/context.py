"""Where a component is being deployed: account, partition, region, deployer.

The invokes run under the component (parent=self), so they use the same
provider, and therefore the same account and region, as its children. Their
answers are the same for every component under one provider, so they are made
once per provider per program run (cached on the run's root stack resource):
a program with hundreds of tables would otherwise make four invokes per component.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi.runtime.settings import get_root_resource


@dataclass(frozen=True)
class DeployContext:
    """The partition, region and account of access.arns.Location, and the deployer, as Pulumi Outputs:
    known once the provider answers, so a record of its own, not a Location of plain strings."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]
    # The deploying identity as a principal a key policy may name: for an STS
    # session, the IAM role behind it (with its path), not the session ARN.
    deployer_arn: pulumi.Output[str]


_CACHE_ATTRIBUTE = "_encrypted_dynamodb_deploy_contexts"


def deploy_context(parent: pulumi.Resource) -> DeployContext:
    provider = parent.get_provider("aws:index:getCallerIdentity")  # None: the default provider
    root = get_root_resource()
    cache: dict[pulumi.ProviderResource | None, DeployContext] | None = None
    if root is not None:
        cache = getattr(root, _CACHE_ATTRIBUTE, None)
        if cache is None:
            cache = {}
            setattr(root, _CACHE_ATTRIBUTE, cache)
        if provider in cache:
            return cache[provider]
    context = _ask(parent)
    if cache is not None:
        cache[provider] = context
    return context


def _ask(parent: pulumi.Resource) -> DeployContext:
    opts = pulumi.InvokeOutputOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=opts)
    partition = aws.get_partition_output(opts=opts)
    region = aws.get_region_output(opts=opts)
    session = aws.iam.get_session_context_output(arn=identity.arn, opts=opts)
    return DeployContext(
        account_id=identity.account_id,
        partition=partition.partition,
        region=region.region,
        deployer_arn=session.issuer_arn,
    )
