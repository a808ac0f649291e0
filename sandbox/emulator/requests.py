"""What a request to the emulator is, read as AWS reads it, or why it is refused before anything is decided.

The emulator serves the services the sandbox models, at POST / as their SDKs and the
AWS CLI call them:
- DynamoDB, DynamoDB Streams, KMS, EventBridge and Application Auto Scaling, JSON protocol:
  X-Amz-Target `<prefix>.<Operation>` with the service's own prefix (`DynamoDB_20120810`,
  `DynamoDBStreams_20120810`, `TrentService`, `AWSEvents`, `AnyScaleFrontendService`) and one
  of its operations, both exactly (AWS answers anything else UnknownOperationException), signed
  for the service's signing name (`dynamodb`, `kms`, `events`, `application-autoscaling`), with
  a JSON object as the body;
- IAM, STS and SNS, query protocol: a form body carrying one Action among the service's operations.

EventBridge, SNS and Application Auto Scaling are served for the key-loss alarms (an EventBridge
rule per key region targeting an SNS topic) and for provisioned global tables (their write
auto scaling, which DynamoDB requires before it adds a replica): moto serves them, and the layer
leaves their authorization to moto's own identity check (rules.py maps none of them).

moto is lenient where AWS is not, and what moto runs is what the layer must judge: it
takes the text after the target's last dot; before the target it reads an `Action` from a
form, the URL, any body that parses as a query string (a JSON body with `&Action=Scan&` in a
value does) or the headers; it routes by the credential scope, not by the target; it
decompresses a gzip body; and it serves /moto-api (its whole state, secret keys included;
auth off; a reset). So a request of any other shape is refused here, before moto sees it: a
method other than POST, a request target other than exactly "/" as the client sent it (moto
reads a region out of a `#fragment` werkzeug hides from PATH_INFO), a query string, another service, a signing
region other than the emulator's, a compressed body, and on the JSON protocol a form body
or an `Action` anywhere.

Operation names come from botocore's service models. Pure; nothing here touches moto.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import botocore.session

from sandbox.emulator.errors import JSON, QUERY, SerializationError, UnknownOperationError
from sandbox.emulator.signatures import header

# The services the emulator serves, by botocore name.
SERVED = ("dynamodb", "dynamodbstreams", "kms", "iam", "sts", "events", "sns", "application-autoscaling")
JSON_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/x-amz-json-1.1")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
NOT_SERVED = "the sandbox emulator serves only POST / for " + ", ".join(SERVED)


@dataclass(frozen=True)
class Service:
    name: str  # botocore's name: "dynamodb", "dynamodbstreams", ...
    signing_name: str  # the credential scope's service: "dynamodb" for DynamoDB Streams too
    protocol: str  # JSON or QUERY
    target_prefix: str  # "" for the query protocol
    operations: frozenset[str]


@dataclass(frozen=True)
class Call:
    """One classified request: the service, its exact operation name, and its parameters."""

    service: Service
    operation: str
    params: Mapping[str, Any]  # the JSON body, or each form parameter's first value

    @property
    def target(self) -> str:
        """'DynamoDB_20120810.GetItem', 'TrentService.Decrypt'; 'iam.GetUser' for the query protocol."""
        return f"{self.service.target_prefix or self.service.name}.{self.operation}"


@functools.cache
def services() -> dict[str, Service]:
    """The served services, from botocore's models."""
    session = botocore.session.get_session()
    found: dict[str, Service] = {}
    for name in SERVED:
        model = session.get_service_model(name)
        protocol = str(model.metadata["protocol"])
        found[name] = Service(
            name,
            str(model.signing_name),
            JSON if protocol == "json" else QUERY,
            str(model.metadata.get("targetPrefix") or ""),
            frozenset(model.operation_names),
        )
    return found


def protocol_of(signing_name: str) -> str:
    """How to answer a request signed for this service, before it is classified."""
    return QUERY if any(s.protocol == QUERY and s.signing_name == signing_name for s in services().values()) else JSON


def request_target(environ: Mapping[str, Any]) -> str:
    """The request line's target exactly as the client sent it (RFC 9112, section 3.2).

    werkzeug's server gives it raw as RAW_URI and REQUEST_URI; PATH_INFO is what werkzeug made of
    it: percent-decoded, with a `#fragment` dropped and an absolute URI's scheme and host removed.
    moto rebuilds the request's URL, and reads its region (BaseResponse.get_region_from_url: a
    `.<region>.amazonaws.com` anywhere in it), from RAW_URI. Without either key (another WSGI
    server) the target is rebuilt from PATH_INFO and QUERY_STRING, which is then all moto sees.
    """
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(key)
        if raw is not None:
            return str(raw)
    path, query = str(environ.get("PATH_INFO", "")), str(environ.get("QUERY_STRING", ""))
    return path + (f"?{query}" if query else "")


def check_shape(environ: Mapping[str, Any]) -> None:
    """POST / with no query string and no compressed body, as every served API is called; else refused.

    The request line's target must be exactly "/" in every form the server gives it (RAW_URI,
    REQUEST_URI, PATH_INFO): a target "/#x.eu-west-1.amazonaws.com" has PATH_INFO "/" but would be
    served by moto in eu-west-1 while the layer judged it in the signing region, and "//host/", an
    absolute URI or "/?" are not how an SDK calls these services either (they all send "/").
    """
    if (
        environ.get("REQUEST_METHOD") != "POST"
        or environ.get("PATH_INFO") != "/"
        or request_target(environ) != "/"
        or any(environ.get(key, "/") != "/" for key in ("RAW_URI", "REQUEST_URI"))
        or environ.get("QUERY_STRING")
        or (header(environ, "content-encoding") or "identity").lower() != "identity"
    ):
        raise UnknownOperationError(NOT_SERVED)


def classify(environ: Mapping[str, Any], body: bytes, signing_name: str) -> Call:
    """The request as AWS reads it, signed for `signing_name`; raises the AwsError AWS answers otherwise."""
    candidates = [s for s in services().values() if s.signing_name == signing_name]
    if not candidates:
        raise UnknownOperationError(NOT_SERVED)
    if candidates[0].protocol == QUERY:
        return _query_call(environ, body, candidates[0])
    return _json_call(environ, body, candidates)


def _json_call(environ: Mapping[str, Any], body: bytes, candidates: list[Service]) -> Call:
    called = header(environ, "x-amz-target") or ""
    prefix, dot, operation = called.partition(".")
    service = next((s for s in candidates if s.target_prefix == prefix), None)
    if not dot or service is None or operation not in service.operations:
        raise UnknownOperationError(f"Unknown operation: X-Amz-Target {called!r}")
    content_type = (header(environ, "content-type") or "").split(";", 1)[0].strip().lower()
    if content_type not in JSON_CONTENT_TYPES:
        raise SerializationError(f"Content-Type must be one of {', '.join(JSON_CONTENT_TYPES)}")
    if header(environ, "action") is not None:
        raise SerializationError("An Action header is not part of the JSON protocol")
    try:
        text = body.decode("utf-8")
        params = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise SerializationError(f"The request body is not JSON: {error}") from None
    if not isinstance(params, dict):
        raise SerializationError("The request body must be a JSON object")
    # moto reads an Action out of any body that parses as a query string, before the target.
    if any(key == "Action" for key, _ in parse_qsl(text, keep_blank_values=True)):
        raise SerializationError("The request body carries '&Action=' outside the JSON protocol")
    return Call(service, operation, params)


def _query_call(environ: Mapping[str, Any], body: bytes, service: Service) -> Call:
    content_type = (header(environ, "content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE or header(environ, "x-amz-target") is not None:
        raise UnknownOperationError(f"{service.name} is called with a form body ({FORM_CONTENT_TYPE})")
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnknownOperationError(f"The form body cannot be read: {error}") from None
    actions = form.get("Action", [])
    if len(actions) != 1 or actions[0] not in service.operations:
        raise UnknownOperationError(f"Could not find operation {actions[0] if actions else ''!r} for {service.name}")
    return Call(service, actions[0], {key: values[0] for key, values in form.items()})
