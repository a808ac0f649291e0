"""The emulator's account, region and partition: the one place the sandbox spells them.

moto maps every credential it issues to its default account, so the emulator
deploys there; the sandbox's plain mocks invent ids and ARNs in the same account
and region, so both look alike.
"""

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
