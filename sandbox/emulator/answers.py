"""A wrapped WSGI app's answer, held to be read or rewritten, then sent on: one piece for every layer.

DynamoDB sends the CRC32 of its body in x-amz-crc32 and botocore asks again when it does not match,
so a rewritten body gets its own checksum (and length).
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

CRC32_HEADER = "x-amz-crc32"


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")

    def with_body(self, body: bytes) -> Answer:
        return Answer(self.status, self.headers, body)


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Answer:
    """Run the wrapped app and keep its whole answer."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured.update(status=status, headers=headers)
        return lambda _data: None

    body = b"".join(app(environ, capture))
    return Answer(captured["status"], list(captured["headers"]), body)


def send(start_response: Callable[..., Any], answer: Answer) -> list[bytes]:
    """The answer, with its length and, when the app sent one, the CRC32 of the body as it is now."""
    headers = [(k, v) for k, v in answer.headers if k.lower() not in ("content-length", CRC32_HEADER)]
    headers.append(("Content-Length", str(len(answer.body))))
    if any(k.lower() == CRC32_HEADER for k, _ in answer.headers):
        headers.append((CRC32_HEADER, str(binascii.crc32(answer.body) & 0xFFFFFFFF)))
    start_response(answer.status, headers)
    return [answer.body]
