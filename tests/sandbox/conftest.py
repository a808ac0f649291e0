"""Emulator fixtures, also used by tests/verify.

An emulator per test: moto's state is global, so each test gets a fresh account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.emulator.account import REGION
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from sandbox.harness import Deployment, deploy
from verify.inputs import parse_outputs
from verify.run import Aws, principal_client_factory

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
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


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
    """A DynamoDB client as the deployed test principal (user or assumed role), as the verifier makes it."""
    return principal_client_factory(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(outputs))()
