"""The access core: who may do what to an encrypted table's data, as plain data and functions.

Standard library only, so that every layer can use it without loading an SDK:
the components build policies with it, the verifier and the policy pack judge
with it, the sandbox enforces with it.

Its modules, every one:
- errors:         ConfigError, the one error type for bad input, and its texts
- arns:           principal, session, table, key and alias ARNs; region, key-id and name
                  patterns; Location, the one (partition, region, account) record
- documents:      policy documents (parse, statements, principals, labels, wildcards)
- policy_grammar: which documents AWS refuses, per kind of policy
- variables:      IAM policy variables (${aws:username}, defaults, escapes)
- conditions:     IAM condition operators
- context:        the request context: a request's condition keys, as policies read them
- kms_dynamodb:   the facts of KMS with DynamoDB (statement ids, action sets, grant
                  operations, encryption context, kms:ViaService, key states, KMS limits)
- operations:     the catalogue of DynamoDB operations (actions, resources, what each
                  does to the data, the audit's access paths)
- provider_types: the pulumi-aws resource type tokens
- analyzers:      checks on whole documents (wildcard principals, unscoped key use, broad kms)
- evaluator:      the IAM/KMS authorization decision (its public functions)
- compiled:       documents compiled once and cached by content, on which the evaluator decides
- key_protection: key-loss protection: who may still make a key unusable, the alarm rules' patterns
- event_patterns: EventBridge event patterns, matched as EventBridge matches them
"""
