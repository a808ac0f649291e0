"""The WSGI middleware in front of moto's app: KMS key access enforced on DynamoDB's data plane.

Before a data-plane call, the Authority decides (IAM on each DynamoDB action, then
kms:Decrypt on each table's customer-managed key) and a refusal is answered as AWS
answers it: HTTP 400 AccessDeniedException, "KMS key access denied error: ...". A
disabled or pending-deletion key makes the table's data inaccessible, and
DescribeTable then reports it. Every IAM or KMS change is recorded for the
propagation delay.

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

from access.kms_dynamodb import DATA_PLANE_OPERATIONS, USABLE_KEY_STATE
from sandbox.emulator.actions import changes_key_access, dynamodb_operation, signer, table_actions
from sandbox.emulator.decisions import INACCESSIBLE_TABLE_STATUS, Authority
from sandbox.emulator.errors import DYNAMODB_ERROR_PREFIX, write_error
from sandbox.emulator.state import Caller, resolve_caller

# Set on a data-plane request this layer has authorized (IAM and KMS), so that moto's
# own identity check, which knows only API operation names (dynamodb:ExecuteStatement
# rather than dynamodb:PartiQLSelect), does not judge it again. Never taken from a client.
AUTHORIZED_ENVIRON = "HTTP_X_SANDBOX_AUTHORIZED"
AUTHORIZED_HEADER = "X-Sandbox-Authorized"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class KmsEnforcement:
    """WSGI middleware: the emulator's app, with KMS key access enforced on DynamoDB data."""

    app: WsgiApp
    authority: Authority
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop(AUTHORIZED_ENVIRON, None)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = dynamodb_operation(environ)

        if operation in DATA_PLANE_OPERATIONS:
            caller = self._caller(environ)
            if caller is not None:  # unknown credentials: moto's own check refuses them
                refused = self.authority.refusal(caller, table_actions(operation, json.loads(body or b"{}")))
                if refused is not None:
                    return write_error(start_response, refused, prefix=DYNAMODB_ERROR_PREFIX)
                environ[AUTHORIZED_ENVIRON] = self.token
        if operation == "DescribeTable":
            return self._describe_table(environ, start_response, json.loads(body or b"{}"))

        response = self.app(environ, start_response)
        if changes_key_access(environ, body):
            self.authority.record_change()
        return response

    def _caller(self, environ: Mapping[str, Any]) -> Caller | None:
        signed = signer(environ)
        if signed is None:
            return None
        return resolve_caller(self.authority.account_id, *signed)

    def _describe_table(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: Mapping[str, Any]
    ) -> Iterable[bytes]:
        """DescribeTable, with the table marked inaccessible while its key is not usable."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda _data: None

        body = b"".join(self.app(environ, capture))
        key_id = self.authority.table_key_id(str(request.get("TableName", "")))
        if captured["status"].startswith("200") and key_id is not None:
            key = self.authority.key_access(key_id)
            if key is None or key.state != USABLE_KEY_STATE:
                described = json.loads(body)
                since = self.authority.inaccessible_since.setdefault(key_id, time.time())
                described["Table"]["TableStatus"] = INACCESSIBLE_TABLE_STATUS
                described["Table"].setdefault("SSEDescription", {})["InaccessibleEncryptionDateTime"] = since
                body = json.dumps(described).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]
