"""What the TinySite tests share: the site's paths, its Vary, and responses read off the wire."""

from __future__ import annotations

from fastapi.testclient import TestClient

SITE_PATHS = ["/", "/api", "/codecs", "/check", "/about"]
PAGE_VARY = "Accept-Encoding, Available-Dictionary"


class RawResponse:
    """A response as it crossed the wire: status, header pairs (names lower-cased), raw body."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name]
        return ", ".join(values) if values else None

    def wire_size(self) -> int:
        """Bytes of the HTTP/1.1 response: status line, header lines, blank line, body."""
        status_line = len(f"HTTP/1.1 {self.status} OK\r\n")
        header_lines = sum(len(f"{name}: {value}\r\n") for name, value in self.headers)
        return status_line + header_lines + 2 + len(self.body)


def raw_request(
    client: TestClient, path: str, headers: dict[str, str], method: str = "GET"
) -> RawResponse:
    with client.stream(method, path, headers=headers) as response:
        body = b"".join(response.iter_raw())
        pairs = [(k.decode().lower(), v.decode()) for k, v in response.headers.raw]
        return RawResponse(response.status_code, pairs, body)
