module encrypted-dynamodb-go

go 1.22

require (
	github.com/platform/pulumi-encrypted-dynamodb/sdk/go v1.0.0
	github.com/pulumi/pulumi/sdk/v3 v3.200.0
)

// Written by `pulumi package add`: the SDK's module is the folder it generated in sdks/, whose
// go.mod is at its root (the package is its encrypteddynamodb/ folder). Run `go mod tidy` after it.
replace github.com/platform/pulumi-encrypted-dynamodb/sdk/go => ./sdks/platform-encrypted-dynamodb
