"""What a steward types, checked before anything is written: reasons and actor names.

Every refusal in the steward layer is a `StewardError` with a message for the person acting;
nothing was changed when it is raised.
"""

from __future__ import annotations

import re
import unicodedata

REASON_MAX = 500

_MARKUP = re.compile(r"<[a-z/!?]|(?:java|vb)script\s*:", re.IGNORECASE)
_ALLOWED_CONTROLS = {"\n", "\t"}


class StewardError(ValueError):
    """A refusal with a message for the user; nothing was changed when it is raised."""


def validate_reason(reason: str) -> str:
    """The reason, stripped; refused when empty, too long, with control characters or any markup."""
    if not isinstance(reason, str):
        raise StewardError("a reason is required")
    text = reason.replace("\r\n", "\n").strip()
    if not text:
        raise StewardError("a reason is required: say why, for the audit log")
    if len(text) > REASON_MAX:
        raise StewardError(f"the reason is {len(text)} characters long; at most {REASON_MAX} are allowed")
    for ch in text:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cf"):
            raise StewardError(f"the reason contains a control character (U+{ord(ch):04X}); use plain text")
    found = _MARKUP.search(text)
    if found:
        raise StewardError(f"the reason contains markup ({found.group(0)!r}...); use plain text without tags or links")
    return text


def check_actor(actor: str) -> str:
    """Who is acting, stripped; refused when blank (every change names its actor in the audit log)."""
    if not isinstance(actor, str) or not actor.strip():
        raise StewardError("an actor (who is acting) is required")
    return actor.strip()
