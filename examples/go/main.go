package main

import (
	"github.com/platform/pulumi-encrypted-dynamodb/sdk/go/encrypteddynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// A table encrypted with its own customer-managed key, administered by the security team.
		orders, err := encrypteddynamodb.NewEncryptedTable(ctx, "orders", &encrypteddynamodb.EncryptedTableArgs{
			PartitionKey: "orderId",
			SortKey:      pulumi.StringRef("createdAt"),
			KeyAdmins:    pulumi.StringArray{pulumi.String("arn:aws:iam::111122223333:role/security/KeyAdmin")},
			Tags:         pulumi.StringMap{"team": pulumi.String("orders")},
		})
		if err != nil {
			return err
		}

		// A reader added after the fact: a KMS grant bound to this table, and least-privilege read rights.
		reader, err := encrypteddynamodb.NewKeyUser(ctx, "orders-reader", &encrypteddynamodb.KeyUserArgs{
			KeyArn:             orders.KeyArn,
			TableName:          orders.TableName,
			TableArn:           orders.TableArn,
			PrincipalArn:       pulumi.String("arn:aws:iam::111122223333:role/apps/OrdersReader"),
			PrincipalKind:      pulumi.StringRef("role"),
			IncludeTableAccess: pulumi.BoolRef(true),
		})
		if err != nil {
			return err
		}

		ctx.Export("tableName", orders.TableName)
		ctx.Export("keyArn", orders.KeyArn)
		ctx.Export("readerGrantId", reader.GrantId)
		return nil
	})
}
