"""The AWS errors the emulator answers with itself, and the writers of AWS's error shapes.

One class per AWS error. Each is an exception so that a decision can return or raise it;
the middleware and the fault injector write it with `write_error`. The JSON protocols
(DynamoDB, DynamoDB Streams, KMS) and the query protocol (IAM, STS) name some errors
differently and answer them with another status: a class carries both (`query_code`,
`query_status`). Errors raised by AWS's request framework itself (authentication, an
unknown operation, a body that is not JSON) are `coral` errors: DynamoDB prefixes them
with `com.amazon.coral.service#`, its own with `com.amazonaws.dynamodb.v20120810#`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, ClassVar
from xml.sax.saxutils import escape

# The prefix DynamoDB puts before an error code in `__type`; botocore reads the code after the '#'.
DYNAMODB_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
CORAL_ERROR_PREFIX = "com.amazon.coral.service#"
JSON = "json"
QUERY = "query"


class AwsError(Exception):
    """An error as an AWS service answers it: an HTTP status, an error code and a message."""

    code: ClassVar[str]
    status: ClassVar[int] = 400
    query_code: ClassVar[str] = ""  # the query protocol's name for it, when it differs
    query_status: ClassVar[int] = 0  # the query protocol's status, when it differs
    coral: ClassVar[bool] = False  # raised by AWS's request framework, before the service

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class AccessDeniedError(AwsError):
    """The caller may not: IAM on an action, or KMS on a key."""

    code = "AccessDeniedException"
    query_code = "AccessDenied"
    query_status = 403


class AuthorizationError(AwsError):
    """SNS's own name for an access denial: AuthorizationError, HTTP 403 (the SNS API reference's errors of every
    topic call, and botocore's model, AuthorizationErrorException)."""

    code = "AuthorizationError"
    status = 403


class ValidationError(AwsError):
    """DynamoDB's answer to a request it cannot take: a key disabled or pending deletion, a statement not understood."""

    code = "ValidationException"


class MalformedPolicyDocumentError(AwsError):
    """KMS (CreateKey, PutKeyPolicy, ReplicateKey) and IAM: a policy document that is not syntactically correct.

    KMS: MalformedPolicyDocumentException, HTTP 400 (the PutKeyPolicy and CreateKey API references);
    IAM: MalformedPolicyDocument, HTTP 400 (the CreateRole API reference).
    """

    code = "MalformedPolicyDocumentException"
    query_code = "MalformedPolicyDocument"


class NotFoundError(AwsError):
    """KMS: no key (or alias) by that name."""

    code = "NotFoundException"


class KmsInvalidStateError(AwsError):
    """KMS: the key's state does not allow the call (key-state.html: "<key ARN> is pending deletion.")."""

    code = "KMSInvalidStateException"


class ThrottlingError(AwsError):
    code = "ThrottlingException"


class ExpiredTokenError(AwsError):
    code = "ExpiredTokenException"
    query_code = "ExpiredToken"
    query_status = 403
    coral = True


class MissingAuthenticationTokenError(AwsError):
    """No SigV4 Authorization header."""

    code = "MissingAuthenticationTokenException"
    query_code = "MissingAuthenticationToken"
    query_status = 403
    coral = True


class IncompleteSignatureError(AwsError):
    """An Authorization header that is not a complete SigV4 one."""

    code = "IncompleteSignatureException"
    query_code = "IncompleteSignature"
    coral = True


class UnrecognizedClientError(AwsError):
    """An access key id (or session) the emulator did not issue, or no longer honours."""

    code = "UnrecognizedClientException"
    query_code = "InvalidClientTokenId"
    query_status = 403
    coral = True


class InvalidSignatureError(AwsError):
    """A signature that the secret issued for the access key id does not reproduce."""

    code = "InvalidSignatureException"
    query_code = "SignatureDoesNotMatch"
    query_status = 403
    coral = True


class UnknownOperationError(AwsError):
    """A target (or Action) that is not an operation of the service, or a request the emulator does not serve."""

    code = "UnknownOperationException"
    query_code = "InvalidAction"
    coral = True


class SerializationError(AwsError):
    """A JSON-protocol body that is not a JSON object."""

    code = "SerializationException"
    query_code = "MalformedInput"
    coral = True


INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 (a message)
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def write_error(
    start_response: Callable[..., Any], error: AwsError, *, prefix: str = "", protocol: str = JSON
) -> list[bytes]:
    """The error as AWS's JSON protocols (DynamoDB, KMS) or its query protocol (IAM, STS) answer it."""
    request_id = str(uuid.uuid4())
    if protocol == QUERY:
        code = error.query_code or error.code
        status = error.query_status or error.status
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(error.message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    else:
        status = error.status
        body = json.dumps({"__type": f"{prefix}{error.code}", "message": error.message}).encode()
        content_type = "application/x-amz-json-1.0"
    start_response(
        f"{status} Error",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id)],
    )
    return [body]
