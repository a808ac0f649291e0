"""Which IAM action each data-plane request needs, as AWS authorizes it."""

from __future__ import annotations

from sandbox.emulator.actions import table_actions


def test_table_actions_name_what_iam_authorizes() -> None:
    assert table_actions("GetItem", {"TableName": "a"}) == [("a", "dynamodb:GetItem")]
    assert table_actions("BatchGetItem", {"RequestItems": {"a": {}, "b": {}}}) == [
        ("a", "dynamodb:BatchGetItem"),
        ("b", "dynamodb:BatchGetItem"),
    ]
    assert table_actions("BatchWriteItem", {"RequestItems": {"a": []}}) == [("a", "dynamodb:BatchWriteItem")]
    transact = {"TransactItems": [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}]}
    assert table_actions("TransactWriteItems", transact) == [
        ("a", "dynamodb:PutItem"),
        ("b", "dynamodb:ConditionCheckItem"),
    ]
    assert table_actions("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "a"}}]}) == [
        ("a", "dynamodb:GetItem")
    ]
    select = {"Statement": 'SELECT * FROM "orders" WHERE id = ?'}
    assert table_actions("ExecuteStatement", select) == [("orders", "dynamodb:PartiQLSelect")]
    insert = {"Statement": "insert into orders value {'id': 'x'}"}
    assert table_actions("ExecuteStatement", insert) == [("orders", "dynamodb:PartiQLInsert")]
    batch = {"Statements": [{"Statement": 'UPDATE "a" SET x = 1'}, {"Statement": 'DELETE FROM "b" WHERE id = 1'}]}
    assert table_actions("BatchExecuteStatement", batch) == [
        ("a", "dynamodb:PartiQLUpdate"),
        ("b", "dynamodb:PartiQLDelete"),
    ]
    transaction = {"TransactStatements": [{"Statement": 'SELECT * FROM "c"'}]}
    assert table_actions("ExecuteTransaction", transaction) == [("c", "dynamodb:PartiQLSelect")]
