"""The HTTP client a write to a REST platform uses: the same auth and API prefix as the source's reads."""

from __future__ import annotations

from connectors.config import ConfigError, Secret, SourceConfig
from connectors.http import HttpClient, RetryPolicy


def declared_client(config: SourceConfig, secret: Secret | None, policy: RetryPolicy | None) -> tuple[HttpClient, str]:
    """An HTTP client with the auth and path prefix the source's platform declaration gives its reads."""
    declaration = config.declaration()
    if declaration is None:
        raise ConfigError(f"source {config.name!r}: a {config.kind} source is no REST platform to write to")
    requester = declaration.requester
    secret = secret if secret is not None else config.secret()
    client = HttpClient(config, secret, auth=requester.auth, policy=policy, usage=requester.usage_header)
    return client, requester.path_prefix
