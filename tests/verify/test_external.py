"""Readers in other accounts (issue 19), without AWS: the externalPrincipals output, --consumer-profile,
the table-policy vs key-side agreement per region, and what a cross-account refusal names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access.evaluator import Grant
from access.kms_dynamodb import KEY_READ_ACTIONS, dynamodb_via_service
from stack import outputs as contract
from tests.verify.test_bad_input import GOOD, one_line_exit_2
from verify.external import (
    IDENTITY_POLICY,
    KEY_SIDE,
    TABLE_POLICY,
    PolicySides,
    consumer_profile,
    judge_agreement,
    profiles_for,
    refusal_advice,
    refused_side,
)
from verify.findings import Status
from verify.inputs import CannotRunError, ExternalPrincipal, parse_outputs
from verify.probe import Attempt, Outcome, classify_error

OWNER = "123456789012"
CONSUMER = "444455556666"
READER = f"arn:aws:iam::{CONSUMER}:role/external-reader"
WRITER = f"arn:aws:iam::{CONSUMER}:user/writer"
TABLE = f"arn:aws:dynamodb:us-east-1:{OWNER}:table/orders"
CONSUMER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


def entry(principal: str = READER, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        contract.EXTERNAL_PRINCIPAL: principal,
        contract.EXTERNAL_ACCOUNT: principal.split(":")[4],
        contract.EXTERNAL_ACCESS: "read",
        contract.EXTERNAL_KEY_ACCESS: "key-policy",
        contract.EXTERNAL_STREAM: False,
        contract.EXTERNAL_EXPECTED_ACCESS: "read",
        contract.EXTERNAL_CONSUMER_POLICY: CONSUMER_POLICY,
    }
    return base | changes


def declared(principal: str = READER, key_access: str = "key-policy", stream: bool = False) -> ExternalPrincipal:
    return ExternalPrincipal(principal, principal.split(":")[4], "read", key_access, stream, "read", CONSUMER_POLICY)


# -- the output ----------------------------------------------------------------------------------------


def test_external_principals_are_parsed() -> None:
    parsed = parse_outputs(GOOD | {contract.EXTERNAL_PRINCIPALS: [entry(), entry(WRITER, access="read-write")]})
    assert [(e.principal, e.access, e.kind) for e in parsed.external] == [
        (READER, "read", "role"),
        (WRITER, "read-write", "user"),
    ]
    assert parsed.external[0].consumer_policy == CONSUMER_POLICY


def test_absent_means_none() -> None:
    assert parse_outputs(GOOD).external == ()
    assert parse_outputs(GOOD | {contract.EXTERNAL_PRINCIPALS: []}).external == ()


@pytest.mark.parametrize(
    ("bad", "names"),
    [
        ("not a list", ["externalPrincipals is 'not a list'", "expected a list"]),
        (["x"], ["externalPrincipals[0] is 'x'"]),
        ([entry(access="admin")], ["externalPrincipals[0].access is 'admin'", "'read', 'read-write'"]),
        ([entry(keyAccess="policy")], ["externalPrincipals[0].keyAccess", "'key-policy', 'grant'"]),
        ([entry(expectedAccess="write")], ["externalPrincipals[0].expectedAccess", "'denied', 'read'"]),
        ([entry(stream=1)], ["externalPrincipals[0].stream is 1", "true or false"]),
        ([entry(principal="arn:aws:iam::444455556666:group/g")], ["externalPrincipals[0].principal"]),
        ([entry(account="111122223333")], ["externalPrincipals[0].account", "'444455556666'"]),
        ([entry(principal=f"arn:aws:iam::{OWNER}:role/r")], ["own account 123456789012"]),
        ([entry(), entry()], ["externalPrincipals[1].principal", "again"]),
        ([{contract.EXTERNAL_PRINCIPAL: READER}], ["externalPrincipals[0] is missing account, access"]),
        ([entry(consumerPolicy=7)], ["externalPrincipals[0].consumerPolicy is 7"]),
    ],
)
def test_bad_entries_cannot_run_naming_the_entry_and_the_allowed_values(bad: object, names: list[str]) -> None:
    with pytest.raises(CannotRunError) as raised:
        parse_outputs(GOOD | {contract.EXTERNAL_PRINCIPALS: bad})
    for name in names:
        assert name in str(raised.value)


# -- --consumer-profile --------------------------------------------------------------------------------


def test_consumer_profile_syntax() -> None:
    assert consumer_profile(f"{READER}=sandbox-consumer") == (READER, "sandbox-consumer")
    assert consumer_profile(f"{CONSUMER}=p") == (CONSUMER, "p")
    for bad in ("no-equals", "=p", f"{READER}=", "arn:aws:s3:::bucket=p", "12345=p"):
        with pytest.raises(ValueError, match="--consumer-profile"):
            consumer_profile(bad)


def test_an_account_id_matches_every_declared_principal_of_it_and_an_arn_wins() -> None:
    both = (declared(READER), declared(WRITER))
    assert profiles_for([(CONSUMER, "acct")], both) == {READER: "acct", WRITER: "acct"}
    assert profiles_for([(CONSUMER, "acct"), (WRITER, "own")], both) == {READER: "acct", WRITER: "own"}
    assert profiles_for([], both) == {}


@pytest.mark.parametrize("name", ["111122223333", "arn:aws:iam::444455556666:role/someone-else"])
def test_a_name_matching_no_declared_principal_cannot_run(name: str) -> None:
    with pytest.raises(CannotRunError, match="--consumer-profile") as raised:
        profiles_for([(name, "p")], (declared(),))
    assert READER in str(raised.value), "names what is declared"


def test_bad_consumer_profiles_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(GOOD | {contract.EXTERNAL_PRINCIPALS: [entry()]}))
    line = one_line_exit_2(capsys, "--outputs", str(path), "--consumer-profile", "oops")
    assert "--consumer-profile 'oops'" in line
    line = one_line_exit_2(capsys, "--outputs", str(path), "--consumer-profile", "999999999999=p")
    assert "no external principal of account 999999999999" in line


# -- the agreement, per region -------------------------------------------------------------------------


def table_policy(*principals: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ExternalRead",
                "Effect": "Allow",
                "Principal": {"AWS": list(principals)},
                "Action": ["dynamodb:GetItem"],
                "Resource": TABLE,
            }
        ],
    }


def key_policy(region: str, *principals: str) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if principals:
        statements.append(
            {
                "Sid": "ExternalKeyUse",
                "Effect": "Allow",
                "Principal": {"AWS": list(principals)},
                "Action": list(KEY_READ_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": dynamodb_via_service(region)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def sides(
    region: str = "us-east-1",
    *,
    table: tuple[str, ...] = (READER,),
    key: tuple[str, ...] = (READER,),
    grants: tuple[str, ...] = (),
    stream_arn: str = "",
    stream: tuple[str, ...] = (),
) -> PolicySides:
    return PolicySides(
        region=region,
        partition="aws",
        owner_account=OWNER,
        table_policy=table_policy(*table) if table else None,
        key_policy=key_policy(region, *key),
        grants=tuple(Grant(f"g-{p.rsplit('/', 1)[-1]}", p, ("Decrypt",), {}) for p in grants),
        stream_arn=stream_arn,
        stream_policy=table_policy(*stream) if stream else None,
    )


def only(findings: list[Any]) -> Any:
    assert len(findings) == 1, findings
    return findings[0]


def test_both_sides_agree() -> None:
    finding = only(judge_agreement(sides(), [declared()]))
    assert (finding.check, finding.status) == (f"external.policies_agree[{READER}]", Status.PASS)
    assert "table policy statement ExternalRead" in finding.seen
    assert "key policy statement ExternalKeyUse" in finding.seen


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_missing_table_policy_names_the_principal_the_side_and_the_region(region: str) -> None:
    finding = only(judge_agreement(sides(region, table=()), [declared()], f"replica[{region}]."))
    assert finding.status is Status.FAIL
    assert finding.check == f"replica[{region}].external.policies_agree[{READER}]"
    assert f"in {region}: {READER} is missing from the {TABLE_POLICY}" in finding.seen
    assert KEY_SIDE not in finding.seen


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_missing_key_side_names_the_principal_the_side_and_the_region(region: str) -> None:
    finding = only(judge_agreement(sides(region, key=()), [declared()]))
    assert finding.status is Status.FAIL
    assert f"in {region}: {READER} is missing from the {KEY_SIDE}" in finding.seen
    assert "named only by table policy statement ExternalRead" in finding.seen


def test_a_declared_principal_on_neither_side_fails() -> None:
    finding = only(judge_agreement(sides(table=(), key=()), [declared()]))
    assert finding.status is Status.FAIL
    assert "named on neither side" in finding.seen


def test_a_grant_principal_passes_only_with_a_grant() -> None:
    grant_reader = declared(key_access="grant")
    assert only(judge_agreement(sides(key=(), grants=(READER,)), [grant_reader])).status is Status.PASS
    by_policy = only(judge_agreement(sides(key=(READER,)), [grant_reader]))
    assert by_policy.status is Status.FAIL
    assert "expected a KMS grant; only key policy statement ExternalKeyUse" in by_policy.seen
    # ... and a key-policy principal is not satisfied by a grant alone.
    assert only(judge_agreement(sides(key=(), grants=(READER,)), [declared()])).status is Status.FAIL


def test_an_account_named_as_a_bare_id_is_its_root() -> None:
    root = f"arn:aws:iam::{CONSUMER}:root"
    finding = only(judge_agreement(sides(table=(CONSUMER,), key=(root,)), [declared(root)]))
    assert finding.status is Status.PASS, finding.seen


def test_a_stream_reader_needs_the_stream_policy_when_there_is_a_stream() -> None:
    stream_arn = f"{TABLE}/stream/2026-12-06T00:00:00.000"
    reader = declared(stream=True)
    missing = only(judge_agreement(sides(stream_arn=stream_arn), [reader]))
    assert missing.status is Status.FAIL
    assert f"stream policy of {stream_arn}" in missing.seen
    assert only(judge_agreement(sides(stream_arn=stream_arn, stream=(READER,)), [reader])).status is Status.PASS
    assert only(judge_agreement(sides(), [reader])).status is Status.PASS, "no stream: nothing to name it"


def test_undeclared_external_principals_are_left_to_the_audit() -> None:
    assert judge_agreement(sides(table=(WRITER,), key=()), []) == []


# -- what a refusal names ------------------------------------------------------------------------------


def attempt(code: str, message: str) -> Attempt:
    return Attempt(classify_error(code, message), f"{code}: {message}")


KMS_REFUSAL = (
    f"KMS key access denied error: User: {READER} is not authorized to perform: kms:Decrypt on resource: "
    "arn:aws:kms:us-east-1:123456789012:key/k because no resource-based policy allows the kms:Decrypt action"
)
TABLE_POLICY_REFUSAL = (
    f"User: {READER} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} "
    "because no resource-based policy allows the dynamodb:GetItem action"
)
IDENTITY_REFUSAL = (
    f"User: {READER} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} "
    "because no identity-based policy allows the dynamodb:GetItem action"
)


@pytest.mark.parametrize(
    ("message", "side"),
    [(KMS_REFUSAL, KEY_SIDE), (TABLE_POLICY_REFUSAL, TABLE_POLICY), (IDENTITY_REFUSAL, IDENTITY_POLICY)],
)
def test_each_refusal_names_its_side(message: str, side: str) -> None:
    assert refused_side(attempt("AccessDeniedException", message)) == side


def test_an_explicit_deny_is_named_and_other_answers_name_no_side() -> None:
    deny = (
        f"User: {READER} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} "
        "with an explicit deny in a resource-based policy"
    )
    assert refused_side(attempt("AccessDeniedException", deny)) == "an explicit Deny (a resource-based policy)"
    assert refused_side(Attempt(Outcome.READ, "GetItem returned the canary")) is None
    assert refused_side(attempt("ExpiredTokenException", "expired")) is None


def test_the_identity_side_advice_prints_the_consumer_policy() -> None:
    advice = refusal_advice(declared(), IDENTITY_POLICY, "us-east-1")
    assert CONSUMER_POLICY in advice
    assert CONSUMER in advice
    without = ExternalPrincipal(READER, CONSUMER, "read", "key-policy", False, "read")
    assert "externalPrincipals[].consumerPolicy" in refusal_advice(without, IDENTITY_POLICY, "us-east-1")
    assert "a KMS grant" in refusal_advice(declared(key_access="grant"), KEY_SIDE, "eu-west-1")


# -- --print-policy ------------------------------------------------------------------------------------


def test_print_policy_reads_the_stream_policies_whatever_the_external_readers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The audit and external.policies_agree read a stream's policy whenever the table has a stream, with or
    # without an external stream reader: the printed policy must let them (it once did only for stream readers).
    from verify.__main__ import main

    def printed(entries: list[dict[str, Any]]) -> dict[str, Any]:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(GOOD | {contract.EXTERNAL_PRINCIPALS: entries}))
        assert main(["--outputs", str(path), "--print-policy"]) == 0
        document: dict[str, Any] = json.loads(capsys.readouterr().out)
        return {s["Sid"]: s for s in document["Statement"]}

    for entries in ([], [entry()], [entry(stream=True)]):
        statements = printed(entries)
        assert "dynamodb:GetResourcePolicy" in statements["TableChecksAndCanary"]["Action"], "the table policy"
        assert {"kms:GetKeyPolicy", "kms:ListGrants"} <= set(statements["KeyChecks"]["Action"]), "the key side"
        stream = statements["StreamPolicies"]
        assert stream["Action"] == ["dynamodb:GetResourcePolicy"]
        assert stream["Resource"] == [f"{TABLE}/stream/*"]
