"""The data steward's desk: the quarantine lifecycle, console users and the audit trail.

The CLI and the web console both call these functions, so a rule holds wherever a steward acts.
Every refusal is a `StewardError` raised before anything is written. Sign-in sessions and their
throttling are in `steward.sessions`.
"""

from steward.audit_trail import audit_entries, verify_audit
from steward.corrections import CorrectionFailed, FormField, correct, correction_form
from steward.inputs import REASON_MAX, StewardError, check_actor, validate_reason
from steward.quarantine import (
    BULK_MAX,
    STATUSES,
    BulkResult,
    ReplayResult,
    accept,
    bulk_decide,
    get_quarantine,
    list_quarantine,
    matching_open,
    quarantine_groups,
    reject,
    replay,
)
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
    "BULK_MAX",
    "REASON_MAX",
    "ROLES",
    "STATUSES",
    "BulkResult",
    "CorrectionFailed",
    "FormField",
    "ReplayResult",
    "StewardError",
    "accept",
    "add_user",
    "audit_entries",
    "authenticate",
    "bulk_decide",
    "check_actor",
    "correct",
    "correction_form",
    "get_quarantine",
    "get_user",
    "list_quarantine",
    "list_users",
    "matching_open",
    "quarantine_groups",
    "reject",
    "replay",
    "set_language",
    "set_password",
    "set_user_disabled",
    "set_user_role",
    "validate_reason",
    "verify_audit",
]
