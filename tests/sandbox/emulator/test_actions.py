"""Which IAM action each data-plane request needs, as AWS authorizes it, and on which table PartiQL acts."""

from __future__ import annotations

import pytest

from sandbox.emulator.actions import TableAccess, UnreadableRequestError, table_actions
from sandbox.emulator.partiql import Statement, UnclassifiableStatementError, classify, moto_touches, read


def pairs(operation: str, body: dict[str, object]) -> list[tuple[str, str]]:
    return [(a.table, a.action) for a in table_actions(operation, body)]


def test_table_actions_name_what_iam_authorizes() -> None:
    assert pairs("GetItem", {"TableName": "a"}) == [("a", "dynamodb:GetItem")]
    assert pairs("BatchGetItem", {"RequestItems": {"a": {}, "b": {}}}) == [
        ("a", "dynamodb:BatchGetItem"),
        ("b", "dynamodb:BatchGetItem"),
    ]
    assert pairs("BatchWriteItem", {"RequestItems": {"a": []}}) == [("a", "dynamodb:BatchWriteItem")]
    transact = {"TransactItems": [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}]}
    assert pairs("TransactWriteItems", transact) == [
        ("a", "dynamodb:PutItem"),
        ("b", "dynamodb:ConditionCheckItem"),
    ]
    assert pairs("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "a"}}]}) == [("a", "dynamodb:GetItem")]
    select = {"Statement": 'SELECT * FROM "orders" WHERE id = ?', "Parameters": [{"S": "x"}]}
    assert pairs("ExecuteStatement", select) == [("orders", "dynamodb:PartiQLSelect")]
    insert = {"Statement": "insert into orders value {'id': 'x'}"}
    assert pairs("ExecuteStatement", insert) == [("orders", "dynamodb:PartiQLInsert")]
    batch = {"Statements": [{"Statement": 'UPDATE "a" SET x = 1'}, {"Statement": 'DELETE FROM "b" WHERE id = 1'}]}
    assert pairs("BatchExecuteStatement", batch) == [
        ("a", "dynamodb:PartiQLUpdate"),
        ("b", "dynamodb:PartiQLDelete"),
    ]
    transaction = {"TransactStatements": [{"Statement": 'SELECT * FROM "c"'}]}
    assert pairs("ExecuteTransaction", transaction) == [("c", "dynamodb:PartiQLSelect")]


def test_a_read_of_an_index_is_authorized_on_the_index() -> None:
    assert table_actions("Query", {"TableName": "t", "IndexName": "by-note"}) == [
        TableAccess("t", "dynamodb:Query", "by-note")
    ]
    assert table_actions("ExecuteStatement", {"Statement": 'SELECT * FROM "t"."by-note"'}) == [
        TableAccess("t", "dynamodb:PartiQLSelect", "by-note")
    ]


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("Scan", {}),
        ("GetItem", {"TableName": ["a"]}),
        ("BatchGetItem", {"RequestItems": ["a"]}),
        ("TransactWriteItems", {"TransactItems": {"Put": {"TableName": "a"}}}),
        ("ExecuteTransaction", {"TransactStatements": ["SELECT * FROM a"]}),
    ],
)
def test_a_request_whose_tables_cannot_be_read_is_refused(operation: str, body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r".") as raised:
        table_actions(operation, body)
    assert isinstance(raised.value, UnreadableRequestError | UnclassifiableStatementError)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('SELECT "from x", secret FROM "orders"', Statement("SELECT", "orders")),
        ("SELECT 'FROM x' AS y FROM orders WHERE a = 'UPDATE b'", Statement("SELECT", "orders")),
        ('SELECT * FROM "we""ird" ORDER BY id', Statement("SELECT", 'we"ird')),
        ('select * from "t"."i" where a = ?', Statement("SELECT", "t", "i")),
        ("SELECT * -- FROM x\nFROM t;", Statement("SELECT", "t")),
        ("INSERT INTO \"t\" VALUE {'a': 'FROM b', 'c': <<1, 2>>}", Statement("INSERT", "t")),
        ("UPDATE \"t\" REMOVE a WHERE id = 'x'", Statement("UPDATE", "t")),
        ("DELETE FROM t WHERE id = 'x'", Statement("DELETE", "t")),
    ],
)
def test_the_reader_finds_the_one_table(statement: str, expected: Statement) -> None:
    assert read(statement) == expected


@pytest.mark.parametrize(
    "statement",
    [
        "",
        "SELECT * FROM a, b",
        "SELECT * FROM a JOIN b",
        "SELECT * FROM a WHERE x IN (SELECT y FROM b)",
        "SELECT (SELECT 1 FROM b) FROM a",
        "SELECT * FROM a AS x",
        'SELECT * FROM "a',
        "SELECT * FROM a WHERE 'x",
        "SELECT * FROM a WHERE (x",
        "EXISTS(SELECT * FROM a WHERE id = 1)",
        "EXPLAIN SELECT * FROM a",
        "INSERT INTO a SELECT * FROM b",
        "UPDATE a SET x = 1 FROM b",
        "DELETE FROM a, b",
        "SELECT * FROM a WHERE x = 1 ` ",
    ],
)
def test_a_statement_of_another_shape_cannot_be_classified(statement: str) -> None:
    with pytest.raises(UnclassifiableStatementError):
        read(statement)


def test_the_reading_is_cross_checked_against_what_moto_would_run() -> None:
    # py-partiql-parser splits a SELECT on " FROM " wherever it stands.
    assert moto_touches('SELECT "a FROM secret WHERE b" FROM "plain"') == {"secret"}
    with pytest.raises(UnclassifiableStatementError, match="secret"):
        classify('SELECT "a FROM secret WHERE b" FROM "plain"')
    with pytest.raises(UnclassifiableStatementError, match="starts with its verb"):
        classify(' SELECT * FROM "plain"')
    assert classify('SELECT "from x", note FROM "orders" WHERE id = ?', [{"S": "1"}]) == Statement("SELECT", "orders")
    assert classify("UPDATE \"orders\" SET note = 'x FROM y' WHERE id = 'a'") == Statement("UPDATE", "orders")
