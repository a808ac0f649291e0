"""Holding only the verifier's own rights in the sandbox, as IAM takes them: the customer managed policies
`python -m verify --policy-dir` writes, created and attached (tests/verify/test_audit.py,
tests/verify/test_permissions_emulator.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from access.kms_dynamodb import MANAGED_POLICIES_PER_IDENTITY, MANAGED_POLICY_MAX_CHARACTERS
from sandbox.emulator.server import Emulator
from verify.__main__ import main


def iam_characters(text: str) -> int:
    """A policy's size as IAM counts it (white space not counted), apart from the code under test."""
    return len(re.sub(r"\s", "", text))


def written_policies(outputs: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    """`python -m verify --outputs OUTPUTS --policy-dir FOLDER`: the documents it wrote, in order, each
    checked against IAM's quotas (the sandbox, like moto, does not enforce them), and the commands printed."""
    assert main(["--outputs", str(outputs), "--policy-dir", str(folder)]) == 0
    commands = capsys.readouterr().out
    files = sorted(folder.glob("verifier-policy-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    documents = [file.read_text() for file in files]
    assert 1 <= len(documents) <= MANAGED_POLICIES_PER_IDENTITY
    assert all(iam_characters(d) <= MANAGED_POLICY_MAX_CHARACTERS for d in documents)
    return documents, commands


def hold_as_user(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, user: str, documents: Sequence[str]) -> None:
    """Run on as a new user whose only rights are these documents, each a customer managed policy attached."""
    iam = emulator.client("iam")
    iam.create_user(UserName=user)
    for number, document in enumerate(documents, 1):
        arn = iam.create_policy(PolicyName=f"{user}-{number}", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
