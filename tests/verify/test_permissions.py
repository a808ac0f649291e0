"""The verifier's own rights as customer managed policies: each within IAM's size quota, the fewest of them,
together allowing exactly what the one document allows; `--print-policy` and `--policy-dir` as printed."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from access.arns import REGIONS_BY_PARTITION
from access.documents import NamedPolicy, as_list, statements
from access.evaluator import Request, authorize_identity
from access.key_protection import ALARM_KINDS
from access.kms_dynamodb import MANAGED_POLICIES_PER_IDENTITY, MANAGED_POLICY_MAX_CHARACTERS
from access.policy_grammar import IDENTITY_POLICY, document_problems
from stack import outputs as contract
from tests.verify.test_bad_input import GOOD, one_line_exit_2
from verify import permissions
from verify.__main__ import main
from verify.inputs import CannotRunError, parse_outputs
from verify.permissions import (
    KEY_PROTECTION_ACTIONS,
    attach_commands,
    managed_policy_documents,
    policy_for,
    policy_name,
    verifier_policy,
)

ACCOUNT = GOOD[contract.ACCOUNT_ID]
HOME = GOOD[contract.REGION]
OTHER_REGIONS = [r for r in REGIONS_BY_PARTITION["aws"] if r != HOME]
TABLE = "encrypted-dynamodb-dev-orders-table-1a2b3c4"


def replica(region: str, table: str = TABLE) -> tuple[str, str, str]:
    return (
        region,
        f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}",
        f"arn:aws:kms:{region}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )


def stack_policy(replicas: int, *, alarms: bool = False) -> dict[str, Any]:
    """The verifier's policy for a stack with this many replicas, its test role, and its key alarms."""
    regions = [HOME, *OTHER_REGIONS[:replicas]]
    return verifier_policy(
        table_arn=f"arn:aws:dynamodb:{HOME}:{ACCOUNT}:table/{TABLE}",
        key_arn=replica(HOME)[2],
        region=HOME,
        account_id=ACCOUNT,
        test_role_arn=f"arn:aws:iam::{ACCOUNT}:role/encrypted-dynamodb-dev-test-principal",
        replicas=[replica(r) for r in regions[1:]],
        alarms=[
            (r, f"arn:aws:sns:{r}:{ACCOUNT}:key-alarms", [f"{TABLE}-key-changes", f"{TABLE}-key-deleted"])
            for r in (regions if alarms else [])
        ],
    )


def characters(document: Mapping[str, Any]) -> int:
    """IAM's count, written out apart from the code under test: the JSON text without white space."""
    return len(re.sub(r"\s", "", json.dumps(document)))


# -- what IAM takes -----------------------------------------------------------------------------------


def test_a_policy_that_fits_one_managed_policy_is_that_document_unchanged() -> None:
    whole = stack_policy(2)
    assert characters(whole) <= MANAGED_POLICY_MAX_CHARACTERS
    assert managed_policy_documents(whole) == [whole]


def test_a_two_replica_stack_fits_iams_quotas_with_its_key_alarms() -> None:
    # The "Done when": the verifier's rights for a two-replica stack fit what IAM takes. They are
    # over a user's inline quota (2,048) as one document: hence customer managed policies.
    whole = stack_policy(2, alarms=True)
    assert characters(whole) > 2_048
    parts = managed_policy_documents(whole)
    assert 1 <= len(parts) <= MANAGED_POLICIES_PER_IDENTITY
    assert all(characters(part) <= MANAGED_POLICY_MAX_CHARACTERS for part in parts)
    assert {a for p in parts for s in statements(p) for a in as_list(s["Action"])} >= set(KEY_PROTECTION_ACTIONS)


@pytest.mark.parametrize(
    ("replicas", "limit"),
    [(2, 1_200), (2, 700), (12, MANAGED_POLICY_MAX_CHARACTERS)],
)
def test_the_parts_fit_are_valid_and_allow_exactly_what_the_whole_allows(replicas: int, limit: int) -> None:
    whole = stack_policy(replicas, alarms=True)
    parts = managed_policy_documents(whole, limit=limit, most=100)
    assert len(parts) > 1, "the case must split"
    for part in parts:
        assert characters(part) <= limit
        assert document_problems(part, IDENTITY_POLICY) == []
        sids = [s["Sid"] for s in statements(part)]
        assert len(sids) == len(set(sids)), sids
    assert_same_decisions(whole, parts)


def assert_same_decisions(whole: Mapping[str, Any], parts: Sequence[Mapping[str, Any]]) -> None:
    """Every action of the whole on every resource it names, in every context its conditions ask about (and
    none): the union of the parts decides as the whole does."""
    actions = {a for s in statements(whole) for a in as_list(s["Action"])}
    resources = {r.replace("*", "x") for s in statements(whole) for r in as_list(s["Resource"])}
    resources.add(f"arn:aws:iam::{ACCOUNT}:role/someone")  # what "*" lets the IAM reads see
    via = {
        v
        for s in statements(whole)
        for v in as_list(s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService"))
    }
    contexts: list[dict[str, Any]] = [{}, *({"kms:ViaService": v, "kms:CallerAccount": ACCOUNT} for v in via)]
    one = [NamedPolicy("whole", whole)]
    shared = [NamedPolicy(f"part {n}", part) for n, part in enumerate(parts, 1)]
    allowed = 0
    for action, resource, context in itertools.product(sorted(actions), sorted(resources), contexts):
        request = Request(f"arn:aws:iam::{ACCOUNT}:role/verifier", action, resource, ACCOUNT, context=context)
        expected = authorize_identity(request, one).allowed
        assert authorize_identity(request, shared).allowed == expected, (action, resource, context)
        allowed += expected
    assert allowed, "a comparison in which nothing is allowed proves nothing"


def test_a_statement_larger_than_a_document_is_split_by_its_resources_and_numbered() -> None:
    whole = stack_policy(12)
    parts = managed_policy_documents(whole, limit=1_000, most=100)
    key_checks = [s for p in parts for s in statements(p) if str(s["Sid"]).startswith("KeyChecks")]
    assert len(key_checks) > 1
    assert [s["Sid"] for s in key_checks] == [f"KeyChecks{n}" for n in range(1, len(key_checks) + 1)]
    (original,) = [s for s in statements(whole) if s["Sid"] == "KeyChecks"]
    assert [r for s in key_checks for r in s["Resource"]] == original["Resource"], "in order, nothing dropped"
    assert all(s["Action"] == original["Action"] for s in key_checks)


# -- the fewest ---------------------------------------------------------------------------------------


def fewest_by_brute_force(sizes: Sequence[int], room: int) -> int:
    """Every way to share the items out (set partitions), the fewest groups that fit."""

    def partitions(items: list[int]) -> Any:
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for smaller in partitions(rest):
            for n in range(len(smaller)):
                yield [*smaller[:n], [first, *smaller[n]], *smaller[n + 1 :]]
            yield [[first], *smaller]

    return min(len(p) for p in partitions(list(range(len(sizes)))) if all(sum(sizes[i] for i in g) <= room for g in p))


def test_the_documents_are_the_fewest_that_keep_each_statement_whole() -> None:
    # First-fit decreasing alone is not the fewest: these 8 items fill 2 groups exactly ([3, 3, 2, 2] twice),
    # and it takes 3. The exact search finds 2; random cases are checked against every way to share them out.
    sizes = [3, 3, 3, 3, 2, 2, 2, 2]
    assert len(permissions._first_fit(range(8), sizes, 10)) == 3
    assert len(permissions._fewest_bins(sizes, 10)) == 2
    generator = random.Random(20)
    for _ in range(300):
        room = generator.randint(10, 30)
        sizes = [generator.randint(1, room) for _ in range(generator.randint(1, 8))]
        bins = permissions._fewest_bins(sizes, room)
        assert sorted(i for b in bins for i in b) == list(range(len(sizes)))
        assert all(sum(sizes[i] for i in b) <= room for b in bins)
        assert len(bins) == fewest_by_brute_force(sizes, room), (sizes, room)


def test_a_search_too_long_keeps_first_fit_decreasing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(permissions, "EXACT_SEARCH_STEPS", 0)
    assert len(permissions._fewest_bins([3, 3, 3, 3, 2, 2, 2, 2], 10)) == 3


# -- refused, naming the quota ------------------------------------------------------------------------


def test_more_documents_than_iam_attaches_is_refused_naming_the_quota() -> None:
    with pytest.raises(CannotRunError) as refused:
        managed_policy_documents(stack_policy(len(OTHER_REGIONS)), limit=2_000)
    message = str(refused.value)
    assert "need 12 customer managed policies of at most 2,000 characters each" in message
    assert f"more than the {MANAGED_POLICIES_PER_IDENTITY} IAM attaches to a role or user by default" in message
    assert "reference_iam-quotas.html" in message


def test_a_statement_of_one_resource_too_large_is_refused_naming_it() -> None:
    with pytest.raises(CannotRunError) as refused:
        managed_policy_documents(stack_policy(0), limit=300)
    assert "statement 'TableChecksAndCanary'" in str(refused.value)
    assert "one customer managed policy of 300 characters" in str(refused.value)
    # One resource too large among others, anywhere in the list: never a part over the limit.
    huge = f"arn:aws:dynamodb:{HOME}:{ACCOUNT}:table/{'t' * 900}"
    for resources in ([huge, "arn:aws:s3:::a", "arn:aws:s3:::b"], ["arn:aws:s3:::a", huge, "arn:aws:s3:::b"]):
        statement = {"Sid": "Big", "Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}
        with pytest.raises(CannotRunError, match="statement 'Big'"):
            managed_policy_documents(
                {"Version": "2012-10-17", "Statement": [statement, statement | {"Sid": "B"}]}, limit=800
            )


# -- the command line ---------------------------------------------------------------------------------


def outputs_with(tmp_path: Path, replicas: int) -> Path:
    path = tmp_path / "outputs.json"
    entries = [
        {
            contract.REPLICA_REGION: region,
            contract.REPLICA_KEY_ARN: key,
            contract.REPLICA_KEY_ALIAS: "alias/encrypted-dynamodb/dev/encrypted",
            contract.REPLICA_ARN: arn,
        }
        for region, arn, key in (replica(r, GOOD[contract.TABLE_NAME]) for r in OTHER_REGIONS[:replicas])
    ]
    path.write_text(json.dumps({**GOOD, contract.REPLICAS: entries}))
    return path


def test_print_policy_prints_the_one_document_for_a_two_replica_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--outputs", str(outputs_with(tmp_path, 2)), "--print-policy"]) == 0
    printed = capsys.readouterr().out
    document = json.loads(printed)
    assert characters(document) <= MANAGED_POLICY_MAX_CHARACTERS
    assert printed == json.dumps(document, indent=2) + "\n", "as it always printed"


def test_a_stack_that_protects_its_keys_lets_the_verifier_read_each_alarm_rule_and_topic_and_no_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = outputs_with(tmp_path, 2)
    outputs = json.loads(path.read_text())
    keys = {
        HOME: GOOD[contract.KEY_ARN],
        **{r[contract.REPLICA_REGION]: r[contract.REPLICA_KEY_ARN] for r in outputs[contract.REPLICAS]},
    }
    outputs[contract.KEY_PROTECTION] = {
        contract.PROTECTION_BREAK_GLASS: [f"arn:aws:iam::{ACCOUNT}:role/break-glass"],
        contract.PROTECTION_REQUIRE_MFA: False,
        contract.PROTECTION_DELETION_WINDOW: 30,
        contract.PROTECTION_ALARMS: [
            {
                contract.ALARM_REGION: region,
                contract.ALARM_KEY_ARN: key,
                contract.ALARM_TOPIC_ARN: f"arn:aws:sns:{region}:{ACCOUNT}:orders-key-alarms",
                contract.ALARM_RULES: {kind: f"orders-{kind}" for kind in ALARM_KINDS},
            }
            for region, key in keys.items()
        ],
    }
    path.write_text(json.dumps(outputs))
    assert main(["--outputs", str(path), "--print-policy"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert characters(document) <= MANAGED_POLICY_MAX_CHARACTERS
    by_sid = {s["Sid"]: s for s in statements(document)}
    assert by_sid["KeyAlarmRules"]["Action"] == ["events:DescribeRule", "events:ListTargetsByRule"]
    assert by_sid["KeyAlarmRules"]["Resource"] == [
        f"arn:aws:events:{region}:{ACCOUNT}:rule/orders-{kind}" for region in keys for kind in ALARM_KINDS
    ]
    assert by_sid["KeyAlarmTopics"] == {
        "Sid": "KeyAlarmTopics",
        "Effect": "Allow",
        "Action": ["sns:GetTopicAttributes"],
        "Resource": [f"arn:aws:sns:{region}:{ACCOUNT}:orders-key-alarms" for region in keys],
    }
    # Without key-loss protection the verifier reads no rule and no topic.
    assert main(["--outputs", str(outputs_with(tmp_path, 2)), "--print-policy"]) == 0
    unprotected = json.loads(capsys.readouterr().out)
    assert not {a for s in statements(unprotected) for a in as_list(s["Action"])} & set(KEY_PROTECTION_ACTIONS)


def test_print_policy_of_rights_that_need_several_documents_says_to_use_policy_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_line_exit_2(capsys, "--outputs", str(outputs_with(tmp_path, 14)), "--print-policy")
    assert "2 customer managed policies" in line
    assert "--policy-dir DIR" in line


def test_policy_dir_writes_each_document_and_the_commands_that_attach_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = outputs_with(tmp_path, 14)
    folder = tmp_path / "rights"
    folder.mkdir()
    (folder / "verifier-policy-7.json").write_text("{}")  # a file of an earlier, larger run
    (folder / "notes.json").write_text("{}")  # not ours
    assert main(["--outputs", str(outputs), "--policy-dir", str(folder)]) == 0
    commands = capsys.readouterr().out.splitlines()
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.json",
        "verifier-policy-1.json",
        "verifier-policy-2.json",
    ]
    written = [json.loads((folder / f"verifier-policy-{n}.json").read_text()) for n in (1, 2)]
    assert all(characters(d) <= MANAGED_POLICY_MAX_CHARACTERS for d in written)
    assert_same_decisions(policy_for(parse_outputs(json.loads(outputs.read_text()))), written)
    assert commands == attach_commands(
        [str(folder / "verifier-policy-1.json"), str(folder / "verifier-policy-2.json")],
        table_name="orders",
        partition="aws",
        account_id=ACCOUNT,
    )


def test_the_commands_create_and_attach_each_policy_by_name() -> None:
    commands = attach_commands(
        ["/tmp/a b/1.json", "/tmp/2.json"], table_name="orders", partition="aws-cn", account_id=ACCOUNT
    )
    assert commands == [
        "aws iam create-policy --policy-name orders-verifier-1 --policy-document 'file:///tmp/a b/1.json'",
        "aws iam create-policy --policy-name orders-verifier-2 --policy-document file:///tmp/2.json",
        'aws iam attach-role-policy --role-name "${VERIFIER_ROLE:?set VERIFIER_ROLE to the name of the role that '
        f'verifies}}" --policy-arn arn:aws-cn:iam::{ACCOUNT}:policy/orders-verifier-1',
        'aws iam attach-role-policy --role-name "${VERIFIER_ROLE:?set VERIFIER_ROLE to the name of the role that '
        f'verifies}}" --policy-arn arn:aws-cn:iam::{ACCOUNT}:policy/orders-verifier-2',
    ]


def test_a_policy_name_fits_iams_128_characters() -> None:
    name = policy_name("t" * 255, 10)
    assert len(name) == 128
    assert name.endswith("-verifier-10")
    assert re.fullmatch(r"[\w+=,.@-]+", name)
