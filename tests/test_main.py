"""The stack program run with runpy under several configs: what it creates and exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from access.documents import statement_principals
from access.errors import ConfigError
from access.key_protection import ALARM_KINDS
from access.kms_dynamodb import SID_KEY_LOSS_PROTECTION, SID_KEY_USE_VIA_DYNAMODB
from access.operations import Path as DataPath
from components import EncryptedTable, KeyUser
from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE, CONSUMER_ROLE_NAME
from sandbox.harness import ISSUER_ARN, ProgramRun, RecordedResource, RecordingMocks, run_program
from stack import outputs
from stack.config import TABLE_COMPONENT_NAME
from stack.intent import intended_key_users
from stack.project import config_schema
from tests.conftest import policy_of, statement
from verify.inputs import parse_intent

ROOT = Path(__file__).resolve().parent.parent
GRANT, KEY = "aws:kms/grant:Grant", "aws:kms/key:Key"


def run(**config: Any) -> ProgramRun:
    return run_program(config, RecordingMocks())


def table_key(result: ProgramRun) -> RecordedResource:
    """The table's key (with key-loss protection, the alarm topic has a key of its own)."""
    return next(key for key in result.mocks.of_type(KEY) if key.name == f"{TABLE_COMPONENT_NAME}-key")


def test_default_config_exports_the_table_key_and_a_denied_role() -> None:
    result = run()
    out = result.outputs
    assert set(out) == set(outputs.ALWAYS) | set(outputs.WITH_PRINCIPAL) | set(outputs.FOR_THE_AUDIT) | set(
        outputs.FOR_REPLICAS
    ) | set(outputs.FOR_EXTERNAL) | set(outputs.FOR_KEY_PROTECTION)
    assert out[outputs.EXTERNAL_PRINCIPALS] == []  # the walkthrough has no readers in other accounts
    assert not result.mocks.of_type("aws:dynamodb/resourcePolicy:ResourcePolicy")
    assert (out[outputs.REGION], out[outputs.ACCOUNT_ID]) == ("us-east-1", ACCOUNT_ID)
    assert out[outputs.KEY_ARN] == table_key(result).state["arn"]
    assert out[outputs.KEY_ID] == table_key(result).state["keyId"]
    table = result.mocks.one("aws:dynamodb/table:Table")
    assert out[outputs.TABLE_ARN] == table.state["arn"]
    assert out[outputs.TABLE_NAME] == table.state["name"]
    assert table.inputs["serverSideEncryption"]["kmsKeyArn"] == out[outputs.KEY_ARN]
    assert out[outputs.KEY_ALIAS] == "alias/encrypted-dynamodb/dev/encrypted"
    assert (out[outputs.POINT_IN_TIME_RECOVERY], out[outputs.DELETION_PROTECTION]) == (True, True)
    assert out[outputs.TEST_PRINCIPAL_KIND] == "role"
    assert out[outputs.TEST_PRINCIPAL_ARN] == result.mocks.one("aws:iam/role:Role").state["arn"]
    assert out[outputs.TEST_PRINCIPAL_EXPECTED_ACCESS] == outputs.EXPECT_DENIED
    assert not result.mocks.of_type(GRANT)
    assert SID_KEY_USE_VIA_DYNAMODB not in [s["Sid"] for s in policy_of(table_key(result))["Statement"]]


def test_test_role_is_read_only_on_dynamodb_with_no_kms_rights() -> None:
    result = run()
    role = result.mocks.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    (attachment,) = result.mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    assert attachment.inputs["role"] == role.state["name"]
    assert not result.mocks.of_type("aws:iam/rolePolicy:RolePolicy")


def test_user_principal_exports_its_access_key_and_the_secret_as_a_secret() -> None:
    result = run(testPrincipal="user")
    out = result.outputs
    assert set(out) == set(outputs.ALWAYS) | set(outputs.WITH_PRINCIPAL) | set(outputs.FOR_THE_AUDIT) | set(
        outputs.FOR_REPLICAS
    ) | set(outputs.FOR_EXTERNAL) | set(outputs.FOR_KEY_PROTECTION) | set(outputs.WITH_USER)
    key = result.mocks.one("aws:iam/accessKey:AccessKey")
    assert out[outputs.TEST_USER_ACCESS_KEY_ID] == key.id
    assert out[outputs.TEST_USER_SECRET_ACCESS_KEY] == key.state["secret"]
    assert result.secret_outputs == {outputs.TEST_USER_SECRET_ACCESS_KEY}
    assert key.inputs["user"] == result.mocks.one("aws:iam/user:User").state["name"]


def test_intended_key_users_name_the_granted_test_principal_with_its_access() -> None:
    denied = run().outputs
    assert denied[outputs.INTENDED_KEY_USERS] == []
    granted = run(grantTestPrincipal=True).outputs
    assert granted[outputs.INTENDED_KEY_USERS] == [{"principal": granted[outputs.TEST_PRINCIPAL_ARN], "access": "read"}]
    in_policy = run(grantTestPrincipal=True, grantMode="key-policy").outputs
    # Named in the key policy, a key user may use the key for writes as well.
    assert in_policy[outputs.INTENDED_KEY_USERS] == [
        {"principal": in_policy[outputs.TEST_PRINCIPAL_ARN], "access": "read-write"}
    ]
    assert granted[outputs.DEPLOYER_ARN] == ISSUER_ARN
    assert granted[outputs.KEY_ADMIN_ARNS] == [ISSUER_ARN]


def test_intended_key_users_carry_a_key_users_declared_paths_and_only_then(mocks: RecordingMocks, resolve: Any) -> None:
    # The program has no config for more KeyUsers: the function it exports intent with, under mocks.
    exporter, reader = f"arn:aws:iam::{ACCOUNT_ID}:role/exporter", f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
    admin_user = f"arn:aws:iam::{ACCOUNT_ID}:user/ops"

    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "key_users": [admin_user]})
        users = [
            KeyUser("exporter", table.key_user_args(exporter, access="none", paths=["stream", "export"])),
            KeyUser("reader", table.key_user_args(reader)),
        ]
        return {"intended": intended_key_users(table, users)}

    intended = resolve(program)["intended"]
    assert intended == [
        {"principal": admin_user, "access": "read-write"},
        {"principal": exporter, "access": "none", "paths": ["export", "stream"]},
        {"principal": reader, "access": "read"},
    ]
    # What the verifier reads back from it.
    intent = parse_intent({outputs.INTENDED_KEY_USERS: intended})
    assert intent.key_users == {admin_user: "read-write", exporter: "none", reader: "read"}
    assert intent.paths == {exporter: frozenset({DataPath.STREAM, DataPath.EXPORT})}


def test_replica_regions_give_a_key_per_region_and_a_grant_per_region() -> None:
    result = run(replicaRegions='["eu-west-1"]', grantTestPrincipal=True)
    (replica,) = result.outputs[outputs.REPLICAS]
    keys = {r.name: r for r in result.mocks.of_type(KEY)}
    assert replica["region"] == "eu-west-1"
    assert replica["keyArn"] == keys["encrypted-key-eu-west-1"].state["arn"]
    assert replica["keyAlias"] == result.outputs[outputs.KEY_ALIAS]
    assert replica["replicaArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    grants = {g.name: g for g in result.mocks.of_type(GRANT)}
    assert set(grants) == {"test-principal-key-user-grant", "test-principal-key-user-grant-eu-west-1"}
    assert run().outputs[outputs.REPLICAS] == []  # the walkthrough: one region


def test_no_principal() -> None:
    result = run(testPrincipal="none")
    assert set(result.outputs) == set(outputs.ALWAYS) | set(outputs.FOR_THE_AUDIT) | set(outputs.FOR_REPLICAS) | set(
        outputs.FOR_EXTERNAL
    ) | set(outputs.FOR_KEY_PROTECTION)
    assert result.outputs[outputs.TEST_PRINCIPAL_KIND] == "none"
    assert not result.mocks.of_type(GRANT)
    assert not result.mocks.of_type("aws:iam/role:Role")


def test_grant_mode_grants_the_test_principal_read() -> None:
    result = run(grantTestPrincipal=True, grantMode="grant")
    grant = result.mocks.one(GRANT)
    assert grant.inputs["granteePrincipal"] == result.outputs[outputs.TEST_PRINCIPAL_ARN]
    assert grant.inputs["keyId"] == result.outputs[outputs.KEY_ARN]
    assert grant.inputs["operations"] == ["Decrypt", "DescribeKey"]
    assert (
        grant.inputs["constraints"][0]["encryptionContextSubset"]["aws:dynamodb:tableName"]
        == result.outputs[outputs.TABLE_NAME]
    )
    assert result.outputs[outputs.TEST_PRINCIPAL_EXPECTED_ACCESS] == outputs.EXPECT_READ


def test_key_policy_mode_names_the_test_principal_in_the_key_policy() -> None:
    result = run(grantTestPrincipal=True, grantMode="key-policy")
    use = statement(policy_of(table_key(result)), SID_KEY_USE_VIA_DYNAMODB)
    assert statement_principals(use) == [result.outputs[outputs.TEST_PRINCIPAL_ARN]]
    assert not result.mocks.of_type(GRANT)
    assert result.outputs[outputs.TEST_PRINCIPAL_EXPECTED_ACCESS] == outputs.EXPECT_READ


@pytest.mark.parametrize(
    ("principal", "typ"), [("role", "aws:iam/rolePolicy:RolePolicy"), ("user", "aws:iam/userPolicy:UserPolicy")]
)
def test_iam_policy_mode_attaches_a_key_policy_to_the_test_principal(principal: str, typ: str) -> None:
    result = run(testPrincipal=principal, grantTestPrincipal=True, grantMode="iam-policy")
    (kms,) = policy_of(result.mocks.one(typ))["Statement"]
    assert kms["Resource"] == result.outputs[outputs.KEY_ARN]
    assert not result.mocks.of_type(GRANT)


def test_config_reaches_the_components() -> None:
    admin = f"arn:aws:iam::{ACCOUNT_ID}:role/KeyAdmin"
    result = run(
        tableName="orders",
        sortKey="at",
        sortKeyType="N",
        billingMode="PROVISIONED",
        readCapacity=3,
        writeCapacity=4,
        deletionProtection=False,
        keyAlias="alias/orders",
        keyAdmins=[admin],
        keyRotationPeriodDays=90,
        keyDeletionWindowDays=7,
    )
    table, key = result.mocks.one("aws:dynamodb/table:Table"), table_key(result)
    assert (
        table.inputs["name"],
        table.inputs["rangeKey"],
        table.inputs["readCapacity"],
        table.inputs["writeCapacity"],
    ) == ("orders", "at", 3, 4)
    assert table.inputs["deletionProtectionEnabled"] is False
    assert result.outputs[outputs.DELETION_PROTECTION] is False
    assert (key.inputs["rotationPeriodInDays"], key.inputs["deletionWindowInDays"]) == (90, 7)
    assert admin in statement_principals(statement(policy_of(key), "AllowKeyAdministration"))
    assert result.outputs[outputs.KEY_ALIAS] == "alias/orders"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"testPrincipal": "group"}, r"testPrincipal: 'group' is not supported \(allowed: 'role', 'user', 'none'\)"),
        ({"grantMode": "acl"}, r"grantMode: 'acl' is not supported \(allowed: 'key-policy', 'grant', 'iam-policy'\)"),
        ({"keyAdmins": "arn:aws:iam::123456789012:role/a"}, r"keyAdmins: .* is not a list of strings"),
        # Errors name the config key the user typed, not the component's argument.
        ({"keyDeletionWindowDays": 3}, r"^keyDeletionWindowDays: 3 is out of range"),
        ({"keyAlias": "alias/"}, r"^keyAlias: 'alias/' has no name after 'alias/'"),
        ({"tableName": "abc\n"}, r"^tableName: 'abc\\n' is not a valid DynamoDB table name"),
        (
            {"billingMode": "PROVISIONED", "readCapacity": 5},
            r"^readCapacity/writeCapacity: billing_mode PROVISIONED needs both capacities",
        ),
        ({"keyAdmins": '["arn:aws:iam::123456789012:role/ok", "role/Админ"]'}, r"^keyAdmins\[1\]: 'role/Админ' is not"),
        ({"replicaRegions": '["eu-west-1", "eu-west-1"]'}, r"^replicaRegions: \['eu-west-1'\] given twice"),
        ({"replicaRegions": '["mars-1"]'}, r"^replicaRegions\[0\].region: 'mars-1' is not an AWS region"),
        # Contradictions the config schema cannot express.
        ({"sortKeyType": "N"}, r"^sortKeyType: is 'N' but sortKey is not set"),
        (
            {"testPrincipal": "none", "grantTestPrincipal": True},
            r"^grantTestPrincipal: true needs a test principal, but testPrincipal is 'none'",
        ),
        ({"pointInTimeRecovery": "maybe"}, r"pointInTimeRecovery: 'maybe' is not a boolean \(allowed: true or false\)"),
        ({"readCapacity": "ten"}, r"readCapacity: 'ten' is not a whole number"),
    ],
)
def test_bad_config_fails_before_anything_is_created(config: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ConfigError, match=message):
        run_program(config, mocks)
    assert mocks.resources == []


def test_every_config_key_is_declared_with_a_typed_default_and_a_description() -> None:
    python_types = {"string": str, "integer": int, "boolean": bool, "array": list}
    for key in config_schema().values():
        assert key.description, key.name
        assert isinstance(key.default, python_types[key.type]), f"{key.name}: default of the wrong type"


def test_the_program_reads_no_undeclared_key() -> None:
    # The harness hands the program Pulumi.yaml's defaults and nothing else: a key the
    # program needs that the schema does not declare fails here, as it would under the CLI.
    assert run().outputs[outputs.TABLE_NAME]


def test_dev_stack_is_demo_friendly_and_holds_no_secrets() -> None:
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert config["aws:region"]
    assert config["encrypted-dynamodb:deletionProtection"] is False
    assert "secure:" not in text
    assert {k.split(":", 1)[1] for k in config if k.startswith("encrypted-dynamodb:")} <= set(config_schema())


CONSUMER_READER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/{CONSUMER_ROLE_NAME}"
CONSUMER_WRITER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:user/writer"


def test_external_readers_and_writers_reach_the_table_and_are_exported_with_their_consumer_policy() -> None:
    result = run(
        tableName="orders",
        externalReaders=[CONSUMER_READER],
        externalWriters=[CONSUMER_WRITER],
        consumerProfiles=[f"{CONSUMER_ACCOUNT_ID}={CONSUMER_PROFILE}"],
    )
    consumer_policies = result.mocks.resources
    entries = result.outputs[outputs.EXTERNAL_PRINCIPALS]
    assert [
        (e[outputs.EXTERNAL_PRINCIPAL], e[outputs.EXTERNAL_ACCESS], e[outputs.EXTERNAL_KEY_ACCESS]) for e in entries
    ] == [(CONSUMER_READER, "read", "key-policy"), (CONSUMER_WRITER, "read-write", "key-policy")]
    assert all(e[outputs.EXTERNAL_ACCOUNT] == CONSUMER_ACCOUNT_ID for e in entries)
    assert all(e[outputs.EXTERNAL_EXPECTED_ACCESS] == outputs.EXPECT_READ for e in entries)
    assert all(e[outputs.EXTERNAL_STREAM] is False for e in entries)
    key_policy = policy_of(table_key(result))
    assert statement(key_policy, "ExternalKeyUseRead")["Principal"] == {"AWS": CONSUMER_READER}
    assert statement(key_policy, "ExternalKeyUseReadWrite")["Principal"] == {"AWS": CONSUMER_WRITER}
    (table_policy,) = result.mocks.of_type("aws:dynamodb/resourcePolicy:ResourcePolicy")
    assert table_policy.inputs["resourceArn"] == result.outputs[outputs.TABLE_ARN]
    # The consumer account's half, through a provider of its profile that may touch only that account.
    (provider,) = [r for r in consumer_policies if r.typ == "pulumi:providers:aws"]
    assert provider.name == f"consumer-{CONSUMER_ACCOUNT_ID}"
    assert provider.inputs["profile"] == CONSUMER_PROFILE
    assert json.loads(provider.inputs["allowedAccountIds"]) == [CONSUMER_ACCOUNT_ID]
    (role_policy,) = result.mocks.of_type("aws:iam/rolePolicy:RolePolicy")
    assert role_policy.inputs["role"] == CONSUMER_ROLE_NAME
    assert json.loads(role_policy.inputs["policy"]) == json.loads(entries[0][outputs.EXTERNAL_CONSUMER_POLICY])
    (user_policy,) = result.mocks.of_type("aws:iam/userPolicy:UserPolicy")
    assert user_policy.inputs["user"] == "writer"
    assert json.loads(user_policy.inputs["policy"]) == json.loads(entries[1][outputs.EXTERNAL_CONSUMER_POLICY])


def test_without_a_consumer_profile_nothing_is_attached_in_the_consumer_account() -> None:
    result = run(tableName="orders", externalReaders=[CONSUMER_READER])
    assert len(result.outputs[outputs.EXTERNAL_PRINCIPALS]) == 1
    assert not result.mocks.of_type("aws:iam/rolePolicy:RolePolicy")


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"tableName": "orders", "externalReaders": ["*"]}, "externalReaders[0]"),
        (
            {"tableName": "orders", "externalReaders": [CONSUMER_READER], "externalWriters": [CONSUMER_ACCOUNT_ID]},
            "externalWriters[0]",
        ),
        ({"externalReaders": [CONSUMER_READER]}, "tableName"),
        ({"tableName": "orders", "consumerProfiles": ["consumer"]}, "consumerProfiles[0]"),
    ],
)
def test_bad_external_config_names_the_key_the_user_typed(config: dict[str, Any], field: str) -> None:
    with pytest.raises(Exception, match=re.escape(field + ":")):
        run(**config)


# -- key-loss protection (issue 20) ------------------------------------------------------------------

BREAK_GLASS = f"arn:aws:iam::{ACCOUNT_ID}:role/break-glass/KeyRecovery"


def test_key_loss_protection_is_exported_by_the_output_contract() -> None:
    result = run(keyLossProtection=True, replicaRegions='["eu-west-1"]')
    protection = result.outputs[outputs.KEY_PROTECTION]
    assert set(result.outputs) >= set(outputs.FOR_KEY_PROTECTION)
    assert protection[outputs.PROTECTION_BREAK_GLASS] == [ISSUER_ARN]  # no one named: the deployer
    assert protection[outputs.PROTECTION_REQUIRE_MFA] is False
    assert protection[outputs.PROTECTION_DELETION_WINDOW] == 30
    keys = {k.name: k.state["arn"] for k in result.mocks.of_type(KEY)}
    rules = {r.name: r.state["name"] for r in result.mocks.of_type("aws:cloudwatch/eventRule:EventRule")}
    topics = {t.name: t.state["arn"] for t in result.mocks.of_type("aws:sns/topic:Topic")}
    assert protection[outputs.PROTECTION_ALARMS] == [
        {
            outputs.ALARM_REGION: region,
            outputs.ALARM_KEY_ARN: keys[f"encrypted-key{end}"],
            outputs.ALARM_TOPIC_ARN: topics[f"encrypted-alarm-topic{end}"],
            outputs.ALARM_RULES: {kind: rules[f"encrypted-alarm-{kind}{end}"] for kind in ALARM_KINDS},
        }
        for region, end in (("us-east-1", ""), ("eu-west-1", "-eu-west-1"))
    ]
    for name in ("encrypted-key", "encrypted-key-eu-west-1"):
        deny = statement(
            policy_of(next(k for k in result.mocks.of_type(KEY) if k.name == name)), SID_KEY_LOSS_PROTECTION
        )
        assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": ISSUER_ARN}}


def test_key_loss_protection_config_reaches_the_component() -> None:
    topics = [f"arn:aws:sns:{region}:{ACCOUNT_ID}:key-alarms" for region in ("eu-west-1", "us-east-1")]
    result = run(
        keyLossProtection=True,
        replicaRegions='["eu-west-1"]',
        breakGlassPrincipals=[BREAK_GLASS],
        breakGlassRequireMfa=True,
        alarmTopicArns=topics,
        keyDeletionWindowDays=7,
    )
    protection = result.outputs[outputs.KEY_PROTECTION]
    assert (protection[outputs.PROTECTION_BREAK_GLASS], protection[outputs.PROTECTION_REQUIRE_MFA]) == (
        [BREAK_GLASS],
        True,
    )
    assert protection[outputs.PROTECTION_DELETION_WINDOW] == 7
    assert [a[outputs.ALARM_TOPIC_ARN] for a in protection[outputs.PROTECTION_ALARMS]] == topics[::-1]
    assert not result.mocks.of_type("aws:sns/topic:Topic")
    assert BREAK_GLASS in result.outputs[outputs.KEY_ADMIN_ARNS]


def test_without_key_loss_protection_nothing_is_exported_or_created() -> None:
    result = run(keyLossProtection=False)
    assert outputs.KEY_PROTECTION not in result.outputs
    assert not result.mocks.of_type("aws:cloudwatch/eventRule:EventRule")
    assert SID_KEY_LOSS_PROTECTION not in json.dumps(policy_of(table_key(result)))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"keyLossProtection": False, "breakGlassPrincipals": [BREAK_GLASS]},
            r"^breakGlassPrincipals: is set, but key-loss protection is off",
        ),
        (
            {"keyLossProtection": False, "breakGlassRequireMfa": True},
            r"^breakGlassRequireMfa: is set, but key-loss protection is off",
        ),
        ({"keyLossProtection": True, "breakGlassPrincipals": ["*"]}, r"^breakGlassPrincipals\[0\]: '\*' is a wildcard"),
        (
            {"keyLossProtection": True, "alarmTopicArns": ["alarms"]},
            r"^alarmTopicArns\[0\]: 'alarms' is not an SNS topic",
        ),
        (
            {
                "keyLossProtection": True,
                "alarmTopicArns": [f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:a", f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:b"],
            },
            r"^alarmTopicArns\[1\]: a second topic of us-east-1 \(alarmTopicArns\[0\] is one\)",
        ),
        (
            {
                "keyLossProtection": True,
                "replicaRegions": '["eu-west-1"]',
                "alarmTopicArns": [f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:a"],
            },
            r"^alarmTopicArns: no topic for the key region\(s\) \['eu-west-1'\]",
        ),
        (
            {"keyLossProtection": True, "alarmTopicArns": [f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:a.fifo"]},
            r"^alarmTopicArns\[0\]: .* is a FIFO topic",
        ),
    ],
)
def test_bad_key_loss_protection_config_names_the_key_and_creates_nothing(config: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ConfigError, match=message):
        run_program(config, mocks)
    assert mocks.resources == []
