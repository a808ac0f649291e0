"""The local AWS emulator: moto on 127.0.0.1, every request classified, authenticated and authorized first.

The modules that touch moto: `server` (moto's WSGI app, resetting it, seeding the account
with the deployer and managed policies), `patches` (every change to moto's own code and
settings, undone on stop), `state` (reading moto's backends into plain records) and
`table_updates` (UpdateTable's SSESpecification, which moto ignores), `restores` (a
restored table keeps its source's key, and a point-in-time restore takes its source by ARN),
`exports` (an export without S3Prefix, named as DynamoDB names it), `key_ids` (a key's
lifecycle calls given its key ARN, answered with it), `partiql_runs` (a PartiQL statement runs on the one
table or index it was authorized on), `stream_policies` (a stream's own resource policy, which
moto refused) and `replicas` (global tables and multi-Region key
replicas, each region decided on its own keys). The rest is plain Python on top: `requests` (what
a request is, exactly as AWS parses it, or why it is refused), `signatures` (SigV4
verified with the secret the emulator issued), `actions` (which IAM action each
data-plane request is), `partiql` (the table a statement touches), `key_states` (what a
key's state refuses of its lifecycle calls), `policy_documents` (a policy document AWS
refuses is refused, never stored), `rules` (what AWS
checks before a control-plane request, on which resource), `decisions` (who may do what,
with propagation delays, and AWS's wording for a refusal), `middleware` (the WSGI layer that enforces it),
`faults` (errors injected for tests), `answers` (a wrapped app's answer, held and sent on),
`errors` (the AWS errors the emulator answers with itself) and `account` (the account and
region). docs/enforcement.md is the threat model.

Importing this package imports nothing: import the module you need.
"""
