package myproject;

import com.platform.encrypteddynamodb.EncryptedTable;
import com.platform.encrypteddynamodb.EncryptedTableArgs;
import com.platform.encrypteddynamodb.KeyUser;
import com.platform.encrypteddynamodb.KeyUserArgs;
import com.pulumi.Pulumi;
import com.pulumi.core.Output;
import java.util.List;
import java.util.Map;

public class App {
    public static void main(String[] args) {
        Pulumi.run(ctx -> {
            // A table encrypted with its own customer-managed key, administered by the security team.
            var orders = new EncryptedTable("orders", EncryptedTableArgs.builder()
                .partitionKey("orderId")
                .sortKey("createdAt")
                .keyAdmins("arn:aws:iam::111122223333:role/security/KeyAdmin")
                .tags(Map.of("team", "orders"))
                .build());

            // A reader added after the fact: a KMS grant bound to this table, and least-privilege read rights.
            var reader = new KeyUser("orders-reader", KeyUserArgs.builder()
                .keyArn(orders.keyArn())
                .tableName(orders.tableName())
                .tableArn(orders.tableArn())
                .principalArn("arn:aws:iam::111122223333:role/apps/OrdersReader")
                .principalKind("role")
                .includeTableAccess(true)
                .build());

            // What the verifier reads, so that the action can verify this stack (docs/action.md, "What the
            // stack must export"): the table and its key, no test principal, and the two settings it compares
            // with the live table (the component's defaults here: export what you set).
            ctx.export("region", orders.region());
            ctx.export("accountId", orders.accountId());
            ctx.export("tableName", orders.tableName());
            ctx.export("tableArn", orders.tableArn());
            ctx.export("keyId", orders.keyId());
            ctx.export("keyArn", orders.keyArn());
            ctx.export("keyAlias", orders.aliasName());
            ctx.export("pointInTimeRecovery", Output.of(true));
            ctx.export("deletionProtection", Output.of(true));
            ctx.export("testPrincipalKind", Output.of("none"));
            // For the access audit: who is meant to reach the data, who administers the key, who deployed it.
            ctx.export("intendedKeyUsers", Output.tuple(reader.principalArn(), reader.access(), reader.paths())
                .applyValue(user -> List.of(Map.of("principal", user.t1, "access", user.t2, "paths", user.t3))));
            ctx.export("keyAdminArns", orders.keyAdminArns());
            ctx.export("deployerArn", orders.deployerArn());
            ctx.export("readerGrantId", reader.grantId());
        });
    }
}
