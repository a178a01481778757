"""An SFTP folder for spreadsheet drops: list its files, download one to a temporary file.

asyncssh does SSH; each call runs one short event loop (the connector itself is synchronous).
The server's host key must be known (`drop.host_key`): it is checked on every connection, never
skipped. The credential is a password or a private key (PEM / OpenSSH text) from `credentials`.
Connection failures and timeouts are retried with backoff (`RetryPolicy`); refused credentials
and a host key that does not match fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import stat
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncssh
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from connectors.drop_settings import drop_folder
from connectors.errors import AuthError, ConfigError, RetriesExhausted
from connectors.folders import Entry
from connectors.http import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

_TRANSIENT = (OSError, asyncio.TimeoutError, asyncssh.ConnectionLost, asyncssh.DisconnectError)
_FINAL = (asyncssh.HostKeyNotVerifiable, asyncssh.PermissionDenied)


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _TRANSIENT) and not isinstance(exc, _FINAL)


class SftpFolder:
    """One folder on an SFTP server, as the drop connector sees it."""

    def __init__(
        self,
        source: str,
        url: str,
        login: str | None,
        secret: str,
        host_key: str | None,
        timeout: float,
        policy: RetryPolicy,
        origin: str,
    ) -> None:
        parts = urlsplit(url)
        self.source = source
        self.host = parts.hostname or ""
        self.port = parts.port or 22
        self.folder = drop_folder(url)
        where = f"source {source!r}"
        if not login:
            raise ConfigError(f"{where} field login: the SFTP user name is required")
        if not secret:
            raise ConfigError(f"{where} field credentials: an SFTP password or private key is required")
        if not host_key:
            raise ConfigError(
                f"{where} field drop.host_key: the server's public host key is required "
                "(the line ssh-keyscan prints, without the host name)"
            )
        try:
            trusted = asyncssh.import_public_key(host_key)
        except (asyncssh.KeyImportError, ValueError):
            raise ConfigError(f"{where} field drop.host_key: not an SSH public key ('ssh-ed25519 AAAA...')") from None
        key: Any = None
        if secret.lstrip().startswith("-----BEGIN"):
            try:
                key = asyncssh.import_private_key(secret)
            except (asyncssh.KeyImportError, ValueError):
                raise ConfigError(f"{where} field credentials: the private key cannot be read") from None
        self._options = asyncssh.SSHClientConnectionOptions(
            username=login,
            password=None if key is not None else secret,
            client_keys=[key] if key is not None else None,
            known_hosts=([trusted], [], []),
            agent_path=None,
            connect_timeout=timeout,
            login_timeout=timeout,
        )
        self._timeout = timeout
        self._policy = policy
        self._origin = origin

    def describe(self) -> str:
        return f"sftp://{self.host}:{self.port}{self.folder}"

    def entries(self) -> list[Entry]:
        """The regular files of the folder, with size and modification time."""

        async def listing(sftp: asyncssh.SFTPClient) -> list[Entry]:
            found = []
            for item in await sftp.readdir(str(self.folder)):
                attrs = item.attrs
                if attrs.permissions is not None and not stat.S_ISREG(attrs.permissions):
                    continue
                found.append(Entry(str(item.filename), attrs.size or 0, float(attrs.mtime or 0)))
            return found

        return self._run("list", listing)

    @contextmanager
    def fetch(self, entry: Entry) -> Iterator[Path]:
        """Download `entry` to a temporary file (deleted afterwards): streamed, never held in memory."""
        with tempfile.TemporaryDirectory(prefix="tracehub-drop-") as folder:
            local = Path(folder) / f"download{PurePosixPath(entry.name).suffix}"  # the name never shapes a path

            async def download(sftp: asyncssh.SFTPClient) -> None:
                await sftp.get(str(self.folder / entry.name), str(local))

            self._run(f"get {entry.name}", download)
            yield local

    def _run(self, label: str, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        """One connection per call, retried on transient failures."""

        async def session() -> T:
            async with (
                asyncssh.connect(self.host, self.port, options=self._options) as conn,
                conn.start_sftp_client() as sftp,
            ):
                return await asyncio.wait_for(work(sftp), self._timeout * 10)

        policy = self._policy
        retrying = Retrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.budget_seconds),
            wait=wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
            reraise=True,
        )
        try:
            return retrying(lambda: asyncio.run(session()))
        except asyncssh.HostKeyNotVerifiable:
            raise AuthError(
                self.source, f"source {self.source!r}: the SFTP server's host key is not drop.host_key; refusing it"
            ) from None
        except asyncssh.PermissionDenied:
            raise AuthError(
                self.source,
                f"source {self.source!r}: the SFTP server refused user and credential ({label}); "
                f"check login and {self._origin}",
            ) from None
        except asyncssh.SFTPError as exc:
            raise ConfigError(f"source {self.source!r}: SFTP {label} in {self.folder} failed: {exc.reason}") from None
        except _TRANSIENT as exc:
            message = f"source {self.source!r}: SFTP {label} at {self.describe()} kept failing: {exc}"
            raise RetriesExhausted(
                self.source, message, endpoint=self.describe(), attempts=policy.attempts, last_error=str(exc)
            ) from None
