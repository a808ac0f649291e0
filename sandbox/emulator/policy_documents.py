"""The policy documents a request would store, refused as AWS refuses them when they are not policies.

moto stores any text as a key policy, a table resource policy or a role's trust policy: a key policy
`{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": 5, "Resource": "*"}]}` was stored, and
every later decision on that key read a document AWS would never have taken. What AWS refuses is
access.policy_grammar's (the IAM JSON policy grammar and the KMS key policy rules, conservatively);
the answer is the service's:

- KMS CreateKey, PutKeyPolicy and ReplicateKey (`Policy`): MalformedPolicyDocumentException, HTTP 400
  (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html, API_CreateKey.html,
  API_ReplicateKey.html);
- DynamoDB PutResourcePolicy (`Policy`) and CreateTable (`ResourcePolicy`): ValidationException, HTTP
  400, "One or more parameter values were invalid: Invalid policy document ..." (botocore's model
  lists no error of its own for it: DynamoDB answers an invalid policy with its common
  ValidationException, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html
  and CommonErrors.html); a policy granting public access is refused the same way (DynamoDB's block public
  access, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html; the exact error
  code of that refusal is not documented, ValidationException is the common one);
- IAM CreateRole (`AssumeRolePolicyDocument`): MalformedPolicyDocument, HTTP 400
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html). moto checks the other IAM
  documents itself (PutRolePolicy, PutUserPolicy, PutGroupPolicy, CreatePolicy, CreatePolicyVersion,
  UpdateAssumeRolePolicy: moto.iam.policy_validation) and answers MalformedPolicyDocument as IAM does.

Pure; nothing here touches moto.
"""

from __future__ import annotations

import json

from access.policy_grammar import KEY_POLICY, TABLE_POLICY, TRUST_POLICY, document_problems, public_access_problems
from sandbox.emulator.errors import AwsError, MalformedPolicyDocumentError, ValidationError
from sandbox.emulator.requests import Call

# (service, operation) -> (the parameter holding the document, its kind)
DOCUMENTS = {
    ("kms", "CreateKey"): ("Policy", KEY_POLICY),
    ("kms", "PutKeyPolicy"): ("Policy", KEY_POLICY),
    ("kms", "ReplicateKey"): ("Policy", KEY_POLICY),
    ("dynamodb", "PutResourcePolicy"): ("Policy", TABLE_POLICY),
    ("dynamodb", "CreateTable"): ("ResourcePolicy", TABLE_POLICY),
    ("iam", "CreateRole"): ("AssumeRolePolicyDocument", TRUST_POLICY),
}


def problems_of(text: object, kind: str) -> list[str]:
    """Why AWS refuses this document text as a policy of `kind`; [] when it takes it."""
    if not isinstance(text, str):
        return ["(document): must be a JSON text"]
    try:
        document = json.loads(text)
    except ValueError as error:
        return [f"(document): is not JSON ({error})"]
    problems = document_problems(document, kind)
    if kind == TABLE_POLICY and not problems:
        # DynamoDB's block public access, always on for tables, indexes and streams (rbac-bpa-rbp.html).
        problems = public_access_problems(document)
    return problems


def refusal(call: Call) -> AwsError | None:
    """The error AWS answers when the request carries a policy document it refuses; None otherwise."""
    found = DOCUMENTS.get((call.service.name, call.operation))
    if found is None or found[0] not in call.params:
        return None
    parameter, kind = found
    problems = problems_of(call.params[parameter], kind)
    if not problems:
        return None
    detail = "; ".join(problems)
    if call.service.name == "dynamodb":
        return ValidationError(f"One or more parameter values were invalid: Invalid policy document: {detail}")
    return MalformedPolicyDocumentError(f"The {kind} in {parameter} is not syntactically correct: {detail}")
