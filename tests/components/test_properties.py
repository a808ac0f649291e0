"""Property tests: for arbitrary principals and inputs, the invariants hold.

- the key policy is valid JSON under 32 KB, or the documented ConfigError;
- the deploying identity can always administer the key (no lockout);
- no unconditioned wildcard principal;
- by the policy evaluator: exactly the key users, and whoever the account allows
  through delegation, can decrypt through DynamoDB; nobody else, and no key
  user directly (outside DynamoDB);
- config validation raises ConfigError and nothing else.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from access.analyzers import unconditioned_wildcard_statements
from access.documents import NamedPolicy
from access.errors import ConfigError
from access.evaluator import Request, authorize_kms, dynamodb_decrypt_request
from access.kms_dynamodb import KEY_POLICY_MAX_BYTES
from components.encrypted_table import EncryptedTableArgs, validate_encrypted_table_args
from components.key_user import KeyUserArgs
from components.policy_builders import build_key_policy, key_policy_json
from components.validation import validate_key_user_args
from sandbox.harness import RecordingMocks, stack_config, use_mocks
from stack.config import load_stack_config
from stack.project import config_schema

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
REGIONS = ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "ap-southeast-2")
NAME_CHARS = st.characters(codec="ascii", categories=("L", "N"), include_characters="+=,.@_-")

accounts = st.from_regex(r"\A[0-9]{12}\Z")
names = st.text(NAME_CHARS, min_size=1, max_size=64)
# IAM paths are up to 512 characters: long paths make a large policy, and so the size limit, reachable.
paths = st.lists(st.text(NAME_CHARS, min_size=1, max_size=64), max_size=7).map(
    lambda parts: "/" + "".join(f"{p}/" for p in parts)
)


@st.composite
def principals(draw: st.DrawFn, partition: str, account: str) -> str:
    kind = draw(st.sampled_from(["role", "user"]))
    return f"arn:{partition}:iam::{account}:{kind}{draw(paths)}{draw(names)}"


@st.composite
def key_policy_inputs(draw: st.DrawFn) -> dict[str, Any]:
    partition, account = draw(st.sampled_from(PARTITIONS)), draw(accounts)
    principal = principals(partition, account)
    return {
        "partition": partition,
        "account_id": account,
        "region": draw(st.sampled_from(REGIONS)),
        "admin_arns": draw(st.lists(principal, max_size=6)),
        "key_user_arns": draw(st.lists(principal, max_size=60)),
        "allow_iam_policies": draw(st.booleans()),
        "deployer_arn": draw(principal),
    }


def key_arn(inputs: dict[str, Any]) -> str:
    return f"arn:{inputs['partition']}:kms:{inputs['region']}:{inputs['account_id']}:key/1234abcd"


def through_dynamodb(inputs: dict[str, Any], principal: str, *, direct: bool = False) -> Request:
    return dynamodb_decrypt_request(
        principal_arn=principal,
        key_arn=key_arn(inputs),
        table_name="orders",
        region=inputs["region"],
        account_id=inputs["account_id"],
        via_service="" if direct else None,
    )


# How many examples, and whether they are random, comes from the Hypothesis profile
# (tests/conftest.py): fixed examples in CI, `HYPOTHESIS_PROFILE=explore` to search.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(key_policy_inputs())
def test_the_key_policy_is_valid_json_under_the_limit_or_the_documented_error(inputs: dict[str, Any]) -> None:
    policy = build_key_policy(**inputs)
    if len(json.dumps(policy, indent=2).encode()) > KEY_POLICY_MAX_BYTES:
        with pytest.raises(ConfigError, match="over the KMS limit") as refused:
            key_policy_json(policy)
        # The field named is the list that takes the most room in the policy.
        room = {
            field: sum(len(json.dumps(arn)) for arn in set(arns))
            for field, arns in (
                ("key_admins", [*inputs["admin_arns"], inputs["deployer_arn"]]),
                ("key_users", inputs["key_user_arns"]),
            )
        }
        if abs(room["key_admins"] - room["key_users"]) > 1024:  # clear cases; statement overheads differ
            assert refused.value.field == max(room, key=lambda field: room[field])
        return
    text = key_policy_json(policy)
    assert len(text.encode()) <= KEY_POLICY_MAX_BYTES
    assert json.loads(text) == policy


@PROPERTY
@given(key_policy_inputs())
def test_no_lockout_and_no_unconditioned_wildcard(inputs: dict[str, Any]) -> None:
    policy = build_key_policy(**inputs)
    assert unconditioned_wildcard_statements(policy) == []
    for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"):
        request = Request(inputs["deployer_arn"], action, key_arn(inputs), inputs["account_id"])
        assert authorize_kms(request, policy).allowed, action


@PROPERTY
@given(key_policy_inputs(), st.data())
def test_exactly_the_key_users_decrypt_through_dynamodb_and_only_there(inputs: dict[str, Any], data: Any) -> None:
    policy = build_key_policy(**inputs)
    users = set(inputs["key_user_arns"])
    stranger = data.draw(principals(inputs["partition"], inputs["account_id"]))
    assume(stranger not in users)

    for user in users:
        assert authorize_kms(through_dynamodb(inputs, user), policy).allowed, user
        assert not authorize_kms(through_dynamodb(inputs, user, direct=True), policy).allowed, user
    for other in {stranger, inputs["deployer_arn"], *inputs["admin_arns"]} - users:
        assert not authorize_kms(through_dynamodb(inputs, other), policy).allowed, other

    # Whoever the account allows by an identity policy decrypts exactly when the key delegates to it.
    allowed_by_iam = NamedPolicy(
        "identity",
        {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn(inputs)}]},
    )
    decision = authorize_kms(through_dynamodb(inputs, stranger), policy, [allowed_by_iam])
    assert decision.allowed is inputs["allow_iam_policies"]


@pytest.fixture(scope="module")
def pulumi_settings() -> None:
    use_mocks(RecordingMocks(), {})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Every argument the components take, from their TypedDicts (and one they do not, to be refused).
TABLE_KEYS = sorted(EncryptedTableArgs.__annotations__)
KEY_USER_KEYS = sorted(KeyUserArgs.__annotations__)


@PROPERTY
@given(st.dictionaries(st.sampled_from(TABLE_KEYS), json_values, max_size=8))
def test_table_validation_raises_only_config_error(pulumi_settings: None, args: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        validate_encrypted_table_args("orders", args)  # type: ignore[arg-type]


@PROPERTY
@given(st.dictionaries(st.sampled_from(KEY_USER_KEYS), json_values, max_size=8))
def test_key_user_validation_raises_only_config_error(args: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        validate_key_user_args(args)


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(sorted(config_schema())), st.text(max_size=20) | json_values.map(json.dumps), max_size=6
    )
)
def test_stack_config_raises_only_config_error(pulumi_settings: None, config: dict[str, str]) -> None:
    pulumi.runtime.set_all_config(stack_config(config))
    with contextlib.suppress(ConfigError):
        load_stack_config(pulumi.Config())
