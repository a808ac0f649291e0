"""An explicit aws provider with a `profile` deploys into that profile's account (issue 19).

The real provider takes its credentials from the named profile and refuses to run when the
account they are of is not among its allowedAccountIds; the sandbox's engine does the same with
the emulator's profiles, and the plain mocks take the first allowedAccountIds entry as the account.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Stack
from sandbox.harness import RecordingMocks, resolve_under_mocks, use_mocks
from tests.sandbox.engine.programs import deploy_program


def keys_in_the_consumer_account(allowed: list[str] | None = None, profile: str = CONSUMER_PROFILE) -> Any:
    def build() -> dict[str, Any]:
        consumer = aws.Provider(
            "consumer", profile=profile, allowed_account_ids=[CONSUMER_ACCOUNT_ID] if allowed is None else allowed
        )
        return {
            "consumer": aws.kms.Key("theirs", opts=pulumi.ResourceOptions(provider=consumer)).arn,
            "deployer": aws.kms.Key("ours").arn,
        }

    return build


def invented(build: Any) -> dict[str, Any]:
    use_mocks(RecordingMocks(), {})
    try:
        outputs, _ = resolve_under_mocks(build)
    finally:
        pulumi.runtime.reset_options()
    return outputs


def test_invented_resources_of_a_profiles_provider_are_in_its_first_allowed_account() -> None:
    arns = invented(keys_in_the_consumer_account())
    assert {name: arn.split(":")[4] for name, arn in arns.items()} == {
        "consumer": CONSUMER_ACCOUNT_ID,
        "deployer": ACCOUNT_ID,
    }


def test_the_plain_mocks_refuse_a_profile_whose_account_they_cannot_tell() -> None:
    with pytest.raises(Exception, match=r"cannot tell the account of profile 'sandbox-consumer'.*allowedAccountIds"):
        invented(keys_in_the_consumer_account(allowed=[]))


@pytest.mark.emulator
def test_the_engine_deploys_a_profiles_resources_into_its_account(emulator: Emulator, stack: Stack) -> None:
    build = keys_in_the_consumer_account()
    arns, changes = deploy_program(stack, build)
    assert arns["consumer"].split(":")[4] == CONSUMER_ACCOUNT_ID
    assert arns["deployer"].split(":")[4] == ACCOUNT_ID
    theirs = emulator.client("kms", emulator.session(CONSUMER_PROFILE))
    assert theirs.describe_key(KeyId=arns["consumer"])["KeyMetadata"]["Arn"] == arns["consumer"]
    assert [k["KeyArn"] for k in emulator.client("kms").list_keys()["Keys"]] == [arns["deployer"]]
    assert {c.action for c in deploy_program(stack, build)[1]} == {Action.SAME}

    def without_it() -> dict[str, Any]:
        return {"deployer": aws.kms.Key("ours").arn}

    deploy_program(stack, without_it)  # the consumer's key is scheduled for deletion, in its account
    assert theirs.describe_key(KeyId=arns["consumer"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert len(changes) == 3


@pytest.mark.emulator
def test_a_provider_whose_allowed_accounts_leave_out_its_profiles_account_fails_naming_both(
    emulator: Emulator, stack: Stack
) -> None:
    with pytest.raises(Exception, match=rf"AWS account ID not allowed: {CONSUMER_ACCOUNT_ID}.*{ACCOUNT_ID}"):
        deploy_program(stack, keys_in_the_consumer_account(allowed=[ACCOUNT_ID]))
    assert emulator.client("kms", emulator.session(CONSUMER_PROFILE)).list_keys()["Keys"] == []


@pytest.mark.emulator
def test_the_engine_refuses_a_profile_the_emulator_does_not_hold(emulator: Emulator, stack: Stack) -> None:
    with pytest.raises(Exception, match="cannot resolve profile 'sandbox-nobody'"):
        deploy_program(stack, keys_in_the_consumer_account(profile="sandbox-nobody"))
