"""A PartiQL statement runs on the one table (or index) it was authorized on: tables and indexes are two name spaces.

moto 5.2.5's DynamoDBBackend.execute_statement hands py-partiql-parser ONE dict of every table
of the region, each table under its name and each index under "<table>.<index>". A table may be
named "orders.byCustomer" ('.' is one of the characters DynamoDB allows in a table name: the
naming rules of the DynamoDB developer guide, "Naming rules and data types"), so that table and
the index byCustomer of the table "orders" were one entry, the later overwriting the other: a
statement the layer authorized on one (its IAM action, its key) was served the other's items, and
an UPDATE copied the other's items into its table. DynamoDB reads `"orders.byCustomer"` as that
table and `"orders"."byCustomer"` (or `orders.byCustomer`) as the index (PartiQL select statements
for DynamoDB: `SELECT ... FROM table[.index]`).

`on_its_resource` replaces moto's method: the statement is read exactly as the layer read it
(partiql.classify), and moto's parser is handed that table's items, or that index's (the items
holding every attribute of the index's key schema, as moto selects them), under every name it
looks them up by, and no other table's; whatever it writes goes to that table. moto's parser and
its answers stay moto's. BatchExecuteStatement and ExecuteTransaction run each statement through
this method too.

One of the modules that touch moto (5.2.x, pinned); sandbox.emulator.patches installs it on start
and removes it on stop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.parsing import partiql as moto_partiql

from sandbox.emulator import partiql

ExecuteStatement = Callable[[DynamoDBBackend, str, list[dict[str, Any]]], list[dict[str, Any]]]
NO_SUCH_INDEX = "The table does not have the specified index"  # moto's (and DynamoDB's) wording


def _documents(backend: DynamoDBBackend, read: partiql.Statement) -> list[dict[str, Any]]:
    """The items of the statement's table, or of its index, as moto's executor takes them."""
    table = backend.tables.get(read.table)  # by name, as moto's executor found tables
    if table is None:
        raise ResourceNotFoundException()
    items = table.all_items()
    if read.index is not None:
        index = next((i for i in table.all_indexes() if i.name == read.index), None)
        if index is None:
            raise MockValidationException(NO_SUCH_INDEX)
        items = [item for item in items if all(key["AttributeName"] in item.attrs for key in index.schema)]
    return [item.to_json()["Attributes"] for item in items]


def _apply(backend: DynamoDBBackend, table_name: str, changes: list[tuple[Any, Any]]) -> None:
    """moto's own application of a statement's changes, to the statement's table."""
    table = backend.tables[table_name]
    for before, after in changes:
        if after is None and before is not None:  # DELETE
            hash_key = DynamoType(before[table.hash_key_attr])
            range_key = DynamoType(before[table.range_key_attr]) if table.range_key_attr else None
            table.delete_item(hash_key, range_key)
        elif after is not None:  # INSERT, UPDATE
            table.put_item(after)


def on_its_resource(original: ExecuteStatement) -> ExecuteStatement:
    """moto's DynamoDBBackend.execute_statement, served the statement's own table or index only."""
    del original  # replaced whole: moto's version builds the shared name space

    def execute_statement(
        backend: DynamoDBBackend, statement: str, parameters: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        try:
            read = partiql.classify(statement, parameters)  # the layer refused what this refuses
        except partiql.UnclassifiableStatementError as unreadable:
            raise MockValidationException(str(unreadable)) from None
        documents = _documents(backend, read)
        # Every name moto's parser may look the statement's documents up by (`"t"."i"` is looked up
        # with its quotes); each holds this resource's items and nothing else.
        names = {read.table, *partiql.moto_touches(statement, parameters)}
        if read.index is not None:
            names.add(f"{read.table}.{read.index}")
        found, changes = moto_partiql.query(statement, {name: list(documents) for name in names}, parameters)
        if changes and read.index is not None:
            raise MockValidationException("An index cannot be written")  # partiql.read refuses it first
        for table_changes in changes.values():
            _apply(backend, read.table, table_changes)
        return found

    return execute_statement
