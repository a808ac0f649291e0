"""What KMS refuses of a key's lifecycle calls once the caller may make them: the key's state, the waiting period.

moto 5.2.5 disables, enables, schedules for deletion and cancels the deletion of a key in any state, and
schedules a deletion with any waiting period (answering a DeletionDate of null outside 7 to 30 days). KMS
refuses, after authorization (the AWS KMS developer guide, "Key states of AWS KMS keys", key-state.html,
its key state table and footnotes):

- DisableKey, EnableKey and ScheduleKeyDeletion of a key pending deletion: KMSInvalidStateException,
  "<key ARN> is pending deletion." (footnote 3);
- CancelKeyDeletion of a key that is not pending deletion: KMSInvalidStateException, "<key ARN> is not
  pending deletion." (footnote 4);
- ScheduleKeyDeletion with PendingWindowInDays outside 7 to 30: "If you include a value, it must be
  between 7 and 30, inclusive" (the ScheduleKeyDeletion API reference); answered as KMS answers a request
  parameter out of its bounds, ValidationException.

Pure; nothing here touches moto.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.kms_dynamodb import DELETION_WINDOW_DAYS, PENDING_DELETION_KEY_STATE
from sandbox.emulator.errors import AwsError, KmsInvalidStateError, ValidationError

# The calls refused on a key pending deletion, and the one refused on a key that is not.
REFUSED_WHILE_PENDING_DELETION = frozenset({"kms:DisableKey", "kms:EnableKey", "kms:ScheduleKeyDeletion"})
ONLY_WHILE_PENDING_DELETION = frozenset({"kms:CancelKeyDeletion"})
LIFECYCLE_ACTIONS = REFUSED_WHILE_PENDING_DELETION | ONLY_WHILE_PENDING_DELETION
PENDING_WINDOW_PARAMETER = "PendingWindowInDays"


def lifecycle_refusal(action: str, params: Mapping[str, Any], key_arn: str, key_state: str) -> AwsError | None:
    """The error KMS answers a lifecycle call (kms:<Operation>) on a key in this state; None if it takes it."""
    pending = key_state == PENDING_DELETION_KEY_STATE
    if action in REFUSED_WHILE_PENDING_DELETION and pending:
        return KmsInvalidStateError(f"{key_arn} is pending deletion.")
    if action in ONLY_WHILE_PENDING_DELETION and not pending:
        return KmsInvalidStateError(f"{key_arn} is not pending deletion.")
    window = params.get(PENDING_WINDOW_PARAMETER)
    if action == "kms:ScheduleKeyDeletion" and window is not None:
        low, high = DELETION_WINDOW_DAYS
        if not isinstance(window, int) or isinstance(window, bool) or not low <= window <= high:
            return ValidationError(
                f"1 validation error detected: Value '{window}' at 'pendingWindowInDays' failed to satisfy "
                f"constraint: Member must have value between {low} and {high}, inclusive"
            )
    return None
