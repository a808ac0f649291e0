"""SigV4 as AWS checks it: the Authorization header read, the signature recomputed with the issued secret.

The emulator verifies every request's signature before it decides anything about it, so
that a wrong secret is answered as AWS answers it (the signature does not match) and never
with an access decision that names the principal and the key. The signature is recomputed
with botocore's signer over exactly the headers the client says it signed, the request's
path and query, and the SHA-256 of the body the emulator will pass on; the comparison is
constant-time (`hmac.compare_digest`).

Pure functions of a WSGI environ, the body and a secret; nothing here touches moto.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
_AUTHORIZATION = re.compile(
    rf"{ALGORITHM} Credential=(?P<key>[A-Za-z0-9]+)/(?P<date>[0-9]{{8}})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, ?SignedHeaders=(?P<headers>[a-z0-9-]+(?:;[a-z0-9-]+)*), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})",
    re.ASCII,
)
_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z", re.ASCII)
# Headers SigV4 requires to be signed.
REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date")
# Not a header of the request as WSGI gives it: its own environ keys.
_UNPREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


class IncompleteSignatureHeaderError(ValueError):
    """An Authorization header that is present but not a complete SigV4 one."""


@dataclass(frozen=True)
class Signed:
    """What a SigV4 Authorization header says: who signed, for which scope, over which headers."""

    access_key_id: str
    date: str  # the credential scope's date, YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def header(environ: Mapping[str, Any], name: str) -> str | None:
    """A request header (lower-case name) from the WSGI environ, None when absent."""
    key = _UNPREFIXED.get(name) or "HTTP_" + name.upper().replace("-", "_")
    value = environ.get(key)
    return None if value is None else str(value)


def read_authorization(environ: Mapping[str, Any]) -> Signed | None:
    """The request's SigV4 Authorization header; None when it has none.

    Raises IncompleteSignatureHeaderError when there is one but it is not a complete SigV4 header,
    or it leaves out a header SigV4 requires to be signed.
    """
    value = header(environ, "authorization")
    if value is None:
        return None
    found = _AUTHORIZATION.fullmatch(value.strip())
    if found is None:
        raise IncompleteSignatureHeaderError("Authorization header requires a complete AWS4-HMAC-SHA256 signature")
    names = tuple(found["headers"].split(";"))
    missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in names]
    if missing:
        raise IncompleteSignatureHeaderError(f"Signed headers must include {', '.join(missing)}")
    amz_date = header(environ, "x-amz-date") or ""
    if _AMZ_DATE.fullmatch(amz_date) is None:
        raise IncompleteSignatureHeaderError("X-Amz-Date must be a timestamp of the form YYYYMMDD'T'HHMMSS'Z'")
    return Signed(found["key"], found["date"], found["region"], found["service"], names, found["signature"])


class _ExactSigner(SigV4Auth):
    """botocore's SigV4 signer, over exactly the headers the client signed (botocore drops some itself)."""

    def __init__(self, credentials: Credentials, service: str, region: str, names: Sequence[str]) -> None:
        super().__init__(credentials, service, region)
        self._names = names

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name in self._names:
            value = request.headers.get(name)
            if value is not None:
                chosen[name] = value
        return chosen


def signature_matches(
    environ: Mapping[str, Any], body: bytes, signed: Signed, secret: str, session_token: str | None = None
) -> bool:
    """Does `signed.signature` sign this request with `secret`? Constant-time comparison."""
    headers: dict[str, str] = {}
    for name in signed.signed_headers:
        value = header(environ, name)
        if value is None:
            return False  # a header said to be signed that the request does not carry
        headers[name] = value
    payload_hash = headers.get("x-amz-content-sha256")
    if payload_hash is not None and payload_hash != hashlib.sha256(body).hexdigest():
        return False  # the body is covered by the signature, never by a claim about it
    path = str(environ.get("PATH_INFO") or "/")
    query = str(environ.get("QUERY_STRING") or "")
    request = AWSRequest(
        method=str(environ.get("REQUEST_METHOD", "")),
        url=f"http://{headers.get('host', 'localhost')}{path}" + (f"?{query}" if query else ""),
        data=body,
        headers=headers,
    )
    request.context["timestamp"] = headers["x-amz-date"]
    if signed.date != headers["x-amz-date"][:8]:
        return False  # the scope's date is the request's
    signer = _ExactSigner(
        Credentials(signed.access_key_id, secret, session_token),
        signed.service,
        signed.region,
        [*signed.signed_headers],
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return hmac.compare_digest(expected, signed.signature)
