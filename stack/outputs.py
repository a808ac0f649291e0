"""The stack's output contract: the program exports with these names, the verifier reads them.

One module, imported by both, so the two cannot drift apart. Standard library
only (and the access core): the verifier imports it without loading Pulumi.
"""

from collections.abc import Iterable

from access.arns import PRINCIPAL_KINDS
from access.kms_dynamodb import ACCESS_LEVELS
from access.kms_dynamodb import EXTERNAL_KEY_ACCESS_MODES as EXTERNAL_KEY_ACCESS_MODES
from access.operations import ACCESS_LEVEL_PATHS, DECLARABLE_PATHS, NO_ITEM_ACCESS

REGION = "region"
ACCOUNT_ID = "accountId"
TABLE_NAME = "tableName"
TABLE_ARN = "tableArn"
KEY_ID = "keyId"
KEY_ARN = "keyArn"
KEY_ALIAS = "keyAlias"
POINT_IN_TIME_RECOVERY = "pointInTimeRecovery"
DELETION_PROTECTION = "deletionProtection"
TEST_PRINCIPAL_KIND = "testPrincipalKind"
TEST_PRINCIPAL_ARN = "testPrincipalArn"
TEST_PRINCIPAL_EXPECTED_ACCESS = "testPrincipalExpectedAccess"
TEST_USER_ACCESS_KEY_ID = "testUserAccessKeyId"
TEST_USER_SECRET_ACCESS_KEY = "testUserSecretAccessKey"  # noqa: S105 (the output's name)
# Who the stack means to hold which rights on the data, for the access audit (verify --audit):
# [{"principal": <ARN>, "access": "read" | "read-write" | "none", "paths": [<path>, ...]}, ...], the
# deployer and the key administrators. "paths" (optional; absent when empty) declares other ways to the
# data (INTENDED_PATH_VALUES: a stream consumer, an exporter, ...); "none" declares those paths only.
INTENDED_KEY_USERS = "intendedKeyUsers"
# Global tables: one entry per replica region (the primary region is the stack's `region`):
# [{"region": ..., "keyArn": <that region's CMK>, "keyAlias": ..., "replicaArn": <the replica table>}, ...]
REPLICAS = "replicas"
REPLICA_REGION = "region"
REPLICA_KEY_ARN = "keyArn"
REPLICA_KEY_ALIAS = "keyAlias"
REPLICA_ARN = "replicaArn"
KEY_ADMIN_ARNS = "keyAdminArns"
DEPLOYER_ARN = "deployerArn"

# Exported by every stack, whatever the test principal.
ALWAYS = (
    REGION,
    ACCOUNT_ID,
    TABLE_NAME,
    TABLE_ARN,
    KEY_ID,
    KEY_ARN,
    KEY_ALIAS,
    POINT_IN_TIME_RECOVERY,
    DELETION_PROTECTION,
    TEST_PRINCIPAL_KIND,
)
# Exported when there is a test principal (kind "role" or "user").
WITH_PRINCIPAL = (TEST_PRINCIPAL_ARN, TEST_PRINCIPAL_EXPECTED_ACCESS)
# Exported for kind "user" only.
WITH_USER = (TEST_USER_ACCESS_KEY_ID, TEST_USER_SECRET_ACCESS_KEY)
SECRETS = (TEST_USER_SECRET_ACCESS_KEY,)
# Exported by this program; optional for the verifier, which audits access when they are present.
FOR_THE_AUDIT = (INTENDED_KEY_USERS, KEY_ADMIN_ARNS, DEPLOYER_ARN)
# Exported by this program (an empty list without replicas); optional for the verifier.
FOR_REPLICAS = (REPLICAS,)
INTENDED_PRINCIPAL = "principal"
INTENDED_ACCESS = "access"
INTENDED_PATHS = "paths"

# Allowed values.
NO_TEST_PRINCIPAL = "none"
TEST_PRINCIPAL_KINDS = (*PRINCIPAL_KINDS, NO_TEST_PRINCIPAL)
EXPECT_DENIED = "denied"
EXPECT_READ = "read"
EXPECTED_ACCESS = (EXPECT_DENIED, EXPECT_READ)
INTENDED_ACCESS_LEVELS = (*ACCESS_LEVELS, NO_ITEM_ACCESS)  # "read", "read-write", "none" (its paths only)
INTENDED_NO_ACCESS = NO_ITEM_ACCESS  # allowed only with a non-empty INTENDED_PATHS
INTENDED_PATH_VALUES: tuple[str, ...] = tuple(path.value for path in DECLARABLE_PATHS)


def widest_access(*levels: str) -> str:
    """Of several access levels declared for one principal, the one that covers the most paths."""
    return max(levels, key=lambda level: len(ACCESS_LEVEL_PATHS[level]))


def intended_key_user(principal: str, access: str, paths: Iterable[str] = ()) -> dict[str, object]:
    """One INTENDED_KEY_USERS entry; "paths" only when there are any, sorted."""
    entry: dict[str, object] = {INTENDED_PRINCIPAL: principal, INTENDED_ACCESS: access}
    declared = sorted(set(paths))
    if declared:
        entry[INTENDED_PATHS] = declared
    return entry


# -- readers in other accounts (issue 19) --------------------------------------------------------
# [{"principal": <role/user ARN, or an account's root ARN>, "account": <its account id>,
#   "access": "read" | "read-write", "keyAccess": "key-policy" | "grant", "stream": <bool>,
#   "expectedAccess": "read" | "denied", "consumerPolicy": <the identity-policy JSON its account
#   must attach: table actions on this table, its replicas and their indexes, kms:Decrypt (and the
#   write actions) on each region's key through DynamoDB>}, ...]; an empty list when none.
# "keyAccess" says which side of the key lets the principal in: a statement of each region's key
# policy, or a KMS grant (KeyUser mode "grant"); the table's resource policy names it either way.
EXTERNAL_PRINCIPALS = "externalPrincipals"
EXTERNAL_PRINCIPAL = "principal"
EXTERNAL_ACCOUNT = "account"
EXTERNAL_ACCESS = "access"
EXTERNAL_KEY_ACCESS = "keyAccess"
EXTERNAL_STREAM = "stream"
EXTERNAL_EXPECTED_ACCESS = "expectedAccess"
EXTERNAL_CONSUMER_POLICY = "consumerPolicy"
# EXTERNAL_KEY_ACCESS_MODES ("key-policy", "grant"): access.kms_dynamodb's, imported above.
FOR_EXTERNAL = (EXTERNAL_PRINCIPALS,)

# -- key-loss protection (issue 20) --------------------------------------------------------------
# {"breakGlass": [<role/user ARN, or the account root's>, ...], "requireMfa": <bool>,
#  "deletionWindowDays": <int>,
#  "alarms": [{"region": ..., "keyArn": <that region's key>, "topicArn": <the SNS topic the rules
#              target>, "rules": {<kind>: <EventBridge rule name>, ...}}, ...]}
# One "alarms" entry per key region (the primary first); the kinds are access.key_protection.ALARM_KINDS.
# Absent when the stack does not protect its keys (the verifier then judges no protection; the
# policy pack advises it).
KEY_PROTECTION = "keyProtection"
PROTECTION_BREAK_GLASS = "breakGlass"
PROTECTION_REQUIRE_MFA = "requireMfa"
PROTECTION_DELETION_WINDOW = "deletionWindowDays"
PROTECTION_ALARMS = "alarms"
ALARM_REGION = "region"
ALARM_KEY_ARN = "keyArn"
ALARM_TOPIC_ARN = "topicArn"
ALARM_RULES = "rules"
FOR_KEY_PROTECTION = (KEY_PROTECTION,)
