package myproject;

import com.platform.encrypteddynamodb.EncryptedTable;
import com.platform.encrypteddynamodb.EncryptedTableArgs;
import com.platform.encrypteddynamodb.KeyUser;
import com.platform.encrypteddynamodb.KeyUserArgs;
import com.pulumi.Pulumi;
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

            ctx.export("tableName", orders.tableName());
            ctx.export("keyArn", orders.keyArn());
            ctx.export("readerGrantId", reader.grantId());
        });
    }
}
