"""Stack program: config -> components -> exports. Wiring only."""

import pulumi

from components import EncryptedTable, KeyUser
from stack import outputs
from stack.config import TABLE_COMPONENT_NAME, load_stack_config
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

if probe is not None and granted and settings.grant_mode != "key-policy":
    KeyUser(
        "test-principal-key-user",
        table.key_user_args(probe.arn, mode=settings.grant_mode, access="read", principal_kind=probe.kind),
    )

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
if probe is not None:
    pulumi.export(outputs.TEST_PRINCIPAL_ARN, probe.arn)
    pulumi.export(outputs.TEST_PRINCIPAL_EXPECTED_ACCESS, outputs.EXPECT_READ if granted else outputs.EXPECT_DENIED)
    if probe.access_key_id is not None:
        pulumi.export(outputs.TEST_USER_ACCESS_KEY_ID, probe.access_key_id)
        pulumi.export(outputs.TEST_USER_SECRET_ACCESS_KEY, probe.secret_access_key)
