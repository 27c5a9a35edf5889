"""The one exception of the site check: a refusal the client can act on.

Pure (no web imports): it carries what RFC 9457 needs, and app/web renders it as
problem+json. `slug` names the problem type under the app's /problems/ URIs.
"""

from __future__ import annotations

from typing import Any


class SiteCheckError(Exception):
    """A site that cannot be checked: HTTP status, problem slug, title, detail, the limit."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        limit: int | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.limit = limit
        self.extensions = extensions

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"

    def members(self) -> dict[str, Any]:
        """The extension members of the problem body: the limit (when one applies) and more."""
        members = dict(self.extensions)
        if self.limit is not None:
            members["limit"] = self.limit
        return members
