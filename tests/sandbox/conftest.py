"""Emulator fixtures, also used by tests/verify.

An emulator per test: moto's state is global, so each test gets a fresh account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import outputs as names
from sandbox.deploy import Deployment, Stack, deploy
from sandbox.emulator import Emulator

THROWAWAY = {"deletionProtection": "false"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ambient credentials or endpoint: every client here says who it is."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def emulator(clean_aws_env: None) -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


@pytest.fixture
def stack(emulator: Emulator) -> Stack:
    return Stack(emulator)


def up(stack: Stack, **config: str) -> Deployment:
    return deploy(stack, {**THROWAWAY, **config})


def principal_dynamodb(emulator: Emulator, outputs: dict[str, Any]) -> Any:
    """A DynamoDB client as the deployed test principal (user or assumed role)."""
    if outputs[names.TEST_PRINCIPAL_KIND] == "user":
        return boto3.session.Session().client(
            "dynamodb",
            endpoint_url=emulator.endpoint_url,
            region_name=emulator.region,
            aws_access_key_id=outputs[names.TEST_USER_ACCESS_KEY_ID],
            aws_secret_access_key=outputs[names.TEST_USER_SECRET_ACCESS_KEY],
        )
    credentials = emulator.client("sts").assume_role(RoleArn=outputs[names.TEST_PRINCIPAL_ARN], RoleSessionName="test")[
        "Credentials"
    ]
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=emulator.endpoint_url,
        region_name=emulator.region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
