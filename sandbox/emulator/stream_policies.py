"""Resource policies on DynamoDB streams, which moto refuses.

moto's Put/Get/DeleteResourcePolicy take the last segment of the ARN as a table name, so a stream
ARN (`arn:...:table/T/stream/<label>`) is "not found". DynamoDB attaches a resource policy to a
stream of its own (the table's policy governs the table and its indexes, not its stream), and only
to an existing stream ("you can only attach a resource-based policy to existing streams":
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html). These
wrappers serve a stream ARN of an existing table's current stream, keeping moto's revision rules;
every other ARN goes to moto unchanged.

One of the modules that touch moto (5.2.x, pinned).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import PolicyNotFoundException, ResourceNotFoundException
from moto.dynamodb.models.table import ResourcePolicy

_STREAM_ARN = re.compile(
    r"(?P<table_arn>arn:[^:]+:dynamodb:[^:]+:[0-9]{12}:table/(?P<table>[^/]+))/stream/(?P<label>[^/]+)"
)


def _existing_stream(backend: Any, resource_arn: str) -> bool | None:
    """None: not a stream ARN. Otherwise whether it is the current stream of one of the backend's tables."""
    match = _STREAM_ARN.fullmatch(resource_arn)
    if match is None:
        return None
    table = backend.tables.get(match["table"])
    return (
        table is not None
        and table.table_arn == match["table_arn"]
        and table.latest_stream_label is not None
        and table.latest_stream_label == match["label"]
    )


def _not_found(resource_arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Stream: {resource_arn} not found")


def put_on_streams(original: Callable[..., Any]) -> Callable[..., Any]:
    def put(self: Any, resource_arn: str, policy_doc: str, expected_revision_id: str | None) -> Any:
        exists = _existing_stream(self, resource_arn)
        if exists is None:
            return original(self, resource_arn, policy_doc, expected_revision_id)
        if not exists:
            raise _not_found(resource_arn)
        current = self.resource_policies.get(resource_arn)
        if current is not None:
            if expected_revision_id == "NO_POLICY" or (
                expected_revision_id and current.revision_id != expected_revision_id
            ):
                raise PolicyNotFoundException(
                    f"Resource-based policy not found for the provided ResourceArn: the policy of {resource_arn} "
                    f"has revision id {current.revision_id}."
                )
            if current.policy_doc == policy_doc:
                return current
        policy = ResourcePolicy(resource_arn=resource_arn, policy_doc=policy_doc)
        self.resource_policies[resource_arn] = policy
        return policy

    return put


def get_on_streams(original: Callable[..., Any]) -> Callable[..., Any]:
    def get(self: Any, resource_arn: str) -> Any:
        exists = _existing_stream(self, resource_arn)
        if exists is None:
            return original(self, resource_arn)
        if not exists:
            raise _not_found(resource_arn)
        if resource_arn not in self.resource_policies:
            raise PolicyNotFoundException(
                f"Resource-based policy not found for the provided ResourceArn: {resource_arn}"
            )
        return self.resource_policies[resource_arn]

    return get


def delete_on_streams(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete(self: Any, resource_arn: str, expected_revision_id: str | None) -> None:
        exists = _existing_stream(self, resource_arn)
        if exists is None:
            original(self, resource_arn, expected_revision_id)
            return
        policy = self.resource_policies.get(resource_arn)
        if not exists or policy is None:
            raise _not_found(resource_arn)
        if expected_revision_id and policy.revision_id != expected_revision_id:
            raise PolicyNotFoundException(
                f"Resource-based policy not found for the provided ResourceArn: the policy of {resource_arn} "
                f"has revision id {policy.revision_id}."
            )
        self.resource_policies.pop(resource_arn)

    return delete
