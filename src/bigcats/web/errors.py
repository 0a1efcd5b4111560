"""The one exception of the web package: a request or upload that cannot be honoured, and why."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class WebError(BigcatsError):
    """Bad input to the web application (field, file or entry named in the message); carries an HTTP status."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status=status)
        self.headers = headers or {}
