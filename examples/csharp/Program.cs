using System.Collections.Generic;
using Platform.EncryptedDynamodb;
using Pulumi;

return await Deployment.RunAsync(() =>
{
    // A table encrypted with its own customer-managed key, administered by the security team.
    var orders = new EncryptedTable("orders", new EncryptedTableArgs
    {
        PartitionKey = "orderId",
        SortKey = "createdAt",
        KeyAdmins = { "arn:aws:iam::111122223333:role/security/KeyAdmin" },
        Tags = { { "team", "orders" } },
    });

    // A reader added after the fact: a KMS grant bound to this table, and least-privilege read rights.
    var reader = new KeyUser("orders-reader", new KeyUserArgs
    {
        KeyArn = orders.KeyArn,
        TableName = orders.TableName,
        TableArn = orders.TableArn,
        PrincipalArn = "arn:aws:iam::111122223333:role/apps/OrdersReader",
        PrincipalKind = "role",
        IncludeTableAccess = true,
    });

    return new Dictionary<string, object?>
    {
        ["tableName"] = orders.TableName,
        ["keyArn"] = orders.KeyArn,
        ["readerGrantId"] = reader.GrantId,
    };
});
