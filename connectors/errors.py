"""What can go wrong talking to a platform, worded so the reader knows what to do next.

Every message names the source; none ever contains a credential (architecture rule 8).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure, so callers can catch them all in one place."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


class AuthError(ConnectorError):
    """The platform refused the credentials: retrying cannot help, a person must fix them."""


class PlatformError(ConnectorError):
    """The platform rejected the request for a reason it states; retrying would get the same answer."""

    def __init__(self, source: str, message: str, *, status: int | None, platform_message: str) -> None:
        super().__init__(source, message)
        self.status = status
        self.platform_message = platform_message


class DeferSync(ConnectorError):
    """The platform asked for a pause longer than we are willing to block a worker for.

    The pipeline keeps the last committed checkpoint and reschedules the sync after
    `retry_after` seconds instead of hanging.
    """

    def __init__(self, source: str, message: str, *, retry_after: float) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


class RetriesExhausted(ConnectorError):
    """A transient failure kept happening until the attempt count or time budget ran out."""

    def __init__(self, source: str, message: str, *, endpoint: str, attempts: int, last_error: str) -> None:
        super().__init__(source, message)
        self.endpoint = endpoint
        self.attempts = attempts
        self.last_error = last_error
