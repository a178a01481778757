"""How a REST platform wants its credential: the four styles a declaration can name.

Each style turns the source's secret (the token, and the login where the style uses one) into
request headers or query parameters. They are dataclasses that pydantic validates straight from
a platform declaration (`type: bearer`, ...), so the declared form and the running form are one.
"""

from __future__ import annotations

import base64
import string
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

FORBID = ConfigDict(extra="forbid")
PLACEHOLDERS = frozenset({"token", "login"})


@dataclass(frozen=True, slots=True)
class Bearer:
    """`Authorization: Bearer <token>` (ShipBob personal access tokens)."""

    __pydantic_config__ = FORBID
    type: Literal["bearer"] = "bearer"

    @property
    def needs_login(self) -> bool:
        return False

    def headers(self, token: str, login: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def params(self, token: str, login: str | None) -> dict[str, str]:
        return {}


@dataclass(frozen=True, slots=True)
class Basic:
    """HTTP basic auth: the source's login as user, the secret as password (WooCommerce over HTTPS)."""

    __pydantic_config__ = FORBID
    type: Literal["basic"] = "basic"

    @property
    def needs_login(self) -> bool:
        return True

    def headers(self, token: str, login: str | None) -> dict[str, str]:
        pair = base64.b64encode(f"{login}:{token}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}

    def params(self, token: str, login: str | None) -> dict[str, str]:
        return {}


@dataclass(frozen=True, slots=True)
class HeaderKey:
    """A header `name` whose `value` fills `{token}` and `{login}`.

    Shopify's access token (`{token}`), Frappe's `token {login}:{token}`.
    """

    __pydantic_config__ = FORBID
    name: str
    value: str = "{token}"
    type: Literal["header"] = "header"

    @field_validator("value")
    @classmethod
    def _only_known_placeholders(cls, value: str) -> str:
        names = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
        if "token" not in names or not names <= PLACEHOLDERS:
            raise ValueError(f"the value must use {{token}} and may use {{login}}, nothing else; got {value!r}")
        return value

    @property
    def needs_login(self) -> bool:
        return "{login}" in self.value

    def headers(self, token: str, login: str | None) -> dict[str, str]:
        return {self.name: self.value.format(token=token, login=login)}

    def params(self, token: str, login: str | None) -> dict[str, str]:
        return {}


@dataclass(frozen=True, slots=True)
class QueryKey:
    """The secret (and the login, when `login_param` is named) as query parameters (WooCommerce's
    `consumer_key`/`consumer_secret`). The URL then carries the secret: use it only where the
    platform offers nothing else; our messages never include URLs."""

    __pydantic_config__ = FORBID
    token_param: str
    login_param: str | None = None
    type: Literal["query"] = "query"

    @property
    def needs_login(self) -> bool:
        return self.login_param is not None

    def headers(self, token: str, login: str | None) -> dict[str, str]:
        return {}

    def params(self, token: str, login: str | None) -> dict[str, str]:
        if self.login_param is None:
            return {self.token_param: token}
        return {self.login_param: login or "", self.token_param: token}


Auth = Annotated[Bearer | Basic | HeaderKey | QueryKey, Field(discriminator="type")]
"""Any auth style, told apart by its `type`."""
