"""An encrypted table and a reader, with the components imported as Python (requirements.txt)."""

import pulumi

from components import EncryptedTable, KeyUser

# A table encrypted with its own customer-managed key, administered by the security team.
orders = EncryptedTable(
    "orders",
    {
        "partition_key": "orderId",
        "sort_key": "createdAt",
        "key_admins": ["arn:aws:iam::111122223333:role/security/KeyAdmin"],
        "tags": {"team": "orders"},
    },
)

# A reader added after the fact: a KMS grant bound to this table, and least-privilege read rights.
reader = KeyUser(
    "orders-reader",
    {
        "key_arn": orders.key_arn,
        "table_name": orders.table_name,
        "table_arn": orders.table_arn,
        "principal_arn": "arn:aws:iam::111122223333:role/apps/OrdersReader",
        "principal_kind": "role",
        "include_table_access": True,
    },
)

# What the verifier reads, so that the action can verify this stack (docs/action.md, "What the stack
# must export"): the table and its key, no test principal, and the two settings it compares with the
# live table (the component's defaults here: export what you set).
pulumi.export("region", orders.region)
pulumi.export("accountId", orders.account_id)
pulumi.export("tableName", orders.table_name)
pulumi.export("tableArn", orders.table_arn)
pulumi.export("keyId", orders.key_id)
pulumi.export("keyArn", orders.key_arn)
pulumi.export("keyAlias", orders.alias_name)
pulumi.export("pointInTimeRecovery", True)
pulumi.export("deletionProtection", True)
pulumi.export("testPrincipalKind", "none")
# For the access audit: who is meant to reach the data, who administers the key, who deployed it.
pulumi.export("intendedKeyUsers", [{"principal": reader.principal_arn, "access": reader.access, "paths": reader.paths}])
pulumi.export("keyAdminArns", orders.key_admin_arns)
pulumi.export("deployerArn", orders.deployer_arn)
pulumi.export("readerGrantId", reader.grant_id)
