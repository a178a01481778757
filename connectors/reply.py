"""A platform's successful answer, as the HTTP core hands it to paginators and connectors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: status, headers (case-insensitive) and the parsed JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any
