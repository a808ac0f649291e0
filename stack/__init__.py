"""The stack program's own parts, apart from the reusable components.

- outputs:        the output contract shared with the verifier (names, allowed values);
                  standard library only, so the verifier can import it without Pulumi
- project:        Pulumi.yaml's typed `config:` block, the one source of config defaults
- config:         stack config -> validated component arguments
- test_principal: the walkthrough's test principal (DynamoDB read-only, no KMS rights)
"""
