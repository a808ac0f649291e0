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

		// What the verifier reads, so that the action can verify this stack (docs/action.md, "What the stack
		// must export"): the table and its key, no test principal, and the two settings it compares with the
		// live table (the component's defaults here: export what you set).
		ctx.Export("region", orders.Region)
		ctx.Export("accountId", orders.AccountId)
		ctx.Export("tableName", orders.TableName)
		ctx.Export("tableArn", orders.TableArn)
		ctx.Export("keyId", orders.KeyId)
		ctx.Export("keyArn", orders.KeyArn)
		ctx.Export("keyAlias", orders.AliasName)
		ctx.Export("pointInTimeRecovery", pulumi.Bool(true))
		ctx.Export("deletionProtection", pulumi.Bool(true))
		ctx.Export("testPrincipalKind", pulumi.String("none"))
		// For the access audit: who is meant to reach the data, who administers the key, who deployed it.
		ctx.Export("intendedKeyUsers", pulumi.Array{pulumi.Map{
			"principal": reader.PrincipalArn,
			"access":    reader.Access,
			"paths":     reader.Paths,
		}})
		ctx.Export("keyAdminArns", orders.KeyAdminArns)
		ctx.Export("deployerArn", orders.DeployerArn)
		ctx.Export("readerGrantId", reader.GrantId)
		return nil
	})
}
