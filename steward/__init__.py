"""The data steward's desk: the quarantine lifecycle, console users and the audit trail.

The CLI and the web console both call these functions, so a rule holds wherever a steward acts.
Every refusal is a `StewardError` raised before anything is written. Sign-in sessions and their
throttling are in `steward.sessions`.
"""

from steward.audit_trail import audit_entries, verify_audit
from steward.inputs import REASON_MAX, StewardError, check_actor, validate_reason
from steward.quarantine import STATUSES, ReplayResult, accept, get_quarantine, list_quarantine, reject, replay
from steward.users import (
    ROLES,
    add_user,
    authenticate,
    get_user,
    list_users,
    set_language,
    set_password,
    set_user_disabled,
    set_user_role,
)

__all__ = [
    "REASON_MAX",
    "ROLES",
    "STATUSES",
    "ReplayResult",
    "StewardError",
    "accept",
    "add_user",
    "audit_entries",
    "authenticate",
    "check_actor",
    "get_quarantine",
    "get_user",
    "list_quarantine",
    "list_users",
    "reject",
    "replay",
    "set_language",
    "set_password",
    "set_user_disabled",
    "set_user_role",
    "validate_reason",
    "verify_audit",
]
