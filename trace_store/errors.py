"""Errors the store raises when the ledger does not allow what was asked."""

from __future__ import annotations


class ConservationError(RuntimeError):
    """A run's counts do not add up: pulled != unchanged + loaded + quarantined (architecture rule 3)."""


class StaleRunError(RuntimeError):
    """A batch arrived for a run that is no longer running (finished, or abandoned by a newer run)."""
