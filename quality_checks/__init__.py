"""Business-rule checks on canonical records with Great Expectations.

One suite per entity lives in `suites/<entity>.yaml`; `validate` runs it over a batch and
returns every rule each failing record broke, ready for quarantine. Importing this package does
not import GX or pandas (DAG parse time stays light); `validate` imports them on first use.
"""

from quality_checks.validation import validate

__all__ = ["validate"]
