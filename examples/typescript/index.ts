import * as encrypted from "@platform/encrypted-dynamodb";

// A table encrypted with its own customer-managed key, administered by the security team.
const orders = new encrypted.EncryptedTable("orders", {
    partitionKey: "orderId",
    sortKey: "createdAt",
    keyAdmins: ["arn:aws:iam::111122223333:role/security/KeyAdmin"],
    tags: { team: "orders" },
});

// A reader added after the fact: a KMS grant bound to this table, and least-privilege read rights.
const reader = new encrypted.KeyUser("orders-reader", {
    keyArn: orders.keyArn,
    tableName: orders.tableName,
    tableArn: orders.tableArn,
    principalArn: "arn:aws:iam::111122223333:role/apps/OrdersReader",
    principalKind: "role",
    includeTableAccess: true,
});

export const tableName = orders.tableName;
export const keyArn = orders.keyArn;
export const readerGrantId = reader.grantId;
