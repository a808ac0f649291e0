"""The stack's declared intent (outputs.INTENDED_KEY_USERS), built from its components.

Who the stack means to reach the table's data, and how: the key policy's key users may use the key
for reads and writes; a KeyUser as its access says, with the paths it declares (a stream consumer,
an exporter, ...). The verifier's access audit judges every principal against this list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from access.operations import READ_WRITE
from components import EncryptedTable, KeyUser
from stack import outputs


def intended_key_users(table: EncryptedTable, key_users: Sequence[KeyUser]) -> pulumi.Output[list[dict[str, Any]]]:
    """One entry per key policy key user ("read-write"), then one per KeyUser, in order."""
    in_key_policy = table.key_user_arns.apply(lambda arns: [outputs.intended_key_user(a, READ_WRITE) for a in arns])
    by_key_user = [
        pulumi.Output.all(user.principal_arn, user.access, user.paths).apply(
            lambda values: [outputs.intended_key_user(values[0], values[1], values[2])]
        )
        for user in key_users
    ]
    return pulumi.Output.all(in_key_policy, *by_key_user).apply(
        lambda groups: [entry for group in groups for entry in group]
    )
