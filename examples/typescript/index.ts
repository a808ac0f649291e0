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

// What the verifier reads, so that the action can verify this stack (docs/action.md, "What the stack
// must export"): the table and its key, no test principal, and the two settings it compares with the
// live table (the component's defaults here: export what you set).
export const region = orders.region;
export const accountId = orders.accountId;
export const tableName = orders.tableName;
export const tableArn = orders.tableArn;
export const keyId = orders.keyId;
export const keyArn = orders.keyArn;
export const keyAlias = orders.aliasName;
export const pointInTimeRecovery = true;
export const deletionProtection = true;
export const testPrincipalKind = "none";
// For the access audit: who is meant to reach the data, who administers the key, who deployed it.
export const intendedKeyUsers = [{ principal: reader.principalArn, access: reader.access, paths: reader.paths }];
export const keyAdminArns = orders.keyAdminArns;
export const deployerArn = orders.deployerArn;
export const readerGrantId = reader.grantId;
