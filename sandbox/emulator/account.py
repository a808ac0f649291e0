"""The emulator's account, region and partition: the one place the sandbox spells them.

moto maps every credential it issues to its default account, so the emulator
deploys there; the sandbox's plain mocks invent ids and ARNs in the same account
and region, so both look alike.
"""

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"

# The consumer account: another account whose principals read the deployer's tables (issue 19).
# 444455556666 is the second account of AWS's own documentation examples. Its administrator's
# credentials are a named profile (the engine deploys there through an aws provider with this
# `profile`; the verifier and the AWS CLI take it as --profile / --consumer-profile), and it holds
# one role, assumable by its own account's principals and by nobody else, with no policy of its own.
CONSUMER_ACCOUNT_ID = "444455556666"
CONSUMER_PROFILE = "sandbox-consumer"
CONSUMER_ROLE_NAME = "external-reader"

# The request header moto serves a request's account from (BaseResponse.get_current_account, before the
# access key): only the enforcement layer sets it, after authorization; a client's is replaced.
MOTO_ACCOUNT_HEADER = "x-moto-account-id"
