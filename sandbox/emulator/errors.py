"""The AWS errors the emulator answers with itself, and the one writer of AWS's JSON error shape.

One class per AWS error code. Each is an exception so that a decision can return
or raise it; the middleware and the fault injector write it with `write_error`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

# The prefix DynamoDB puts before an error code in `__type`; botocore reads the code after the '#'.
DYNAMODB_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class AwsError(Exception):
    """An error as an AWS service answers it: an HTTP status, an error code and a message."""

    code: ClassVar[str]
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class AccessDeniedError(AwsError):
    """The caller may not: IAM on a DynamoDB action, or KMS on the table's key."""

    code = "AccessDeniedException"


class ValidationError(AwsError):
    """DynamoDB's answer when a table's key is disabled or pending deletion."""

    code = "ValidationException"


class ThrottlingError(AwsError):
    code = "ThrottlingException"


class ExpiredTokenError(AwsError):
    code = "ExpiredTokenException"


def write_error(start_response: Callable[..., Any], error: AwsError, *, prefix: str = "") -> list[bytes]:
    """The error as AWS's JSON protocols (DynamoDB, KMS) answer it."""
    body = json.dumps({"__type": f"{prefix}{error.code}", "message": error.message}).encode()
    start_response(
        f"{error.status} Error",
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]
