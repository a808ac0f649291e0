"""Why a verification could not run, and what to do about it: one line per kind of failure.

Operational failures (throttling, expired or unknown credentials, no network,
missing read rights) are not findings about the deployment: they end the run
with exit code 2 and a message that says what to do.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from verify.permissions import rights_summary

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
UNKNOWN_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        # A wrong secret, as DynamoDB and KMS answer it (HTTP 400); IAM and STS say SignatureDoesNotMatch.
        "InvalidSignatureException",
    }
)
_XML_CODE = re.compile(r"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def aws_error(error: ClientError) -> tuple[str, str]:
    """(code, message) of an AWS error. A JSON-protocol client that receives a query-protocol XML
    error body (an emulator's auth layer does that) sees only the HTTP status as the code and the
    raw XML as the message: read the real code and message out of it."""
    err = error.response.get("Error", {})
    code, message = str(err.get("Code", "")), str(err.get("Message", ""))
    if code.isdigit() and message.lstrip().startswith("<"):
        found_code, found_message = _XML_CODE.search(message), _XML_MESSAGE.search(message)
        if found_code:
            return found_code.group(1), found_message.group(1) if found_message else ""
    return code, message


def error_code(error: ClientError) -> str:
    return aws_error(error)[0]


def error_text(error: ClientError) -> str:
    """'Code: Message', as the report shows what AWS answered."""
    code, message = aws_error(error)
    return f"{code}: {message}"


def is_operational(error: ClientError) -> bool:
    """Throttled or credentials gone: says nothing about the deployment."""
    return error_code(error) in THROTTLING_CODES | EXPIRED_CODES | UNKNOWN_CREDENTIAL_CODES


def cannot_run_message(error: BaseException, endpoint_url: str | None = None) -> str:
    """The line `python -m verify` prints before exiting with code 2."""
    if isinstance(error, EndpointConnectionError):
        where = endpoint_url or "the AWS endpoint"
        return f"cannot reach {where} ({error}): check --endpoint-url / AWS_ENDPOINT_URL, the region and the network"
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return f"AWS did not answer in time ({error}): retry; if it persists, check the network or the endpoint"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials: set a profile (--profile), environment variables, SSO login or an instance role"
    if isinstance(error, ClientError):
        code = error_code(error)
        operation = error.operation_name
        if code in THROTTLING_CODES:
            return f"AWS is throttling {operation} ({code}) even after retries: wait a minute and run again"
        if code in EXPIRED_CODES:
            return (
                f"the credentials expired during {operation} ({code}): "
                "refresh them (a new session, SSO login) and run again"
            )
        if code in UNKNOWN_CREDENTIAL_CODES:
            return f"AWS does not know these credentials ({code} on {operation}): check the profile and the account"
        if code in ("AccessDenied", "AccessDeniedException"):
            return (
                f"the verifying identity may not call {operation} ({error_text(error)}): it needs "
                f"{rights_summary()} (python -m verify --policy-dir DIR writes them as customer managed policies, "
                "with the commands that attach them)"
            )
        return f"AWS answered {error_text(error)} to {operation}"
    if isinstance(error, BotoCoreError):
        return f"the AWS client failed ({error}): check the configuration and run again"
    return str(error)
