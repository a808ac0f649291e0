"""Stack program: config -> components -> exports. Wiring only."""

import pulumi
import pulumi_aws as aws

from components import ConsumerAccess, EncryptedTable, KeyUser
from stack import outputs
from stack.config import TABLE_COMPONENT_NAME, load_stack_config
from stack.intent import intended_key_users
from stack.test_principal import ProbePrincipal

settings = load_stack_config(pulumi.Config())

probe = (
    None
    if settings.test_principal == outputs.NO_TEST_PRINCIPAL
    else ProbePrincipal("test-principal", {"kind": settings.test_principal})
)
granted = probe is not None and settings.grant_test_principal

# "key-policy" is the walkthrough's own way: name the key user in the key policy.
key_users = [probe.arn] if probe is not None and granted and settings.grant_mode == "key-policy" else []
table = EncryptedTable(TABLE_COMPONENT_NAME, {**settings.table, "key_users": key_users})

key_user_grants = []
if probe is not None and granted and settings.grant_mode != "key-policy":
    key_user_grants.append(
        KeyUser(
            "test-principal-key-user",
            table.key_user_args(probe.arn, mode=settings.grant_mode, access="read", principal_kind=probe.kind),
        )
    )

# Readers in other accounts: their account's half (the identity policy), where the stack has a profile of it.
for consumer in settings.consumer_accounts:
    consumer_provider = aws.Provider(
        f"consumer-{consumer.account}",
        profile=consumer.profile,
        region=table.region,
        allowed_account_ids=[consumer.account],
    )
    for principal in consumer.principals:
        ConsumerAccess(
            f"consumer-{consumer.account}-{principal.rsplit(':', 1)[1].replace('/', '-')}",
            {"principal_arn": principal, "policy": table.consumer_policy(principal)},
            opts=pulumi.ResourceOptions(provider=consumer_provider),
        )

# Who the stack means to reach the data, and how, for the verifier's access audit (stack/intent.py).
intended = intended_key_users(table, key_user_grants)

pulumi.export(outputs.REGION, table.region)
pulumi.export(outputs.ACCOUNT_ID, table.account_id)
pulumi.export(outputs.TABLE_NAME, table.table_name)
pulumi.export(outputs.TABLE_ARN, table.table_arn)
pulumi.export(outputs.KEY_ID, table.key_id)
pulumi.export(outputs.KEY_ARN, table.key_arn)
pulumi.export(outputs.KEY_ALIAS, table.alias_name)
# What the table was configured with, so the verifier can compare.
pulumi.export(outputs.POINT_IN_TIME_RECOVERY, settings.point_in_time_recovery)
pulumi.export(outputs.DELETION_PROTECTION, settings.deletion_protection)
pulumi.export(outputs.TEST_PRINCIPAL_KIND, settings.test_principal)
pulumi.export(outputs.INTENDED_KEY_USERS, intended)
pulumi.export(outputs.KEY_ADMIN_ARNS, table.key_admin_arns)
pulumi.export(outputs.DEPLOYER_ARN, table.deployer_arn)
pulumi.export(
    outputs.REPLICAS,
    pulumi.Output.all(table.replica_key_arns, table.replica_alias_names, table.replica_arns).apply(
        lambda values: [
            {
                outputs.REPLICA_REGION: region,
                outputs.REPLICA_KEY_ARN: values[0][region],
                outputs.REPLICA_KEY_ALIAS: values[1][region],
                outputs.REPLICA_ARN: values[2][region],
            }
            for region in table.replica_regions
        ]
    ),
)
pulumi.export(
    outputs.EXTERNAL_PRINCIPALS,
    pulumi.Output.all(table.external_principals, table.consumer_policies).apply(
        lambda values: [
            {
                outputs.EXTERNAL_PRINCIPAL: entry["principal"],
                outputs.EXTERNAL_ACCOUNT: entry["account"],
                outputs.EXTERNAL_ACCESS: entry["access"],
                outputs.EXTERNAL_KEY_ACCESS: entry["key_access"],
                outputs.EXTERNAL_STREAM: entry["stream"],
                outputs.EXTERNAL_EXPECTED_ACCESS: outputs.EXPECT_READ,
                outputs.EXTERNAL_CONSUMER_POLICY: values[1][entry["principal"]],
            }
            for entry in values[0]
        ]
    ),
)
# Key-loss protection (issue 20): who alone may lose the key, and the alarms of every key region.
if settings.table.get("key_loss_protection"):
    pulumi.export(
        outputs.KEY_PROTECTION,
        table.key_protection.apply(
            lambda protection: {
                outputs.PROTECTION_BREAK_GLASS: protection["break_glass"],
                outputs.PROTECTION_REQUIRE_MFA: protection["require_mfa"],
                outputs.PROTECTION_DELETION_WINDOW: protection["deletion_window_days"],
                outputs.PROTECTION_ALARMS: [
                    {
                        outputs.ALARM_REGION: alarms["region"],
                        outputs.ALARM_KEY_ARN: alarms["key_arn"],
                        outputs.ALARM_TOPIC_ARN: alarms["topic_arn"],
                        outputs.ALARM_RULES: alarms["rules"],
                    }
                    for alarms in protection["alarms"]
                ],
            }
        ),
    )
if probe is not None:
    pulumi.export(outputs.TEST_PRINCIPAL_ARN, probe.arn)
    pulumi.export(outputs.TEST_PRINCIPAL_EXPECTED_ACCESS, outputs.EXPECT_READ if granted else outputs.EXPECT_DENIED)
    if probe.access_key_id is not None:
        pulumi.export(outputs.TEST_USER_ACCESS_KEY_ID, probe.access_key_id)
        pulumi.export(outputs.TEST_USER_SECRET_ACCESS_KEY, probe.secret_access_key)
