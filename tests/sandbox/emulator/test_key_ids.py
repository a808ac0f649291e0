"""Issue 20: every KMS call the project or its printed commands make takes a key id or key ARN (and an alias
where the API reference says so) as KMS does; a key's lifecycle calls answer as KMS answers, its state refusing
what KMS refuses; the verifier's fix-it commands run as printed with the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.emulator.rules import kms_parameter_takes_alias
from sandbox.emulator.server import Emulator
from verify.judge import key_fix

pytestmark = pytest.mark.emulator

AWS_CLI = str(Path(sys.executable).with_name("aws"))
OTHER_REGION = "eu-west-1"
DEPLOYER = "arn:aws:iam::123456789012:user/sandbox-deployer"
# KMS's default key policy: the account's IAM decides.
ROOT_DELEGATION = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)


def key_references(emulator: Emulator) -> dict[str, str]:
    """A new key and an alias of it, by each form a KeyId can take."""
    kms = emulator.client("kms")
    key = kms.create_key(Description="swept")["KeyMetadata"]
    kms.create_alias(AliasName="alias/swept", TargetKeyId=key["KeyId"])
    return {
        "key id": key["KeyId"],
        "key ARN": key["Arn"],
        "alias name": "alias/swept",
        "alias ARN": key["Arn"].split(":key/")[0] + ":alias/swept",
    }


# Each call the project (the components, the verifier, the audit, the engine) or its printed commands make on
# an existing key, by its API name; none changes the key's state.
CALLS: dict[str, Callable[[Any, str], Any]] = {
    "DescribeKey": lambda kms, k: kms.describe_key(KeyId=k),
    "GetKeyPolicy": lambda kms, k: kms.get_key_policy(KeyId=k, PolicyName="default"),
    "ListKeyPolicies": lambda kms, k: kms.list_key_policies(KeyId=k),
    "PutKeyPolicy": lambda kms, k: kms.put_key_policy(KeyId=k, PolicyName="default", Policy=ROOT_DELEGATION),
    "GetKeyRotationStatus": lambda kms, k: kms.get_key_rotation_status(KeyId=k),
    "EnableKeyRotation": lambda kms, k: kms.enable_key_rotation(KeyId=k),
    "DisableKeyRotation": lambda kms, k: kms.disable_key_rotation(KeyId=k),
    "ListKeyRotations": lambda kms, k: kms.list_key_rotations(KeyId=k),
    "TagResource": lambda kms, k: kms.tag_resource(KeyId=k, Tags=[{"TagKey": "team", "TagValue": "data"}]),
    "UntagResource": lambda kms, k: kms.untag_resource(KeyId=k, TagKeys=["team"]),
    "ListResourceTags": lambda kms, k: kms.list_resource_tags(KeyId=k),
    "CreateGrant": lambda kms, k: kms.create_grant(KeyId=k, GranteePrincipal=DEPLOYER, Operations=["Decrypt"]),
    "ListGrants": lambda kms, k: kms.list_grants(KeyId=k),
    "UpdateKeyDescription": lambda kms, k: kms.update_key_description(KeyId=k, Description="swept"),
    "Encrypt": lambda kms, k: kms.encrypt(KeyId=k, Plaintext=b"x"),
    "GenerateDataKey": lambda kms, k: kms.generate_data_key(KeyId=k, KeySpec="AES_256"),
}


def outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"


def test_every_call_takes_a_key_id_and_a_key_arn_and_an_alias_where_kms_does(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    references = key_references(emulator)
    wrong: list[str] = []
    for operation, call in CALLS.items():
        for form, reference in references.items():
            expected = "ok" if "key" in form or kms_parameter_takes_alias(operation) else "NotFoundException"
            got = outcome(lambda: call(kms, reference))  # noqa: B023 (called at once)
            if got != expected:
                wrong.append(f"{operation} by {form}: {got}, expected {expected}")
    assert wrong == []


def test_the_alias_forms_are_the_api_references() -> None:
    """The model's text: DescribeKey and the cryptographic calls take an alias, the management calls do not."""
    assert all(kms_parameter_takes_alias(op) for op in ("DescribeKey", "Encrypt", "GenerateDataKey", "Decrypt"))
    assert not any(
        kms_parameter_takes_alias(op)
        for op in ("DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "GetKeyPolicy")
    )
    assert not any(kms_parameter_takes_alias(op) for op in ("CreateGrant", "ListGrants", "TagResource"))
    assert not kms_parameter_takes_alias("CreateAlias", "TargetKeyId")
    assert kms_parameter_takes_alias("ReEncrypt", "DestinationKeyId")


@pytest.mark.parametrize("form", ["key id", "key ARN"])
def test_a_keys_lifecycle_by_key_id_or_key_arn(emulator: Emulator, form: str) -> None:
    kms = emulator.client("kms")
    references = key_references(emulator)
    key, arn = references[form], references["key ARN"]

    def state() -> str:
        return str(kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"])

    kms.disable_key(KeyId=key)
    assert state() == "Disabled"
    kms.enable_key(KeyId=key)
    assert state() == "Enabled"
    scheduled = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    # The response names the key by its ARN, with its state and waiting period (API reference).
    assert (scheduled["KeyId"], scheduled["KeyState"], scheduled["PendingWindowInDays"]) == (arn, "PendingDeletion", 7)
    assert state() == "PendingDeletion"
    assert kms.cancel_key_deletion(KeyId=key)["KeyId"] == arn
    assert state() == "Disabled"  # "After you cancel the pending deletion of a KMS key, the key state ... is Disabled"
    kms.enable_key(KeyId=key)
    assert state() == "Enabled"
    assert kms.schedule_key_deletion(KeyId=key)["PendingWindowInDays"] == 30  # the default


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def test_the_key_state_refuses_what_kms_refuses(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    arn = key_references(emulator)["key ARN"]
    not_pending = ("KMSInvalidStateException", f"{arn} is not pending deletion.")
    assert error_of(lambda: kms.cancel_key_deletion(KeyId=arn)) == not_pending
    for window in (6, 31):
        code, message = error_of(lambda: kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=window))  # noqa: B023
        assert code == "ValidationException"
        assert f"'{window}'" in message
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    pending = ("KMSInvalidStateException", f"{arn} is pending deletion.")
    assert error_of(lambda: kms.disable_key(KeyId=arn)) == pending
    assert error_of(lambda: kms.enable_key(KeyId=arn)) == pending
    assert error_of(lambda: kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=30)) == pending


def test_a_key_arn_of_another_region_names_no_key_here(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    arn = key_references(emulator)["key ARN"]
    elsewhere = arn.replace(f":{emulator.region}:", f":{OTHER_REGION}:")
    other = emulator.session().client("kms", region_name=OTHER_REGION, endpoint_url=emulator.endpoint_url)
    for client, reference in ((other, arn), (kms, elsewhere)):
        code, message = error_of(lambda: client.disable_key(KeyId=reference))  # noqa: B023
        assert code == "NotFoundException"
        assert reference in message
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


def aws(emulator: Emulator, command: str) -> subprocess.CompletedProcess[str]:
    """A shell command line with the AWS CLI, as the deployer, against the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | emulator.environment()
    env["PATH"] = f"{Path(AWS_CLI).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("region", [None, OTHER_REGION])
def test_the_verifiers_fix_it_commands_run_as_printed(emulator: Emulator, region: str | None) -> None:
    where = region or emulator.region
    kms = emulator.session().client("kms", region_name=where, endpoint_url=emulator.endpoint_url)
    arn = kms.create_key(Description="to lose")["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=arn)
    disabled = aws(emulator, key_fix(where, arn, "Disabled"))
    assert disabled.returncode == 0, disabled.stderr
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"

    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=30)
    pending = aws(emulator, key_fix(where, arn, "PendingDeletion"))
    assert pending.returncode == 0, pending.stderr
    assert json.loads(pending.stdout or "{}").get("KeyId") in (None, arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
