"""What the HTTP tests share: a multipart body framed as a browser frames it, and the checks that
an answer is the problem it should be and that the service still serves after it."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

BOUNDARY = "----CompressTestBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart_body(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body as a browser frames it: (field, file name or None, content)."""
    chunks = []
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        chunks.append(head.encode() + b"\r\n" + content + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def assert_still_serves(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def assert_problem(response: httpx.Response, status: int, problem_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["type"]) == (status, problem_type)
    return body
