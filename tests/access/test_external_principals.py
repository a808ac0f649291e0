"""access.analyzers.external_principals: who of another account a policy lets in, and by which statements."""

from access.analyzers import external_principals

OWNER = "111122223333"
READER = "arn:aws:iam::444455556666:role/reader"


def test_names_other_accounts_principals_with_their_statements() -> None:
    policy = {
        "Statement": [
            {"Sid": "Own", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:role/app"}, "Action": "*"},
            {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": [READER, "777788889999"]}, "Action": "*"},
            {"Effect": "Allow", "Principal": {"AWS": READER}, "Action": "*"},
        ]
    }
    assert external_principals(policy, OWNER) == {READER: ["Reader", "#3"], "777788889999": ["Reader"]}


def test_denies_wildcards_and_services_let_nobody_of_an_account_in() -> None:
    policy = {
        "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": READER}, "Action": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "*"},
            {"Effect": "Allow", "Principal": {"Service": "dynamodb.amazonaws.com"}, "Action": "*"},
            {"Effect": "Allow", "NotPrincipal": {"AWS": READER}, "Action": "*"},
        ]
    }
    assert external_principals(policy, OWNER) == {}


def test_sessions_and_account_roots_of_other_accounts_count() -> None:
    session = "arn:aws:sts::444455556666:assumed-role/reader/s1"
    root = "arn:aws:iam::444455556666:root"
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [session, root]}, "Action": "*"}]}
    assert set(external_principals(policy, OWNER)) == {session, root}
