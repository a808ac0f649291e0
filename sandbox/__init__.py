"""Run the stack program locally, without the Pulumi CLI or an AWS account.

- `sandbox.emulator`: moto on 127.0.0.1 with KMS key access enforced; the only part
  that touches moto's internals;
- `sandbox.engine`: `pulumi up` semantics, one handler per resource type (invented
  values for the plain mocks, boto3 calls against the emulator);
- `sandbox.harness`: the recording Pulumi mocks and the program runner, the test
  harness of the whole repository;
- `sandbox.demo`: the walkthrough, the only part that joins the sandbox, the
  verifier and the stack program; `python -m sandbox` (demo, serve, plan).
"""
