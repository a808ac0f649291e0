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

    // What the verifier reads, so that the action can verify this stack (docs/action.md, "What the stack
    // must export"): the table and its key, no test principal, and the two settings it compares with the
    // live table (the component's defaults here: export what you set).
    return new Dictionary<string, object?>
    {
        ["region"] = orders.Region,
        ["accountId"] = orders.AccountId,
        ["tableName"] = orders.TableName,
        ["tableArn"] = orders.TableArn,
        ["keyId"] = orders.KeyId,
        ["keyAlias"] = orders.AliasName,
        ["pointInTimeRecovery"] = true,
        ["deletionProtection"] = true,
        ["testPrincipalKind"] = "none",
        // For the access audit: who is meant to reach the data, who administers the key, who deployed it.
        ["intendedKeyUsers"] = new[]
        {
            new Dictionary<string, object?>
            {
                ["principal"] = reader.PrincipalArn,
                ["access"] = reader.Access,
                ["paths"] = reader.Paths,
            },
        },
        ["keyAdminArns"] = orders.KeyAdminArns,
        ["deployerArn"] = orders.DeployerArn,
        ["keyArn"] = orders.KeyArn,
        ["readerGrantId"] = reader.GrantId,
    };
});
