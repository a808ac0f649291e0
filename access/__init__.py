"""The access core: who may do what to an encrypted table's data, as plain data and functions.

Standard library only, so that every layer can use it without loading an SDK:
the components build policies with it, the verifier and the policy pack judge
with it, the sandbox enforces with it.

- errors:       ConfigError, the one error type for bad input, and its texts
- documents:    policy documents (parse, statements, principals, labels, wildcards)
- arns:         principal, table and key ARNs
- kms_dynamodb: the facts of KMS with DynamoDB (statement ids, action sets, grant
                operations, encryption context, kms:ViaService, KMS limits)
- analyzers:    checks on whole documents (wildcard principals, unscoped key use, broad kms)
- evaluator:    the IAM/KMS authorization decision
"""
