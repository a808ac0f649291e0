"""The WSGI middleware in front of moto's app: every request classified or refused, signed, then authorized.

In order, for every request, before moto sees it:
1. its shape: POST / with no query string, as every served API is called (`requests`);
   moto's own /moto-api and every other path are refused;
2. its signature: a SigV4 Authorization header for one of the emulator's regions (the request
   is decided and served in that region: replicas.check_region), signed with the
   secret the emulator issued for that access key id or session (`signatures`); an unknown
   key is UnrecognizedClientException, a wrong signature InvalidSignatureException (query
   protocol: InvalidClientTokenId, SignatureDoesNotMatch), and nothing else is decided;
3. its operation, exactly as AWS parses it (`requests.classify`): anything else is answered
   as AWS answers it (UnknownOperationException, SerializationException, InvalidAction);
4. a control-plane call is decided by the Authority (rules.needs) or left to moto's own check,
   and one that would store a policy document AWS refuses is refused as AWS refuses it
   (`policy_documents`: KMS MalformedPolicyDocumentException, DynamoDB ValidationException, IAM
   MalformedPolicyDocument);
5. before a data-plane call, the Authority decides (IAM on each DynamoDB action, then
   kms:Decrypt on each table's customer-managed key) and a refusal is answered as AWS
   answers it: HTTP 400 AccessDeniedException, "KMS key access denied error: ...". A
   disabled or pending-deletion key makes the table's data inaccessible, and
   DescribeTable then reports it.
Every IAM or KMS change is recorded for the propagation delay.

Several accounts: the caller is found in whichever account issued its credentials, and the request
is served in the caller's account unless it names another account's resource by ARN (`accounts`):
then it is decided by that account's Authority as AWS decides across accounts, and served from
that account's state, or refused. moto picks a request's account from the `x-moto-account-id`
header before anything else: a client's is never passed on; the layer sets it on every request
it passes, to the account it decided for.

Nothing here touches moto: it wraps moto's WSGI app as any WSGI app.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from access.evaluator import Decision
from access.kms_dynamodb import DATA_PLANE_OPERATIONS, USABLE_KEY_STATE
from sandbox.emulator.account import MOTO_ACCOUNT_HEADER
from sandbox.emulator.accounts import ForeignResourceError, resource_account
from sandbox.emulator.actions import TableAccess, changes_key_access, table_actions
from sandbox.emulator.answers import call, send
from sandbox.emulator.decisions import INACCESSIBLE_TABLE_STATUS, RESOURCE_BASED, Authority, Verdict, iam_denied
from sandbox.emulator.errors import (
    BAD_SIGNATURE,
    CORAL_ERROR_PREFIX,
    DYNAMODB_ERROR_PREFIX,
    INVALID_TOKEN,
    AccessDeniedError,
    AuthorizationError,
    AwsError,
    ExpiredTokenError,
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
    ValidationError,
    write_error,
)
from sandbox.emulator.policy_documents import refusal as policy_refusal
from sandbox.emulator.replicas import check_region
from sandbox.emulator.requests import Call, check_shape, classify, protocol_of
from sandbox.emulator.signatures import (
    IncompleteSignatureHeaderError,
    Signed,
    header,
    read_authorization,
    signature_matches,
)
from sandbox.emulator.state import Caller, issued_credentials, iterator_account

# Set on a request this layer has authorized, so that moto's own identity check, which knows
# only API operation names (dynamodb:ExecuteStatement rather than dynamodb:PartiQLSelect) and
# judges them against Resource "*", does not judge it again. Never taken from a client.
AUTHORIZED_ENVIRON = "HTTP_X_SANDBOX_AUTHORIZED"
AUTHORIZED_HEADER = "X-Sandbox-Authorized"
# moto serves a request in the account this header names, before the account of its access key
# (BaseResponse.get_current_account). AWS ignores a header it does not know, so a client's is not
# refused: it is replaced, on every request passed on, by the account the layer decided for (its
# value was covered by the signature check, made on the request as the client sent it).
ACCOUNT_ENVIRON = "HTTP_" + MOTO_ACCOUNT_HEADER.upper().replace("-", "_")  # as WSGI names the header

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class _Admitted:
    caller: Caller
    call: Call
    region: str  # the credential scope's, where it is decided and served


@dataclass
class KmsEnforcement:
    """WSGI middleware: the emulator's app, with every request classified, authenticated and authorized."""

    app: WsgiApp
    authority: Authority
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop(AUTHORIZED_ENVIRON, None)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        # moto reads exactly the bytes judged here.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        signing_name = ""
        try:
            check_shape(environ)
            signed = read_authorization(environ)
            if signed is None:
                raise MissingAuthenticationTokenError("Request is missing Authentication Token")
            signing_name = signed.service
            check_region(environ, signed.region, self.authority.region)
            admitted = self._admit(environ, body, signed)
        except IncompleteSignatureHeaderError as incomplete:
            return self._refuse(start_response, IncompleteSignatureError(str(incomplete)), signing_name)
        except AwsError as refused:
            return self._refuse(start_response, refused, signing_name)
        return self._serve(environ, start_response, admitted)

    def _admit(self, environ: dict[str, Any], body: bytes, signed: Signed) -> _Admitted:
        """Who signed the request (the signature verified first), and what it is."""
        issued = issued_credentials(
            self.authority.served_accounts, signed.access_key_id, header(environ, "x-amz-security-token")
        )
        if issued is None:
            raise UnrecognizedClientError(INVALID_TOKEN)
        if not signature_matches(
            environ, body, signed, issued.secret_access_key, header(environ, "x-amz-security-token")
        ):
            raise InvalidSignatureError(BAD_SIGNATURE)
        if issued.expired:
            raise ExpiredTokenError("The security token included in the request is expired")
        return _Admitted(issued.caller, classify(environ, body, signed.service), signed.region)

    def _refuse(self, start_response: Callable[..., Any], error: AwsError, signing_name: str) -> list[bytes]:
        protocol = protocol_of(signing_name)
        if signing_name == "sns" and isinstance(error, AccessDeniedError):
            error = AuthorizationError(error.message)  # SNS names a denial its own way
        prefix = ""
        if signing_name == "dynamodb":
            prefix = CORAL_ERROR_PREFIX if error.coral else DYNAMODB_ERROR_PREFIX
        return write_error(start_response, error, prefix=prefix, protocol=protocol)

    def _serve(
        self, environ: dict[str, Any], start_response: Callable[..., Any], admitted: _Admitted
    ) -> Iterable[bytes]:
        call, caller = admitted.call, admitted.caller
        accesses: list[TableAccess] = []
        if call.service.name == "dynamodb" and call.operation in DATA_PLANE_OPERATIONS:
            try:
                accesses = table_actions(call.operation, call.params)
            except ValueError as unreadable:  # a statement or a request whose tables cannot be read
                return self._refuse(start_response, ValidationError(str(unreadable)), call.service.signing_name)
        served = self._account(caller, call, accesses, admitted.region)
        if isinstance(served, AwsError):
            return self._refuse(start_response, served, call.service.signing_name)
        account, named = served
        environ[ACCOUNT_ENVIRON] = account
        authority = self.authority.of(account, admitted.region)
        if call.service.name == "dynamodb" and call.operation in DATA_PLANE_OPERATIONS:
            refused = authority.refusal(caller, accesses)
            if refused is not None:
                return self._refuse(start_response, refused, call.service.signing_name)
            environ[AUTHORIZED_ENVIRON] = self.token
        else:
            verdict = authority.decide(caller, call)
            if isinstance(verdict, AwsError):
                return self._refuse(start_response, verdict, call.service.signing_name)
            # A policy document AWS refuses is never stored (checked once the caller may make the call).
            malformed = policy_refusal(call) or authority.lockout_refusal(caller, call)
            if malformed is not None:
                return self._refuse(start_response, malformed, call.service.signing_name)
            if verdict is Verdict.AUTHORIZED:
                environ[AUTHORIZED_ENVIRON] = self.token
            elif account != caller.account_id:  # never left to moto's check across accounts
                return self._refuse(start_response, self._foreign(caller, call, named), call.service.signing_name)
        if call.service.name == "dynamodb" and call.operation == "DescribeTable":
            return self._describe_table(environ, start_response, call.params, authority)

        response = self.app(environ, start_response)
        if changes_key_access(call):
            self.authority.record_change()
        return response

    def _account(
        self, caller: Caller, call: Call, accesses: list[TableAccess], region: str
    ) -> tuple[str, str] | AwsError:
        """The account that serves the call (the caller's, or the one its resource's ARN names) and what a
        refusal names as the resource (that ARN; the account when no ARN names it), or the refusal."""
        if call.service.name == "dynamodbstreams" and call.operation == "GetRecords":
            # A shard iterator names no account: it is the stream owner's, whoever asked for it.
            iterator = call.params.get("ShardIterator")
            found = iterator_account(self.authority.served_accounts, region, str(iterator or ""))
            account = found or caller.account_id
            return account, account
        try:
            account, foreign = resource_account(call, caller.account_id, [a.table for a in accesses])
        except ForeignResourceError as refused:
            return self._foreign(caller, call, refused.resource)
        if account not in self.authority.served_accounts:
            return self._foreign(caller, call, foreign or account)
        return account, foreign or account

    @staticmethod
    def _foreign(caller: Caller, call: Call, resource: str) -> AwsError:
        """The refusal of a call on another account's resource that the emulator does not serve across accounts."""
        prefix = "kms" if call.service.name == "kms" else "dynamodb"
        action = f"{prefix}:{call.operation}"
        why = Decision(False, f"denied: {call.operation} is not served across accounts")
        return iam_denied(caller, action, resource, why, RESOURCE_BASED)

    def _describe_table(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        request: Mapping[str, Any],
        authority: Authority,
    ) -> Iterable[bytes]:
        """DescribeTable, with the table marked inaccessible while its key is not usable."""
        answer = call(self.app, environ)
        body = answer.body
        key_id = authority.table_key_id(str(request.get("TableName", "")))
        if answer.ok and key_id is not None:
            key = authority.key_access(key_id)
            if key is None or key.state != USABLE_KEY_STATE:
                described = json.loads(body)
                since = authority.inaccessible_since.setdefault(key_id, time.time())
                described["Table"]["TableStatus"] = INACCESSIBLE_TABLE_STATUS
                described["Table"].setdefault("SSEDescription", {})["InaccessibleEncryptionDateTime"] = since
                body = json.dumps(described).encode()
        return send(start_response, answer.with_body(body))
