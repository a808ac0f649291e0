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

pulumi.export("tableName", orders.table_name)
pulumi.export("keyArn", orders.key_arn)
pulumi.export("readerGrantId", reader.grant_id)
