"""README.md stays a short entry point, and its example (and the components page's) runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from access.provider_types import DYNAMODB_TABLE, IAM_ROLE_POLICY, KMS_ALIAS, KMS_GRANT, KMS_KEY
from tests.docs.markdown import DOCS, README, code_blocks

README_LIMIT = 8000  # characters: what it is, the lesson, the commands, one example, the map; the rest is in docs/

Deploy = Callable[[Callable[[], Mapping[str, Any] | None]], dict[str, Any]]


def test_readme_is_at_most_8000_characters() -> None:
    size = len(README.read_text(encoding="utf-8"))
    assert size <= README_LIMIT, f"README.md is {size} characters, over {README_LIMIT}: move detail into docs/"


def test_readme_links_every_page_of_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if f"](docs/{page.name}" not in text]
    assert not missing, f"README.md does not link {missing}"


EXAMPLES = [
    (page, index, block)
    for page in (README, DOCS / "components.md")
    for index, block in enumerate(code_blocks(page.read_text(encoding="utf-8"), "python"))
]


@pytest.mark.parametrize(("page", "index", "example"), EXAMPLES, ids=[f"{p.name}[{i}]" for p, i, _ in EXAMPLES])
def test_the_python_examples_run_under_mocks(page: Path, index: int, example: str, resolve: Deploy, mocks: Any) -> None:
    def build() -> None:
        exec(compile(example, f"{page}[{index}]", "exec"), {"__name__": "example"})  # noqa: S102 (our own page)

    resolve(build)
    types = {resource.typ for resource in mocks.resources}
    # The table, its key and alias, and the reader's grant plus its table rights.
    assert {KMS_KEY, KMS_ALIAS, DYNAMODB_TABLE, KMS_GRANT, IAM_ROLE_POLICY} <= types
