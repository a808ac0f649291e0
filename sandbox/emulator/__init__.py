"""The local AWS emulator: moto on 127.0.0.1, with KMS key access enforced on DynamoDB's data plane.

Three modules touch moto and nothing else in the sandbox does: `server` (moto's WSGI
app, resetting it, seeding the account with the deployer and managed policies),
`patches` (every change to moto's own code and settings, undone on stop) and `state`
(reading moto's backends into plain records). The rest is plain Python on top:
`actions` (which IAM action each request is), `decisions` (who may do what, with
propagation delays, and AWS's wording for a refusal), `middleware` (the WSGI layer
that enforces it), `faults` (errors injected for tests), `errors` (the AWS error
codes the emulator answers with itself) and `account` (the account and region).

Importing this package imports nothing: import the module you need.
"""
